// What the registry takes from an answer: the main person, the household and each member,
// normalised, with fields keyed by dictionary field.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "core/json_text.h"
#include "dedupe/registry.h"

using namespace yb;

TEST_CASE("the demo form's answer gives a head, a household and its members") {
  auto dict = forms::parse_dictionary(nlohmann::json::parse(admin::demo_dictionary_json()));
  REQUIRE(dict.ok());
  auto form = forms::parse_form(nlohmann::json::parse(admin::demo_form_json()), *dict);
  REQUIRE(form.ok());
  auto v = admin::demo_sample_values(1);
  v["person.name"] = "張建國";  // traditional: simplified for matching
  v["person.phone"] = "+86 138 0013 8000";
  auto plan = dedupe::plan_subjects(*form, v, "130111200201");
  REQUIRE(plan.has_main);
  CHECK(plan.main.id_number == v["person.id_number"]);
  CHECK(plan.main.name_key == "张建国");
  CHECK(plan.main.phone == "13800138000");
  CHECK(plan.main.org_code == "130111200201");
  auto main_fields = nlohmann::json::parse(plan.main_fields);
  CHECK(main_fields.contains("person.phone"));
  CHECK_FALSE(main_fields.contains("household.size"));
  REQUIRE(plan.has_household);
  auto hh = nlohmann::json::parse(plan.household_fields);
  CHECK(hh["household.size"] == 2);
  CHECK_FALSE(hh.contains("household.members"));  // the members are subjects of their own
  REQUIRE(plan.members.size() == 2);
  auto spouse = nlohmann::json::parse(plan.members[1].second);
  CHECK(spouse.contains("person.name"));
  CHECK(spouse.contains("household.relation"));
  CHECK(plan.members[1].first.sex == "2");
  // Stored as json_dump() writes objects: keys in order, no spaces.
  for (const auto* text : {&plan.main_fields, &plan.household_fields, &plan.members[0].second}) {
    CHECK(*text == json_dump(nlohmann::json::parse(*text)));
  }
  CHECK(plan.main_fields.find("\"person.id_number\":\"" + v["person.id_number"].get<std::string>() +
                              "\"") != std::string::npos);
}

TEST_CASE("a dictionary field answered by two form fields keeps the later answer") {
  forms::Form form;
  forms::Section sec;
  for (const char* key : {"a", "b"}) {
    forms::FormField f;
    f.key = key;
    f.field = "person.name";
    f.def.subject = "person";
    sec.fields.push_back(f);
  }
  form.sections.push_back(sec);
  auto plan = dedupe::plan_subjects(form, nlohmann::json{{"a", "王一"}, {"b", "李二"}}, "x");
  REQUIRE(plan.has_main);
  CHECK(plan.main.name == "李二");
  CHECK(plan.main_fields == R"({"person.name":"李二"})");
}

TEST_CASE("an answer without a person gives nothing; members without a name are skipped") {
  auto dict = forms::parse_dictionary(nlohmann::json::parse(admin::demo_dictionary_json()));
  REQUIRE(dict.ok());
  auto form = forms::parse_form(nlohmann::json::parse(admin::demo_form_json()), *dict);
  REQUIRE(form.ok());
  auto empty = dedupe::plan_subjects(*form, nlohmann::json::object(), "130111200201");
  CHECK_FALSE(empty.has_main);
  CHECK(empty.members.empty());
  auto odd = dedupe::plan_subjects(
      *form, nlohmann::json{{"household.members", {{{"relation", "10"}}, 5, "x"}}}, "130111200201");
  CHECK_FALSE(odd.has_main);
  CHECK(odd.members.empty());
  CHECK(dedupe::plan_subjects(*form, nlohmann::json::array(), "x").members.empty());
}
