// Every accepted spelling of an identity field gives one normalised value.
#include <doctest/doctest.h>

#include <algorithm>

#include "dedupe/normalize.h"
#include "dedupe/synth.h"

using namespace yb::dedupe;

TEST_CASE("ID numbers: full-width, lower-case x, spaces, hyphens and 15 digits give one key") {
  const std::string id = synth::make_id_number("110101", "1948-06-15", 7);
  REQUIRE(normalize_id_number(id).value() == id);
  std::string fw;
  for (char c : id) {
    if (c >= '0' && c <= '9') {
      fw += "\xEF\xBC";
      fw += static_cast<char>(0x90 + (c - '0'));
    } else {
      fw += c;
    }
  }
  CHECK(normalize_id_number(fw) == id);
  CHECK(normalize_id_number(id.substr(0, 6) + " " + id.substr(6, 8) + "-" + id.substr(14)) == id);
  const std::string id15 = id.substr(0, 6) + id.substr(8, 9);
  CHECK(normalize_id_number(id15) == id);
  CHECK(clean_id_number(id15) == id);
}

TEST_CASE("ID numbers with an X check character accept lower-case x") {
  std::string x;
  for (int seq = 1; seq < 999 && x.empty(); seq += 2) {
    auto id = synth::make_id_number("110101", "1948-06-15", seq);
    if (id.back() == 'X') x = id;
  }
  REQUIRE(!x.empty());
  std::string lower = x;
  lower.back() = 'x';
  CHECK(normalize_id_number(lower) == x);
}

TEST_CASE("invalid ID numbers are refused but cleaned for near matching") {
  const std::string id = synth::make_id_number("130111", "1980-02-29", 123);
  std::string bad = id;
  std::swap(bad[10], bad[11]);  // 0229 -> 2029: bad date and check
  CHECK_FALSE(normalize_id_number(bad).has_value());
  CHECK(clean_id_number(bad) == bad);
  CHECK(clean_id_number("hello") == "");
  CHECK(clean_id_number(std::string(500, '1')) == "");
  CHECK_FALSE(normalize_id_number("").has_value());
}

TEST_CASE("one substitution or swap away: the meant number is among the neighbours") {
  const std::string id = synth::make_id_number("130111", "1975-08-21", 456);
  std::string typo = id;
  typo[14] = typo[14] == '9' ? '0' : static_cast<char>(typo[14] + 1);
  REQUIRE_FALSE(normalize_id_number(typo).has_value());  // MOD 11-2 catches every single slip
  auto n = id_neighbours(typo);
  CHECK(std::find(n.begin(), n.end(), id) != n.end());
  CHECK(n.size() <= 35);
  std::string swapped = id;
  std::swap(swapped[8], swapped[9]);  // 75 -> 57
  auto m = id_neighbours(swapped);
  CHECK(std::find(m.begin(), m.end(), id) != m.end());
  CHECK(id_distance(id, typo) == 1);
  CHECK(id_distance(id, swapped) == 1);
  CHECK(id_distance(id, id) == 0);
  CHECK(id_distance(id, std::string(18, '1')) == 2);
}

TEST_CASE("names: dot variants, spaces and traditional characters give one key") {
  CHECK(name_key("張偉") == "张伟");
  CHECK(name_key("张 伟") == "张伟");
  CHECK(canonical_name("阿卜杜拉•艾力") == "阿卜杜拉\u00B7艾力");
  CHECK(name_key("阿卜杜拉．艾力") == "阿卜杜拉艾力");
  CHECK(name_key("阿卜杜拉艾力") == name_key("阿卜杜拉 ・ 艾力"));
  CHECK(name_key("歐陽娜娜") == "欧阳娜娜");
  CHECK(to_simplified("abc") == "abc");
}

TEST_CASE("phones: +86, 0086, spaces and hyphens") {
  CHECK(normalize_phone("+86 138-0013-8000") == "13800138000");
  CHECK(normalize_phone("0086 13800138000") == "13800138000");
  CHECK(normalize_phone("138 0013 8000") == "13800138000");
  CHECK_FALSE(normalize_phone("12345").has_value());
}

TEST_CASE("dates in the common Chinese formats") {
  CHECK(normalize_date("2026年1月5日") == "2026-01-05");
  CHECK(normalize_date("2026.1.5") == "2026-01-05");
  CHECK(normalize_date("20260105") == "2026-01-05");
  CHECK(normalize_date("2026/01/05") == "2026-01-05");
  CHECK_FALSE(normalize_date("2026年2月30日").has_value());
}

TEST_CASE("masking keeps the first and last four characters") {
  CHECK(mask_id_number("130111198001011234") == "1301**********1234");
  CHECK(mask_id_number("123") == "***");
}
