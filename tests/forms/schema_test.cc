#include <doctest/doctest.h>

#include <set>

#include "test_util.h"

using namespace yb::forms;
using namespace yb::forms::testing;

namespace {

std::set<std::string> error_paths(const yb::Error& e) {
  std::set<std::string> out;
  for (const auto& d : e.details) out.insert(d.path + " " + d.code);
  return out;
}

}  // namespace

TEST_CASE("field types round-trip through their names") {
  for (const char* n : {"text", "integer", "decimal", "boolean", "date", "select_one",
                        "select_multiple", "id_number", "phone", "repeat"}) {
    auto t = field_type_from_string(n);
    REQUIRE(t);
    CHECK(std::string(to_string(*t)) == n);
  }
  CHECK_FALSE(field_type_from_string("number"));
}

TEST_CASE("parse_dictionary reports every problem at once with paths") {
  auto r = parse_dictionary(Json::parse(R"json({"fields": [
    {"key": "a.b", "type": "texty", "label": "甲"},
    {"key": "Bad Key", "type": "text", "label": "乙", "colour": "red"},
    {"key": "c", "type": "select_one", "label": "丙"},
    {"key": "d", "type": "text", "label": "丁", "constraints": {"min": 1, "pattern": "("}},
    {"key": "e", "type": "integer", "label": {"en": "no zh"}, "constraints": {"min": 5, "max": 1}},
    {"key": "f", "type": "select_one", "label": "戊",
     "choices": [{"value": "1", "label": "x"}, {"value": "1", "label": "y"}]},
    {"key": "g", "type": "text", "label": "己", "sensitivity": "secret", "subject": "pet"},
    {"key": "c", "type": "text", "label": "重复"},
    "not an object"
  ], "extra": 1})json"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == yb::ErrorKind::kValidation);
  const auto paths = error_paths(r.error());
  for (const char* p :
       {"fields[0].type bad_type", "fields[1].key bad_key", "fields[1].colour unknown_key",
        "fields[2].choices required", "fields[3].constraints.min not_for_type",
        "fields[3].constraints.pattern pattern", "fields[4].label.zh-CN required",
        "fields[4].constraints.min min_gt_max", "fields[5].choices[1].value duplicate",
        "fields[6].sensitivity bad_value", "fields[6].subject bad_value", "fields[8] type",
        "extra unknown_key"}) {
    CHECK_MESSAGE(paths.count(p), p);
  }
}

TEST_CASE("parse_dictionary: duplicate keys are reported") {
  auto r = parse_dictionary(Json::parse(
      R"({"fields": [{"key": "a", "type": "text", "label": "甲"}, {"key": "a", "type": "text", "label": "乙"}]})"));
  REQUIRE_FALSE(r.ok());
  CHECK(error_paths(r.error()).count("fields[1].key duplicate"));
  CHECK_FALSE(parse_dictionary(Json::array()).ok());
  CHECK_FALSE(parse_dictionary(Json()).ok());
}

TEST_CASE("parse_form reports unknown fields, bad expressions and duplicates with paths") {
  const Dictionary dict = small_dictionary();
  auto r = parse_form(Json::parse(R"json({
    "id": "t", "version": 0, "status": "live", "title": "表", "bogus": true,
    "sections": [{"id": "s", "title": "节", "fields": [
      {"field": "p.name"},
      {"field": "p.nope"},
      {"field": "p.age", "relevant": "${p.name} = "},
      {"field": "p.income", "constraint": ". > ${p.unknown}"},
      {"field": "p.flag", "calculate": "frob(1)"},
      {"field": "p.sex", "relevant": "if(1, 2)"},
      {"field": "p.name"},
      {"field": "p.birth", "calculate": ". + 1"},
      {"field": "p.note", "constraints": {"min": 3}},
      {"field": "h.members", "fields": [
        {"key": "n", "field": "p.name", "relevant": "${m} = 1"},
        {"key": "n", "field": "p.note"},
        {"key": "inner", "field": "h.members", "fields": []}
      ]},
      {"field": "p.phone", "fields": []}
    ]}, {"id": "s", "title": "二", "fields": []}]})json"),
                      dict);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == yb::ErrorKind::kValidation);
  const auto paths = error_paths(r.error());
  for (const char* p :
       {"bogus unknown_key", "version type", "status bad_value",
        "sections[0].fields[1].field unknown_field", "sections[0].fields[2].relevant syntax",
        "sections[0].fields[3].constraint unknown_reference",
        "sections[0].fields[4].calculate unknown_function", "sections[0].fields[5].relevant arity",
        "sections[0].fields[6].key duplicate", "sections[0].fields[7].calculate syntax",
        "sections[0].fields[8].constraints.min not_for_type",
        "sections[0].fields[9].fields[1].key duplicate",
        "sections[0].fields[9].fields[2].fields nested_repeat",
        "sections[0].fields[10].fields not_for_type", "sections[1].id duplicate"}) {
    CHECK_MESSAGE(paths.count(p), p);
  }
  // the message says where in the expression
  bool found = false;
  for (const auto& d : r.error().details) {
    if (d.path == "sections[0].fields[2].relevant") {
      found = d.message.en.find("at character 13") != std::string::npos;
    }
  }
  CHECK(found);
}

TEST_CASE("parse_form: references to later fields, siblings and repeat projections are known") {
  Form f = make_form(R"json([
    {"field": "p.total", "calculate": "sum(${h.members.p.income}) + ${p.age}"},
    {"field": "p.age"},
    {"field": "h.members", "fields": [
      {"key": "name", "field": "p.name", "relevant": "${p.income} > 0 and ${p.age} > 1"},
      {"field": "p.income"}
    ]}
  ])json");
  CHECK(f.sections[0].fields[0].calculate_expr != nullptr);
  CHECK(f.sections[0].fields[2].children.size() == 2);
}

TEST_CASE("Form::to_json has the documented shape") {
  Form form = demo_form();
  const Json j = form.to_json();
  CHECK(j["id"] == "resident_household");
  CHECK(j["version"] == 1);
  CHECK(j["status"] == "published");
  CHECK(j["title"]["zh-CN"] == "居民及家庭信息采集表（一表通）");
  CHECK(j["title"].contains("en"));
  CHECK(j["title"].contains("ug"));
  REQUIRE(j["sections"].is_array());
  std::set<std::string> types;
  for (const auto& s : j["sections"]) {
    CHECK(s.contains("id"));
    CHECK(s["title"].contains("zh-CN"));
    for (const auto& f : s["fields"]) {
      for (const char* k : {"key", "field", "type", "label", "hint", "required", "constraints",
                            "readonly", "sensitivity", "subject"}) {
        CHECK_MESSAGE(f.contains(k), f["key"], " lacks ", k);
      }
      CHECK(f["label"].contains("zh-CN"));
      CHECK(f["required"].is_boolean());
      CHECK(f["constraints"].is_object());
      const std::string t = f["type"];
      types.insert(t);
      CHECK(field_type_from_string(t));
      if (t == "select_one" || t == "select_multiple") {
        REQUIRE(f["choices"].is_array());
        CHECK(f["choices"][0]["value"].is_string());
        CHECK(f["choices"][0]["label"].contains("zh-CN"));
      }
      if (t == "repeat") {
        REQUIRE(f["fields"].is_array());
        CHECK(f["fields"][0].contains("key"));
      }
      for (const char* k : {"relevant", "constraint", "calculate"}) {
        if (f.contains(k)) CHECK_FALSE(f[k].get<std::string>().empty());
      }
      const std::string sens = f["sensitivity"];
      CHECK((sens == "public" || sens == "personal" || sens == "sensitive"));
    }
  }
  CHECK(types.size() >= 9);  // the demo uses every type but one at least
  // details of particular fields
  const Json& hs = j["sections"][1]["fields"][0];
  CHECK(hs["key"] == "household.size");
  CHECK(hs["constraints"]["min"] == 1);
  CHECK(hs["constraints"]["min"].is_number_integer());
  CHECK(hs["constraint"] == ". >= count(${household.members})");
  CHECK(hs["constraint_message"]["zh-CN"].is_string());
  const Json& age = j["sections"][0]["fields"][5];
  CHECK(age["key"] == "person.age");
  CHECK(age["calculate"] == "age(${person.birth_date})");
  CHECK(age["readonly"] == true);
  CHECK(j["sections"][0]["fields"][0]["constraints"]["max_length"] == 50);
  CHECK(j["sections"][0]["fields"][0].contains("relevant") == false);
}

TEST_CASE("defaults: text max_length 200 and repeat max_items 50 are filled in") {
  Form f = make_form(R"([{"field": "p.note"}])");
  CHECK(f.sections[0].fields[0].constraints.max_length == kDefaultTextMaxLength);
  CHECK(f.to_json()["sections"][0]["fields"][0]["constraints"]["max_length"] == 200);
}

TEST_CASE("Dictionary::to_json lists every field and parses back") {
  const Dictionary d = demo_dictionary();
  const Json j = d.to_json();
  CHECK(j["fields"].size() == d.fields().size());
  auto again = parse_dictionary(j);
  REQUIRE(again.ok());
  CHECK(again.value().to_json() == j);
  const DictionaryField* id = d.find("person.id_number");
  REQUIRE(id);
  CHECK(id->type == FieldType::kIdNumber);
  CHECK(d.find("disability.cert_number")->sensitivity == Sensitivity::kSensitive);
  CHECK(d.find("nope") == nullptr);
}
