// The published demo form accepts what /work/shared/contract/gen_values.py makes from its
// to_json(): every field filled (non-relevant ones too), calculated/readonly fields skipped,
// the same ID number and birth date everywhere.
#include <doctest/doctest.h>

#include <random>

#include "forms/id_number.h"
#include "test_util.h"

using namespace yb::forms;
using namespace yb::forms::testing;

namespace {

// Verbatim output of `gen_values.py form.json SEED` for seeds 7, 11 and 42.
const char* const kGenValues[] = {
    R"json({"values": {"person.name": "张建国", "person.id_number": "110101194003166678", "person.sex": "1", "person.ethnicity": "01", "person.birth_date": "1940-03-16", "person.phone": "13871924865", "person.registered_address": "南高村三组12号", "person.current_address": "南高村三组12号", "household.size": 1, "household.members": [{"name": "张志强", "id_number": "110101194003166678", "sex": "1", "relation": "02", "birth_date": "1940-03-16"}], "welfare.low_income_status": "0", "household.annual_income": 0.0, "risk.type": ["1"], "person.has_disability": false, "disability.type": "1", "disability.grade": "1", "disability.cert_number": "测试", "person.bank_account": "测试", "event.survey_date": "1940-03-16"}})json",
    R"json({"values": {"person.name": "王秀英", "person.id_number": "110101194408175214", "person.sex": "1", "person.ethnicity": "01", "person.birth_date": "1944-08-17", "person.phone": "13868707214", "person.registered_address": "南高村三组12号", "person.current_address": "南高村三组12号", "household.size": 1, "household.members": [{"name": "赵秀英", "id_number": "110101194408175214", "sex": "1", "relation": "02", "birth_date": "1944-08-17"}], "welfare.low_income_status": "0", "household.annual_income": 0.0, "risk.type": ["1"], "person.has_disability": false, "disability.type": "1", "disability.grade": "1", "disability.cert_number": "测试", "person.bank_account": "测试", "event.survey_date": "1944-08-17"}})json",
    R"json({"values": {"person.name": "李秀英", "person.id_number": "110101195002107590", "person.sex": "1", "person.ethnicity": "01", "person.birth_date": "1950-02-10", "person.phone": "13829958838", "person.registered_address": "南高村三组12号", "person.current_address": "南高村三组12号", "household.size": 1, "household.members": [{"name": "王建国", "id_number": "110101195002107590", "sex": "1", "relation": "02", "birth_date": "1950-02-10"}], "welfare.low_income_status": "0", "household.annual_income": 0.0, "risk.type": ["1"], "person.has_disability": false, "disability.type": "1", "disability.grade": "1", "disability.cert_number": "测试", "person.bank_account": "测试", "event.survey_date": "1950-02-10"}})json"};

// A C++ rendering of gen_values.py's rules, driven by the form's own to_json().
Json fields_of(const Json& node) {
  if (node.contains("fields")) return node["fields"];
  Json out = Json::array();
  for (const auto& s : node["sections"]) {
    for (const auto& f : s["fields"]) out.push_back(f);
  }
  return out;
}

struct Gen {
  std::mt19937 rnd;
  std::string birth, id;

  Json value_for(const Json& f) {
    const std::string t = f["type"];
    const std::string key = f["key"];
    const Json cons = f.value("constraints", Json::object());
    if (t == "repeat") return Json::array({gen(f["fields"])});
    if (t == "id_number" || key.find("id_number") != std::string::npos) return id;
    if (t == "integer") return cons.contains("min") ? Json(cons["min"].get<int>()) : Json(3);
    if (t == "decimal")
      return cons.contains("min") ? Json(cons["min"].get<double>()) : Json(1200.5);
    if (t == "boolean") return false;
    if (t == "date") return birth.substr(0, 4) + "-" + birth.substr(4, 2) + "-" + birth.substr(6);
    if (t == "select_one") return f["choices"][0]["value"];
    if (t == "select_multiple") return Json::array({f["choices"][0]["value"]});
    if (t == "phone" || key.find("phone") != std::string::npos) {
      return "138" + std::to_string(10000000 + rnd() % 90000000);
    }
    if (key.find("name") != std::string::npos) return "王建国";
    if (key.find("address") != std::string::npos) return "南高村三组12号";
    return "测试";
  }
  Json gen(const Json& fields) {
    Json out = Json::object();
    for (const auto& f : fields) {
      if (f.contains("calculate") || f.value("readonly", false)) continue;
      out[f["key"].get<std::string>()] = value_for(f);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("demo dictionary and form parse, and the form is published") {
  Form form = demo_form();
  CHECK(form.id == "resident_household");
  CHECK(form.version == 1);
  CHECK(form.status == FormStatus::kPublished);
  CHECK(form.title.zh == "居民及家庭信息采集表（一表通）");
  CHECK_FALSE(form.title.ug.empty());
}

TEST_CASE("demo form accepts verbatim gen_values.py output and normalises it") {
  Form form = demo_form();
  for (const char* line : kGenValues) {
    const Json values = Json::parse(line)["values"];
    auto r = validate(form, values, {"2024-06-01"});
    INFO(line);
    REQUIRE_MESSAGE(r.ok(), dump_errors(r));
    const Json& out = r.value();
    // non-relevant answers are dropped silently
    CHECK_FALSE(out.contains("disability.type"));
    CHECK_FALSE(out.contains("disability.cert_number"));
    CHECK_FALSE(out.contains("risk.type"));
    // calculated fields are computed
    REQUIRE(out.contains("person.age"));
    CHECK(out["person.age"].is_number_integer());
    CHECK(out["person.age_80_plus"] == (out["person.age"].get<int>() >= 80));
    CHECK(out["household.members"].size() == 1);
  }
}

TEST_CASE("demo form accepts gen_values-shaped answers for seeds 1..50") {
  Form form = demo_form();
  const Json fj = form.to_json();
  for (unsigned seed = 1; seed <= 50; ++seed) {
    Gen g{std::mt19937(seed), "", ""};
    g.birth = "19" + std::to_string(30 + g.rnd() % 30) + "0" + std::to_string(1 + g.rnd() % 8) +
              "1" + std::to_string(g.rnd() % 9);
    std::string body = "110101" + g.birth;
    const unsigned seq = (g.rnd() % 499) * 2 + 1;
    body += std::string(seq < 10 ? "00" : seq < 100 ? "0" : "") + std::to_string(seq);
    g.id = body + id_check_char(body);
    const Json values = g.gen(fields_of(fj));
    auto r = validate(form, values, {"2024-06-01"});
    INFO("seed ", seed, " values ", values.dump());
    CHECK_MESSAGE(r.ok(), dump_errors(r));
  }
}

TEST_CASE("demo form: disability answers are checked when relevant") {
  Form form = demo_form();
  Json v = Json::parse(kGenValues[0])["values"];
  v["person.has_disability"] = true;
  v["disability.type"] = "4";
  v["disability.grade"] = "2";
  v["disability.cert_number"] = v["person.id_number"].get<std::string>() + "42";
  auto ok = validate(form, v, {"2024-06-01"});
  REQUIRE_MESSAGE(ok.ok(), dump_errors(ok));
  CHECK(ok.value()["disability.cert_number"] == v["disability.cert_number"]);
  v["disability.cert_number"] = v["person.id_number"].get<std::string>() + "43";
  auto bad = validate(form, v, {"2024-06-01"});
  CHECK(has_error(bad, "disability.cert_number", "constraint"));
  CHECK(bad.error().details[0].message.zh.find("残疾证号应为") == 0);
  v["disability.cert_number"] = "测试";
  CHECK(has_error(validate(form, v, {"2024-06-01"}), "disability.cert_number", "pattern"));
  v.erase("disability.type");
  CHECK(has_error(validate(form, v, {"2024-06-01"}), "disability.type", "required"));
}

TEST_CASE("demo form: household size must cover the members listed") {
  Form form = demo_form();
  Json v = Json::parse(kGenValues[1])["values"];
  v["household.members"].push_back(v["household.members"][0]);
  auto r = validate(form, v, {"2024-06-01"});
  CHECK(has_error(r, "household.size", "constraint"));
  v["household.size"] = "2";  // cadre forms post strings
  auto ok = validate(form, v, {"2024-06-01"});
  REQUIRE_MESSAGE(ok.ok(), dump_errors(ok));
  CHECK(ok.value()["household.size"] == 2);
}

TEST_CASE("demo form: an empty answer lists every required field at once") {
  Form form = demo_form();
  auto r = validate(form, Json::object(), {"2024-06-01"});
  REQUIRE_FALSE(r.ok());
  for (const char* key :
       {"person.name", "person.id_number", "person.sex", "person.ethnicity", "person.birth_date",
        "person.registered_address", "household.size", "household.members",
        "welfare.low_income_status", "household.annual_income", "person.has_disability"}) {
    CHECK_MESSAGE(has_error(r, key, "required"), key);
  }
  CHECK_FALSE(has_error(r, "person.age", "required"));
  CHECK_FALSE(has_error(r, "disability.type", "required"));  // not relevant
  CHECK(r.error().details.size() == 11);
}

TEST_CASE("docs/forms.md example: a cadre's answer is normalised as documented") {
  Form form = demo_form();
  Json v = Json::parse(
      R"json({"person.name": " 阿卜杜拉·艾力 ", "person.id_number": "65010219440601059x",
 "person.sex": "1", "person.ethnicity": "05", "person.birth_date": "1944年6月1日",
 "person.phone": "+86 138-0013-8000", "person.registered_address": "南高村三组12号",
 "household.size": "2",
 "household.members": [
   {"name": "阿卜杜拉·艾力", "id_number": "65010219440601059X", "sex": "1", "relation": "02"},
   {"name": "阿依古丽", "sex": "女", "relation": "10", "birth_date": "1950/3/7"}],
 "welfare.low_income_status": "1", "household.annual_income": "8600.50",
 "risk.type": "1 2", "person.has_disability": "0", "disability.type": "4"})json");
  auto r = validate(form, v, {"2024-06-01"});
  REQUIRE_MESSAGE(r.ok(), dump_errors(r));
  CHECK(r.value() == Json::parse(R"json({"household.annual_income": 8600.5,
 "household.members": [
   {"id_number": "65010219440601059X", "name": "阿卜杜拉·艾力", "relation": "02", "sex": "1"},
   {"birth_date": "1950-03-07", "name": "阿依古丽", "relation": "10", "sex": "2"}],
 "household.size": 2, "person.age": 80, "person.age_80_plus": true,
 "person.birth_date": "1944-06-01", "person.ethnicity": "05", "person.has_disability": false,
 "person.id_number": "65010219440601059X", "person.name": "阿卜杜拉·艾力",
 "person.phone": "13800138000", "person.registered_address": "南高村三组12号",
 "person.sex": "1", "risk.type": ["1", "2"], "welfare.low_income_status": "1"})json"));
  v["household.size"] = 1;
  v["household.members"][0]["id_number"] = "65010219440601059";
  auto bad = validate(form, v, {"2024-06-01"});
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.error().details.size() == 2);
  CHECK(bad.error().details[0].path == "household.size");
  CHECK(bad.error().details[0].code == "constraint");
  CHECK(bad.error().details[1].path == "household.members[0].id_number");
  CHECK(bad.error().details[1].code == "id_format");
  CHECK(bad.error().details[1].message.zh ==
        "家庭成员第1项的成员身份证号应为18位（或旧的15位）身份证号，请核对后重新输入");
  CHECK(bad.error().details[1].message.en ==
        "Household members #1: Member's ID number: an ID number has 18 characters (or 15 for old "
        "cards); please check and retype it");
}
