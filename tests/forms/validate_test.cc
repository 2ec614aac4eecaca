#include <doctest/doctest.h>

#include "forms/id_number.h"
#include "forms/messages.h"
#include "test_util.h"

using namespace yb::forms;
using namespace yb::forms::testing;
using yb::Result;

namespace {

const ValidationOptions kOpts{"2024-06-01"};

// Validates one value of a one-field form.
Result<Json> one(const char* field_json, const Json& value, const char* key) {
  Form f = make_form(std::string("[") + field_json + "]");
  return validate(f, Json{{key, value}}, kOpts);
}

Json ok_value(const char* field_json, const Json& value, const char* key) {
  auto r = one(field_json, value, key);
  REQUIRE_MESSAGE(r.ok(), value.dump(), " -> ", dump_errors(r));
  return r.value().contains(key) ? r.value()[key] : Json();
}

std::string bad_code(const char* field_json, const Json& value, const char* key) {
  auto r = one(field_json, value, key);
  if (r.ok() || r.error().details.empty()) return "";
  return r.error().details[0].code;
}

}  // namespace

TEST_CASE("text: trimmed, CRLF folded, control characters, length and pattern") {
  const char* f = R"({"field": "p.name", "required": true})";
  CHECK(ok_value(f, "  张三\t", "p.name") == "张三");
  CHECK(ok_value(f, 42, "p.name") == "42");
  CHECK(ok_value(R"({"field": "p.note"})", "a\r\nb", "p.note") == "a\nb");
  CHECK(bad_code(f, "张\x01三", "p.name") == "invalid_character");
  CHECK(bad_code(f, "\xC3\x28", "p.name") == "invalid_character");
  CHECK(bad_code(f, "一二三四五六七八九十一", "p.name") == "max_length");
  CHECK(ok_value(f, "一二三四五六七八九十", "p.name") == "一二三四五六七八九十");
  CHECK(bad_code(f, true, "p.name") == "type");
  CHECK(bad_code(f, Json::object(), "p.name") == "type");
  CHECK(bad_code(f, "   ", "p.name") == "required");
  CHECK(bad_code(R"({"field": "p.note"})", std::string(201, 'a'), "p.note") == "max_length");
  const char* code = R"({"field": "p.code"})";
  CHECK(ok_value(code, "AB12", "p.code") == "AB12");
  CHECK(bad_code(code, "ab12", "p.code") == "pattern");
  CHECK(bad_code(code, "AB1", "p.code") == "min_length");
}

TEST_CASE("integer: JSON integers, integral floats and digit strings; range") {
  const char* f = R"({"field": "p.age"})";
  CHECK(ok_value(f, 80, "p.age") == 80);
  CHECK(ok_value(f, 80.0, "p.age") == 80);
  CHECK(ok_value(f, " 80 ", "p.age") == 80);
  CHECK(ok_value(f, "８０", "p.age") == 80);
  CHECK(ok_value(f, "", "p.age").is_null());
  CHECK(bad_code(f, 80.5, "p.age") == "type");
  CHECK(bad_code(f, "80岁", "p.age") == "type");
  CHECK(bad_code(f, "1e3", "p.age") == "type");
  CHECK(bad_code(f, std::nan(""), "p.age") == "type");
  CHECK(bad_code(f, Json::array({1}), "p.age") == "type");
  CHECK(bad_code(f, -1, "p.age") == "min");
  CHECK(bad_code(f, "151", "p.age") == "max");
  CHECK(bad_code(f, "99999999999999999999", "p.age") == "type");
}

TEST_CASE("decimal: numbers and decimal strings; range") {
  const char* f = R"({"field": "p.income"})";
  CHECK(ok_value(f, 1200.5, "p.income") == 1200.5);
  CHECK(ok_value(f, "1200.50", "p.income") == 1200.5);
  CHECK(ok_value(f, 0, "p.income") == 0.0);
  CHECK(bad_code(f, "12,00", "p.income") == "type");
  CHECK(bad_code(f, "1.", "p.income") == "type");
  CHECK(bad_code(f, "NaN", "p.income") == "type");
  CHECK(bad_code(f, "inf", "p.income") == "type");
  CHECK(bad_code(f, -0.5, "p.income") == "min");
}

TEST_CASE("boolean: true/false and common spellings") {
  const char* f = R"({"field": "p.flag", "required": true})";
  CHECK(ok_value(f, true, "p.flag") == true);
  CHECK(ok_value(f, false, "p.flag") == false);
  CHECK(ok_value(f, "true", "p.flag") == true);
  CHECK(ok_value(f, "FALSE", "p.flag") == false);
  CHECK(ok_value(f, "1", "p.flag") == true);
  CHECK(ok_value(f, "0", "p.flag") == false);
  CHECK(ok_value(f, "on", "p.flag") == true);
  CHECK(ok_value(f, 0, "p.flag") == false);
  CHECK(bad_code(f, "maybe", "p.flag") == "type");
  CHECK(bad_code(f, 2, "p.flag") == "type");
  CHECK(bad_code(f, nullptr, "p.flag") == "required");
}

TEST_CASE("date: spellings normalised, calendar checked, bounds incl. today") {
  const char* f = R"({"field": "p.birth"})";
  CHECK(ok_value(f, "1950/3/7", "p.birth") == "1950-03-07");
  CHECK(ok_value(f, "1950年3月7日", "p.birth") == "1950-03-07");
  CHECK(ok_value(f, 19500307, "p.birth") == "1950-03-07");
  CHECK(ok_value(f, "2024-02-29", "p.birth") == "2024-02-29");
  CHECK(bad_code(f, "2023-02-29", "p.birth") == "date_format");
  CHECK(bad_code(f, "yesterday", "p.birth") == "date_format");
  CHECK(bad_code(f, "1899-12-31", "p.birth") == "min");
  CHECK(bad_code(f, "2024-06-02", "p.birth") == "max");  // after today
  CHECK(bad_code(f, 1.5, "p.birth") == "type");
}

TEST_CASE("select_one: codes, numbers as codes, zh labels; not_a_choice") {
  const char* f = R"({"field": "p.sex"})";
  CHECK(ok_value(f, "1", "p.sex") == "1");
  CHECK(ok_value(f, 2, "p.sex") == "2");
  CHECK(ok_value(f, "女", "p.sex") == "2");
  CHECK(bad_code(f, "3", "p.sex") == "not_a_choice");
  CHECK(bad_code(f, "M", "p.sex") == "not_a_choice");
  CHECK(bad_code(f, Json::array({"1"}), "p.sex") == "type");
}

TEST_CASE("select_multiple: arrays, space-separated strings, duplicates, limits") {
  const char* f = R"({"field": "p.risks"})";
  CHECK(ok_value(f, Json::array({"b", "a"}), "p.risks") == Json::array({"a", "b"}));
  CHECK(ok_value(f, "c a", "p.risks") == Json::array({"a", "c"}));
  CHECK(ok_value(f, Json::array(), "p.risks").is_null());
  CHECK(bad_code(f, Json::array({"a", "z"}), "p.risks") == "not_a_choice");
  CHECK(bad_code(f, Json::array({"a", "a"}), "p.risks") == "duplicate_choice");
  CHECK(bad_code(f, Json::array({"a", "b", "c"}), "p.risks") == "max_items");
  CHECK(bad_code(f, Json::array({Json::object()}), "p.risks") == "type");
  CHECK(bad_code(f, true, "p.risks") == "type");
}

TEST_CASE("id_number: normalised to 18 upper-case ASCII; each problem has its code") {
  const char* f = R"({"field": "p.id"})";
  CHECK(ok_value(f, "11010519491231002x", "p.id") == "11010519491231002X");
  CHECK(ok_value(f, "110105491231002", "p.id") == "11010519491231002X");
  CHECK(ok_value(f, "１１０１０５１９４９１２３１００２ｘ", "p.id") == "11010519491231002X");
  CHECK(bad_code(f, "110105194912310021", "p.id") == "check_digit");
  CHECK(bad_code(f, "1101051949123100", "p.id") == "id_format");
  CHECK(bad_code(f, "110105194902300020", "p.id") == "id_birth_date");
  CHECK(bad_code(f, Json::array(), "p.id").empty());  // [] is missing, not an error
  CHECK(bad_code(f, 3.5, "p.id") == "type");
  // born after "today"
  std::string future = "11010520300101001";
  future += id_check_char(future);
  CHECK(bad_code(f, future, "p.id") == "id_birth_date");
}

TEST_CASE("id_number messages name the field and say what to do") {
  Form form = demo_form();
  auto r = validate(form, Json{{"person.id_number", "110105194912310021"}}, kOpts);
  REQUIRE_FALSE(r.ok());
  bool seen = false;
  for (const auto& e : r.error().details) {
    if (e.path == "person.id_number") {
      seen = true;
      CHECK(e.code == "check_digit");
      CHECK(e.message.zh == "身份证号（户主）第18位校验码不对，请核对后重新输入");
      CHECK(e.message.en ==
            "ID number (head of household): the check character (18th) is wrong; please check "
            "and retype it");
      // Uyghur, from its own catalogue (messages_ug.cc), naming the field by its ug label.
      CHECK(e.message.ug ==
            "كىملىك نومۇرى (ئائىلە باشلىقى) نىڭ 18-خانىسى (تەكشۈرۈش خانىسى) خاتا، تەكشۈرۈپ "
            "قايتا كىرگۈزۈڭ");
    }
  }
  CHECK(seen);
}

TEST_CASE("Uyghur messages: every answer check has one; untranslated ids stay empty (zh shown)") {
  // A repeat item's field: both names in Uyghur; a field without a ug label: its zh label.
  Form form = demo_form();
  auto r = validate(
      form, Json::parse(R"({"household.members": [{"name": "", "sex": "1", "relation": "02"}]})"),
      kOpts);
  REQUIRE_FALSE(r.ok());
  bool seen = false;
  for (const auto& e : r.error().details) {
    CHECK_FALSE(e.message.ug.empty());
    if (e.path == "household.members[0].name") {
      seen = true;
      CHECK(e.message.ug.find("ئەزانىڭ ئىسمى") != std::string::npos);
      CHECK(e.message.ug.find("تولدۇرۇڭ") != std::string::npos);
    }
  }
  CHECK(seen);
  for (const char* id : {"required",
                         "type",
                         "min",
                         "max",
                         "date.min",
                         "date.max",
                         "min_length",
                         "max_length",
                         "pattern",
                         "invalid_character",
                         "not_a_choice",
                         "duplicate_choice",
                         "id_format",
                         "id_birth_date",
                         "check_digit",
                         "phone_format",
                         "date_format",
                         "min_items",
                         "max_items",
                         "constraint",
                         "unknown_field",
                         "validation_failed",
                         "too_many_errors"}) {
    CAPTURE(id);
    CHECK_FALSE(msg(id, {same("x"), same("1")}).ug.empty());
  }
  CHECK(msg("expr.div_zero").ug.empty());  // designers' messages: Chinese and English only
}

TEST_CASE("phone: prefixes stripped, landline digits kept, bad numbers rejected") {
  const char* f = R"({"field": "p.phone"})";
  CHECK(ok_value(f, "+86 138-0013-8000", "p.phone") == "13800138000");
  CHECK(ok_value(f, 13800138000, "p.phone") == "13800138000");
  CHECK(ok_value(f, "0991-1234567", "p.phone") == "09911234567");
  CHECK(bad_code(f, "12345", "p.phone") == "phone_format");
  CHECK(bad_code(f, "1380013800a", "p.phone") == "phone_format");
}

TEST_CASE("repeat: items validated with indexed paths, limits, unknown keys") {
  Form form = make_form(R"json([
    {"field": "h.members", "required": true, "fields": [
      {"key": "name", "field": "p.name", "required": true},
      {"key": "id", "field": "p.id"},
      {"key": "age", "field": "p.age"}
    ]}
  ])json");
  auto r = validate(form, Json::parse(R"json({"h.members": [
      {"name": "张三", "id": "11010519491231002x", "age": "70"},
      {"name": "", "id": "110105194912310021", "colour": "red"},
      "not an object"
  ]})json"),
                    kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r, "h.members[1].name", "required"));
  CHECK(has_error(r, "h.members[1].id", "check_digit"));
  CHECK(has_error(r, "h.members[1].colour", "unknown_field"));
  CHECK(has_error(r, "h.members[2]", "type"));
  CHECK(r.error().details.size() == 4);
  for (const auto& e : r.error().details) {
    if (e.path == "h.members[1].id") CHECK(e.message.zh.find("家庭成员第2项的身份证号") == 0);
  }
  auto ok =
      validate(form, Json::parse(R"({"h.members": [{"name": " 张三 ", "age": "70"}]})"), kOpts);
  REQUIRE_MESSAGE(ok.ok(), dump_errors(ok));
  CHECK(ok.value()["h.members"][0] == Json::parse(R"({"name": "张三", "age": 70})"));
  CHECK(has_error(validate(form, Json::parse(R"({"h.members": []})"), kOpts), "h.members",
                  "required"));
  CHECK(has_error(validate(form, Json::parse(R"({"h.members": {"name": "x"}})"), kOpts),
                  "h.members", "type"));
  Json four = Json::array();
  for (int i = 0; i < 4; ++i) four.push_back(Json{{"name", "x"}});
  CHECK(has_error(validate(form, Json{{"h.members", four}}, kOpts), "h.members", "max_items"));
}

TEST_CASE("validation returns ALL errors at once, in document order") {
  Form form = make_form(R"json([
    {"field": "p.name", "required": true},
    {"field": "p.age"},
    {"field": "p.sex"},
    {"field": "p.id"},
    {"field": "p.phone"}
  ])json");
  auto r = validate(
      form, Json::parse(R"({"p.age": "x", "p.sex": "7", "p.id": "1", "p.phone": "2", "zz": 1})"),
      kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == yb::ErrorKind::kValidation);
  CHECK(error_list(r) == std::vector<std::string>{"zz unknown_field", "p.name required",
                                                  "p.age type", "p.sex not_a_choice",
                                                  "p.id id_format", "p.phone phone_format"});
  for (const auto& e : r.error().details) {
    CHECK_FALSE(e.message.zh.empty());
    CHECK_FALSE(e.message.en.empty());
  }
}

TEST_CASE("values must be an object") {
  Form form = make_form(R"([{"field": "p.name"}])");
  for (const Json& v : {Json::array(), Json("x"), Json(), Json(1)}) {
    auto r = validate(form, v, kOpts);
    REQUIRE_FALSE(r.ok());
    CHECK(error_list(r) == std::vector<std::string>{" type"});
  }
}

TEST_CASE("relevance: non-relevant values are dropped silently and not required") {
  Form form = make_form(R"json([
    {"field": "p.flag"},
    {"field": "p.sex", "required": true, "relevant": "${p.flag} = true"},
    {"field": "p.code", "relevant": "${p.flag}"}
  ])json");
  auto r = validate(form, Json::parse(R"({"p.flag": false, "p.sex": "nonsense", "p.code": "bad"})"),
                    kOpts);
  REQUIRE_MESSAGE(r.ok(), dump_errors(r));
  CHECK(r.value() == Json::parse(R"({"p.flag": false})"));
  auto missing = validate(form, Json::object(), kOpts);  // flag missing -> null -> not relevant
  CHECK(missing.ok());
  auto rel = validate(form, Json::parse(R"({"p.flag": "1", "p.code": "bad1"})"), kOpts);
  CHECK(error_list(rel) == std::vector<std::string>{"p.sex required", "p.code pattern"});
}

TEST_CASE("calculate: computed server-side, overwriting the client's value, chained") {
  Form form = make_form(R"json([
    {"field": "p.birth"},
    {"field": "p.age", "calculate": "age(${p.birth})", "readonly": true},
    {"field": "p.flag", "calculate": "${p.age} >= 80"},
    {"field": "p.total", "calculate": "sum(${h.members.p.income}) + 0.5"},
    {"field": "h.members", "fields": [{"field": "p.income"}]}
  ])json");
  auto r = validate(form, Json::parse(R"({"p.birth": "1944年6月1日", "p.age": 3, "p.flag": false,
                                         "h.members": [{"p.income": "100"}, {"p.income": 20.5}]})"),
                    kOpts);
  REQUIRE_MESSAGE(r.ok(), dump_errors(r));
  CHECK(r.value()["p.age"] == 80);
  CHECK(r.value()["p.flag"] == true);
  CHECK(r.value()["p.total"] == 121.0);
  auto none = validate(form, Json::object(), kOpts);
  REQUIRE(none.ok());
  CHECK_FALSE(none.value().contains("p.age"));
  CHECK(none.value()["p.flag"] == false);
}

TEST_CASE("unknown keys are named beside a calculated field's value the client sent") {
  Form form = make_form(R"json([
    {"field": "p.birth"},
    {"field": "p.age", "calculate": "age(${p.birth})", "readonly": true},
    {"field": "h.members", "fields": [{"field": "p.income"}]}
  ])json");
  // The calculated key is the form's (its value is ignored); the others are not.
  auto r = validate(form, Json::parse(R"({"p.birth": "1944-06-01", "p.age": 3, "zz": 1,
                                         "h.members": [{"p.income": 1, "p.age": 2}]})"),
                    kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(error_list(r) ==
        std::vector<std::string>{"zz unknown_field", "h.members[0].p.age unknown_field"});
}

TEST_CASE("calculate: a result of the wrong type is an expression_error, not a crash") {
  Form form = make_form(R"json([
    {"field": "p.age", "calculate": "'abc'"},
    {"field": "p.income", "calculate": "'a' * 2"}
  ])json");
  auto r = validate(form, Json::object(), kOpts);
  CHECK(error_list(r) ==
        std::vector<std::string>{"p.age expression_error", "p.income expression_error"});
}

TEST_CASE("constraints: custom message, generic message, evaluation errors, sibling scope") {
  Form form = make_form(R"json([
    {"field": "p.age", "constraint": ". >= 18",
     "constraint_message": {"zh-CN": "须年满18周岁", "en": "Must be 18 or older"}},
    {"field": "p.income", "constraint": ". < ${p.age} * 1000"},
    {"field": "p.name", "constraint": ". * 2 > 1"},
    {"field": "h.members", "fields": [
      {"field": "p.age"},
      {"field": "p.income", "constraint": ". <= ${p.age} * 10", "relevant": "${p.age} > 0"}
    ]}
  ])json");
  auto r = validate(form, Json::parse(R"({"p.age": 10, "p.income": 20000, "p.name": "x",
      "h.members": [{"p.age": 1, "p.income": 5}, {"p.age": 2, "p.income": 50}, {"p.age": 0, "p.income": 9}]})"),
                    kOpts);
  CHECK(error_list(r) == std::vector<std::string>{"p.age constraint", "p.income constraint",
                                                  "p.name expression_error",
                                                  "h.members[1].p.income constraint"});
  CHECK(r.error().details[0].message.zh == "须年满18周岁");
  CHECK(r.error().details[1].message.zh == "收入填写的内容不符合要求，请核对");
  CHECK(r.error().details[2].message.en.find("Name: the form's rule could not be checked") == 0);
}

TEST_CASE("readonly fields may be omitted even when required") {
  Form form = make_form(R"([{"field": "p.name", "required": true, "readonly": true}])");
  CHECK(validate(form, Json::object(), kOpts).ok());
}
