// Hostile or careless input never crashes validate() or the parsers, never takes long, and
// always comes back as errors.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "test_util.h"

using namespace yb::forms;
using namespace yb::forms::testing;

namespace {

const ValidationOptions kOpts{"2024-06-01"};

Json deep_array(int depth) {
  std::string s(depth, '[');
  s += std::string(depth, ']');
  return Json::parse(s);
}

}  // namespace

TEST_CASE("deeply nested JSON where scalars or items are expected is a type error") {
  // validate() never descends into such values. (Copying a JSON value is recursive in
  // nlohmann/json, so the test builds the answer by moving, and the gateway should bound the
  // nesting it accepts when parsing request bodies.)
  Form form = demo_form();
  Json v = Json::object();
  for (const char* k : {"person.name", "person.age", "person.sex", "risk.type"}) {
    v[k] = deep_array(2000);
  }
  v["household.members"] = Json::array();
  v["household.members"].push_back(deep_array(2000));
  auto r = validate(form, v, kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r, "person.name", "type"));
  CHECK(has_error(r, "person.sex", "type"));
  CHECK(has_error(r, "household.members[0]", "type"));
}

TEST_CASE("10k-element arrays are refused quickly with one error") {
  Form form = demo_form();
  Json members = Json::array();
  for (int i = 0; i < 10000; ++i) members.push_back(Json{{"name", "张三"}});
  Json risks = Json::array();
  for (int i = 0; i < 10000; ++i) risks.push_back("1");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = validate(
      form,
      Json{
          {"household.members", members}, {"risk.type", risks}, {"welfare.low_income_status", "1"}},
      kOpts);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r, "household.members", "max_items"));
  CHECK(has_error(r, "risk.type", "max_items"));
  CHECK(ms < 2000);
}

TEST_CASE("1 MB strings are refused by length before any pattern matching") {
  Form form = demo_form();
  const std::string big(1 << 20, 'A');
  Json v = {{"person.name", big},
            {"person.id_number", big},
            {"person.phone", big},
            {"person.birth_date", big},
            {"person.has_disability", true},
            {"disability.cert_number", big},
            {"household.size", big},
            {"person.sex", big}};
  auto r = validate(form, v, kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r, "person.name", "max_length"));
  CHECK(has_error(r, "disability.cert_number", "max_length"));
  CHECK(has_error(r, "person.id_number", "id_format"));
  CHECK(has_error(r, "person.phone", "phone_format"));
  CHECK(has_error(r, "person.birth_date", "date_format"));
  CHECK(has_error(r, "household.size", "type"));
  CHECK(has_error(r, "person.sex", "not_a_choice"));
  // a long text under a large max_length with a pattern: regex is skipped, not run
  Form f = make_form(R"([{"field": "p.code", "constraints": {"max_length": 100000}}])");
  auto p = validate(f, Json{{"p.code", std::string(50000, 'A')}}, kOpts);
  CHECK(has_error(p, "p.code", "pattern"));
}

TEST_CASE("NaN, infinities, huge numbers and wrong JSON types become errors") {
  Form form = demo_form();
  const double nan = std::nan("");
  const double inf = std::numeric_limits<double>::infinity();
  Json v = {{"household.size", nan},
            {"household.annual_income", inf},
            {"person.age", 1e300},
            {"person.has_disability", Json::object()},
            {"person.birth_date", 1e20},
            {"person.sex", 1.5},
            {"person.name", Json::array({1})},
            {"household.members", "members"},
            {"risk.type", Json::object()},
            {"welfare.low_income_status", "1"},
            {"person.id_number", 1.1e17}};
  auto r = validate(form, v, kOpts);
  REQUIRE_FALSE(r.ok());
  for (const char* k :
       {"household.size", "household.annual_income", "person.has_disability", "person.birth_date",
        "person.sex", "person.name", "household.members", "risk.type", "person.id_number"}) {
    CHECK_MESSAGE(has_error(r, k, "type"), k);
  }
  CHECK_FALSE(has_error(r, "person.age", "type"));  // calculated: client value ignored
}

TEST_CASE("a flood of unknown keys is capped, with a final too_many_errors") {
  Form form = demo_form();
  Json v = Json::object();
  for (int i = 0; i < 5000; ++i) v["junk" + std::to_string(i)] = i;
  auto r = validate(form, v, kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().details.size() == 201);
  CHECK(r.error().details.back().code == "too_many_errors");
}

TEST_CASE("parsers survive junk: non-objects, deep nesting, huge expressions") {
  const Dictionary dict = demo_dictionary();
  const Json deep = deep_array(2000);
  for (const Json* j : {&deep}) {
    CHECK_FALSE(parse_dictionary(*j).ok());
    CHECK_FALSE(parse_form(*j, dict).ok());
  }
  for (const Json& j : {Json(), Json(1), Json::array(), Json("x")}) {
    CHECK_FALSE(parse_dictionary(j).ok());
    CHECK_FALSE(parse_form(j, dict).ok());
  }
  Json form = load_json(std::string(YB_DEMO_DIR) + "/resident_household.json");
  form["sections"][0]["fields"][0]["relevant"] = std::string(100000, '(');
  form["sections"][0]["fields"][1]["constraint"] = deep_array(100);
  form["sections"][0]["fields"][2]["label"] = Json::array();
  auto r = parse_form(form, dict);
  REQUIRE_FALSE(r.ok());
  std::vector<std::string> paths;
  for (const auto& e : r.error().details) paths.push_back(e.path + " " + e.code);
  CHECK(paths == std::vector<std::string>{"sections[0].fields[1].constraint type",
                                          "sections[0].fields[2].label type",
                                          "sections[0].fields[0].relevant too_long"});
}
