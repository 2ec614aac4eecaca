#include "forms/normalize.h"

#include <doctest/doctest.h>

using namespace yb::forms;

TEST_CASE("dates: every accepted spelling normalises to YYYY-MM-DD") {
  CHECK(normalize_date("2024-01-05") == "2024-01-05");
  CHECK(normalize_date("20240105") == "2024-01-05");
  CHECK(normalize_date("2024/1/5") == "2024-01-05");
  CHECK(normalize_date("2024.1.5") == "2024-01-05");
  CHECK(normalize_date("2024年1月5日") == "2024-01-05");
  CHECK(normalize_date("2024年1月5") == "2024-01-05");
  CHECK(normalize_date("２０２４年１月５日") == "2024-01-05");
  CHECK(normalize_date(" 2024-1-5 ") == "2024-01-05");
}

TEST_CASE("dates: leap years and impossible dates") {
  CHECK(normalize_date("2024-02-29") == "2024-02-29");
  CHECK(normalize_date("2000-02-29") == "2000-02-29");
  CHECK_FALSE(normalize_date("1900-02-29"));
  CHECK_FALSE(normalize_date("2023-02-29"));
  CHECK_FALSE(normalize_date("2024-04-31"));
  CHECK_FALSE(normalize_date("2024-13-01"));
  CHECK_FALSE(normalize_date("2024-00-10"));
}

TEST_CASE("dates: malformed spellings are rejected") {
  CHECK_FALSE(normalize_date(""));
  CHECK_FALSE(normalize_date("2024-01/05"));  // mixed separators
  CHECK_FALSE(normalize_date("24-01-05"));
  CHECK_FALSE(normalize_date("2024-01-05x"));
  CHECK_FALSE(normalize_date("202401051"));
  CHECK_FALSE(normalize_date("2024年1月"));
  CHECK_FALSE(normalize_date("0999-01-01"));
  CHECK_FALSE(normalize_date("3000-01-01"));
  CHECK_FALSE(normalize_date("2024-1-05-"));
  CHECK_FALSE(normalize_date("2024年1-5"));   // 年 then '-'
  CHECK_FALSE(normalize_date("2024-1-5日"));  // 日 after '-' separators
  CHECK_FALSE(normalize_date("2024-0a-05"));  // ISO-shaped, not digits
  CHECK_FALSE(normalize_date("2O24-01-05"));  // letter O
  CHECK(normalize_date("1800-01-01") == "1800-01-01");
  CHECK(normalize_date("2999-12-31") == "2999-12-31");
}

TEST_CASE("decimal reads digits only") {
  CHECK(decimal("0042") == 42);
  CHECK(decimal("2999") == 2999);
  CHECK_FALSE(decimal(""));
  CHECK_FALSE(decimal("4a"));
  CHECK_FALSE(decimal("-1"));
  CHECK_FALSE(decimal("1234567890"));  // longer than an int's safe digits
}

TEST_CASE("iso_date pads every part") {
  CHECK(iso_date(2024, 1, 5) == "2024-01-05");
  CHECK(iso_date(987, 12, 31) == "0987-12-31");
  CHECK(iso_date(2999, 10, 9) == "2999-10-09");
}

TEST_CASE("age_in_years counts whole years, birthday included") {
  CHECK(age_in_years("1950-03-07", "2024-03-06") == 73);
  CHECK(age_in_years("1950-03-07", "2024-03-07") == 74);
  CHECK(age_in_years("2000-02-29", "2023-02-28") == 22);
  CHECK(date_to_days("1970-01-02") == 1);
}

TEST_CASE("phones: mobile with prefixes, landline, and rejects") {
  CHECK(normalize_phone("13800138000") == "13800138000");
  CHECK(normalize_phone("+86 138 0013 8000") == "13800138000");
  CHECK(normalize_phone("0086-13800138000") == "13800138000");
  CHECK(normalize_phone("8613800138000") == "13800138000");
  CHECK(normalize_phone("１３８００１３８０００") == "13800138000");
  CHECK(normalize_phone("0991-1234567") == "09911234567");
  CHECK(normalize_phone("(010) 12345678") == "01012345678");
  CHECK_FALSE(normalize_phone("12800138000"));  // 12x is not a mobile prefix
  CHECK_FALSE(normalize_phone("1380013800"));
  CHECK_FALSE(normalize_phone("+1 13800138000"));
  CHECK_FALSE(normalize_phone("abc"));
  CHECK_FALSE(normalize_phone("001234567"));
}

TEST_CASE("utf8 helpers") {
  CHECK(utf8_valid("南高村"));
  CHECK_FALSE(utf8_valid("\xC3\x28"));
  CHECK_FALSE(utf8_valid("\xED\xA0\x80"));  // surrogate
  CHECK(utf8_length("南高村abc") == 6);
  CHECK(utf8_substr("南高村abc", 1, 3) == "高村a");
  CHECK(trim("\xE3\x80\x80 张三 \t") == "张三");
}
