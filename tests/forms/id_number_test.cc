#include "forms/id_number.h"

#include <doctest/doctest.h>

using namespace yb::forms;

TEST_CASE("id_check_char computes ISO 7064 MOD 11-2, including X") {
  CHECK(id_check_char("11010519491231002") == 'X');
  CHECK(id_check_char("44052418800101001") == '4');
  CHECK(id_check_char("110101195003070") == '?');  // too short
}

TEST_CASE("parse_id_number accepts a valid 18-digit number and derives birth date and sex") {
  auto p = parse_id_number("11010519491231002X");
  REQUIRE(p.id);
  CHECK(p.problem == IdProblem::kNone);
  CHECK(p.id->value == "11010519491231002X");
  CHECK(p.id->birth_date == "1949-12-31");
  CHECK_FALSE(p.id->male);  // sequence 002 is even
}

TEST_CASE("lower-case x, full-width characters, spaces and hyphens are normalised") {
  CHECK(parse_id_number("11010519491231002x").id->value == "11010519491231002X");
  // full-width digits and full-width Ｘ
  auto p = parse_id_number("１１０１０５１９４９１２３１００２Ｘ");
  REQUIRE(p.id);
  CHECK(p.id->value == "11010519491231002X");
  CHECK(parse_id_number(" 110105 19491231 002x ").id->value == "11010519491231002X");
  CHECK(parse_id_number("110105-19491231-002X").id->value == "11010519491231002X");
}

TEST_CASE("15-digit numbers are upgraded to 18 with 19 inserted and a computed check char") {
  auto p = parse_id_number("110105491231002");
  REQUIRE(p.id);
  CHECK(p.id->value == "11010519491231002X");
  CHECK(p.id->birth_date == "1949-12-31");
}

TEST_CASE("a wrong check character is kCheckDigit") {
  CHECK(parse_id_number("110105194912310021").problem == IdProblem::kCheckDigit);
  CHECK_FALSE(parse_id_number("110105194912310021").id);
}

TEST_CASE("an impossible birth date is kBirthDate (including 29 February of a common year)") {
  // 1950-02-30
  std::string body = "11010119500230001";
  CHECK(parse_id_number(body + id_check_char(body)).problem == IdProblem::kBirthDate);
  body = "11010119490229001";  // 1949 is not a leap year
  CHECK(parse_id_number(body + id_check_char(body)).problem == IdProblem::kBirthDate);
  body = "11010119480229001";  // 1948 is
  CHECK(parse_id_number(body + id_check_char(body)).problem == IdProblem::kNone);
}

TEST_CASE("wrong lengths, letters and empty input are kFormat") {
  CHECK(parse_id_number("").problem == IdProblem::kFormat);
  CHECK(parse_id_number("1101051949123100").problem == IdProblem::kFormat);
  CHECK(parse_id_number("1101051949123100XX").problem == IdProblem::kFormat);
  CHECK(parse_id_number("11010519491231A02X").problem == IdProblem::kFormat);
  CHECK(parse_id_number("01010519491231002X").problem == IdProblem::kFormat);
  CHECK(parse_id_number(std::string(100000, '1')).problem == IdProblem::kFormat);
}
