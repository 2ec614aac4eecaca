// The mapping language: every rule kind, nesting, code tables, dates, numbers, derive, each,
// join, when, all-errors-at-once, dictionary checks and data minimisation.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "connectors/mapping.h"
#include "core/json_text.h"
#include "forms/forms.h"

using namespace yb;
using namespace yb::connectors;

namespace {

const char* kToday = "2024-06-15";

forms::Dictionary dict() {
  auto d = forms::parse_dictionary(Json::parse(R"json({"fields": [
    {"key": "person.name", "type": "text", "label": "姓名"},
    {"key": "person.id_number", "type": "id_number", "label": "身份证号"},
    {"key": "person.sex", "type": "select_one", "label": "性别",
     "choices": [{"value": "1", "label": "男"}, {"value": "2", "label": "女"},
                 {"value": "9", "label": "未说明"}]},
    {"key": "person.birth_date", "type": "date", "label": "出生日期"},
    {"key": "person.phone", "type": "phone", "label": "电话"},
    {"key": "person.registered_address", "type": "text", "label": "户籍地址"},
    {"key": "person.current_address", "type": "text", "label": "现住址"},
    {"key": "person.has_disability", "type": "boolean", "label": "是否残疾"},
    {"key": "household.size", "type": "integer", "label": "人口"},
    {"key": "household.annual_income", "type": "decimal", "label": "收入"},
    {"key": "household.members", "type": "repeat", "label": "成员"},
    {"key": "household.relation", "type": "select_one", "label": "关系",
     "choices": [{"value": "02", "label": "户主"}, {"value": "10", "label": "配偶"},
                 {"value": "20", "label": "子"}]},
    {"key": "risk.type", "type": "select_multiple", "label": "风险",
     "choices": [{"value": "1", "label": "因病"}, {"value": "2", "label": "因残"},
                 {"value": "3", "label": "因学"}]}
  ]})json"));
  REQUIRE(d.ok());
  return d.value();
}

// A valid 18-digit ID number: born 1980-05-12, sequence 123 (odd → male).
const char* kMaleId = "11010519800512123";  // + check char, computed below

std::string full_id(const std::string& first17) {
  static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * w[i];
  return first17 + "10X98765432"[sum % 11];
}

Json values() {
  return Json{{"person.name", "阿卜杜拉·艾力"},
              {"person.id_number", full_id(kMaleId)},
              {"person.sex", "1"},
              {"person.birth_date", "1980-05-12"},
              {"person.phone", "13800138000"},
              {"person.registered_address", "新疆乌鲁木齐市天山区"},
              {"person.has_disability", true},
              {"household.size", 3},
              {"household.annual_income", 12345.5},
              {"risk.type", Json::array({"1", "3"})},
              {"household.members",
               Json::array({Json{{"name", "张三"}, {"relation", "02"}, {"sex", "1"}},
                            Json{{"name", "李四"}, {"relation", "10"}, {"sex", "2"}}})}};
}

Mapping parse_ok(const std::string& fields_json, const forms::Dictionary* d = nullptr) {
  auto m = parse_mapping(Json{{"fields", Json::parse(fields_json)}}, d);
  if (!m.ok()) {
    for (const auto& e : m.error().details) MESSAGE(e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(m.ok());
  return m.value();
}

// Every document a test checks is also rendered as text, which must be exactly the document's
// json_dump() (the text the outbox freezes) with its entry count.
Json apply_ok(const Mapping& m, const Json& v = values()) {
  auto r = apply_mapping(m, v, kToday);
  if (!r.ok()) {
    for (const auto& e : r.error().details) MESSAGE(e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(r.ok());
  int entries = -1;
  auto text = render_mapping(m, v, kToday, &entries);
  REQUIRE(text.ok());
  CHECK(text.value() == json_dump(r.value()));
  CHECK(entries == count_entries(r.value()));
  return r.value();
}

template <typename T>
bool has_error(const Result<T>& r, const std::string& path, const std::string& code) {
  if (r.ok()) return false;
  for (const auto& e : r.error().details) {
    if (e.path == path && e.code == code) return true;
  }
  return false;
}

template <typename T>
std::string dump_errors(const Result<T>& r) {
  std::string s;
  if (r.ok()) return s;
  for (const auto& e : r.error().details) s += e.path + " " + e.code + "; ";
  return s;
}

}  // namespace

TEST_CASE("from renames and dot paths nest objects") {
  auto m = parse_ok(R"j([{"to": "xm", "from": "person.name"},
                        {"to": "dz.qz", "from": "person.registered_address"},
                        {"to": "dz.dh", "from": "person.phone"}])j");
  Json out = apply_ok(m);
  CHECK(out == Json{{"xm", "阿卜杜拉·艾力"},
                    {"dz", {{"qz", "新疆乌鲁木齐市天山区"}, {"dh", "13800138000"}}}});
  CHECK(m.writes() == std::vector<std::string>{"xm", "dz.qz", "dz.dh"});
}

TEST_CASE("const, template with escapes and concat") {
  auto m = parse_ok(R"j([
    {"to": "ly", "const": "yibiao"},
    {"to": "n", "const": 7},
    {"to": "t", "template": "{{{person.name}}}（{person.registered_address}）"},
    {"to": "c", "concat": ["person.name", {"const": "-"}, {"from": "person.sex",
                           "codes": {"1": "男", "2": "女", "9": "未说明"}}], "sep": "/"},
    {"to": "missing_tpl", "template": "{person.current_address}"}
  ])j");
  Json out = apply_ok(m);
  CHECK(out["ly"] == "yibiao");
  CHECK(out["n"] == 7);
  CHECK(out["t"] == "{阿卜杜拉·艾力}（新疆乌鲁木齐市天山区）");
  CHECK(out["c"] == "阿卜杜拉·艾力/-/男");
  CHECK_FALSE(out.contains("missing_tpl"));  // every referenced value missing → no key
}

TEST_CASE("code tables: select_one, select_multiple, default '*', unmapped is an error") {
  auto m = parse_ok(R"j([
    {"to": "xb", "from": "person.sex", "codes": {"1": "M", "2": "F", "*": "U"}},
    {"to": "fx", "from": "risk.type", "codes": {"1": "因病", "2": "因残", "3": "因学"}},
    {"to": "fxs", "from": "risk.type", "codes": {"1": "因病", "2": "因残", "3": "因学"},
     "join": "、"}
  ])j");
  Json out = apply_ok(m);
  CHECK(out["xb"] == "M");
  CHECK(out["fx"] == Json::array({"因病", "因学"}));
  CHECK(out["fxs"] == "因病、因学");
  Json v = values();
  v["person.sex"] = "9";
  CHECK(apply_ok(m, v)["xb"] == "U");

  auto strict = parse_ok(R"j([{"to": "xb", "from": "person.sex", "codes": {"1": "男", "2": "女"}},
                             {"to": "xm", "from": "person.name"}])j");
  auto r = apply_mapping(strict, v, kToday);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kValidation);
  CHECK(has_error(r, "person.sex", "unmapped_code"));
  CHECK(r.error().details[0].message.en.find("\"9\"") != std::string::npos);
  CHECK(r.error().details[0].message.zh.find("9") != std::string::npos);
}

TEST_CASE("dates: YYYYMMDD, Chinese, slashes, unpadded") {
  auto m = parse_ok(R"j([
    {"to": "a", "from": "person.birth_date", "date": "YYYYMMDD"},
    {"to": "b", "from": "person.birth_date", "date": "YYYY年M月D日"},
    {"to": "c", "from": "person.birth_date", "date": "YYYY/MM/DD"},
    {"to": "d", "from": "person.birth_date", "date": "YYYY/M/D"}
  ])j");
  Json v = values();
  v["person.birth_date"] = "2024-01-05";
  Json out = apply_ok(m, v);
  CHECK(out["a"] == "20240105");
  CHECK(out["b"] == "2024年1月5日");
  CHECK(out["c"] == "2024/01/05");
  CHECK(out["d"] == "2024/1/5");
}

TEST_CASE("numbers: decimals, multiply (元→分), as number") {
  auto m = parse_ok(R"j([
    {"to": "a", "from": "household.annual_income", "number": "0.00"},
    {"to": "b", "from": "household.annual_income", "number": "0"},
    {"to": "fen", "from": "household.annual_income", "multiply": 100, "number": "0"},
    {"to": "fen_n", "from": "household.annual_income", "multiply": 100, "number": "0",
     "as": "number"},
    {"to": "size_s", "from": "household.size", "as": "string"}
  ])j");
  Json out = apply_ok(m);
  CHECK(out["a"] == "12345.50");
  CHECK(out["b"] == "12346");
  CHECK(out["fen"] == "1234550");
  CHECK(out["fen_n"] == 1234550);
  CHECK(out["size_s"] == "3");
  Json v = values();
  v["household.annual_income"] = 1.005;
  CHECK(apply_ok(m, v)["a"] == "1.01");
}

TEST_CASE("derive from the ID number: birth date (formatted), sex (coded), age") {
  auto m = parse_ok(R"j([
    {"to": "csrq", "from": "person.id_number", "derive": "birth_date", "date": "YYYYMMDD"},
    {"to": "xb", "from": "person.id_number", "derive": "sex", "codes": {"1": "男", "2": "女"}},
    {"to": "nl", "from": "person.id_number", "derive": "age"},
    {"to": "iso", "from": "person.id_number", "derive": "birth_date"}
  ])j");
  Json out = apply_ok(m);
  CHECK(out["csrq"] == "19800512");
  CHECK(out["xb"] == "男");
  CHECK(out["nl"] == 44);
  CHECK(out["iso"] == "1980-05-12");
  Json v = values();
  v["person.id_number"] = full_id("11010519800512124");  // even sequence → female
  CHECK(apply_ok(m, v)["xb"] == "女");
  v["person.id_number"] = "not an id";
  auto r = apply_mapping(m, v, kToday);
  CHECK(has_error(r, "person.id_number", "derive_failed"));
}

TEST_CASE("each maps repeat groups to arrays; join turns them into text") {
  auto m = parse_ok(R"j([
    {"to": "cy", "from": "household.members", "each": [
      {"to": "xm", "from": "name"},
      {"to": "gx", "from": "relation", "field": "household.relation",
       "codes": {"02": "户主", "10": "配偶", "20": "子"}},
      {"to": "hz", "from": "person.name"}
    ]},
    {"to": "names", "from": "household.members", "each": [
      {"to": "x", "template": "{name}({relation})"}], "join": "、"}
  ])j",
                    nullptr);
  Json out = apply_ok(m);
  REQUIRE(out["cy"].size() == 2);
  CHECK(out["cy"][0] == Json{{"xm", "张三"}, {"gx", "户主"}, {"hz", "阿卜杜拉·艾力"}});
  CHECK(out["cy"][1]["gx"] == "配偶");
  CHECK(out["names"] == "张三(02)、李四(10)");
  // Item keys are local; only the repeat group and dotted keys are top-level reads.
  CHECK(m.reads() == std::set<std::string>{"household.members", "person.name"});

  Json v = values();
  v["household.members"][1]["relation"] = "99";
  auto r = apply_mapping(m, v, kToday);
  CHECK(has_error(r, "household.members[1].relation", "unmapped_code"));
}

TEST_CASE("when skips a rule; default fills a missing value; omit_empty") {
  auto m = parse_ok(R"j([
    {"to": "cj", "const": "是", "when": "${person.has_disability} = true"},
    {"to": "no", "const": "x", "when": "${household.size} > 10"},
    {"to": "addr", "from": "person.current_address", "default": "同户籍地址"},
    {"to": "empty", "from": "person.current_address"},
    {"to": "kept", "from": "person.current_address", "omit_empty": false},
    {"to": "blank", "const": "", "omit_empty": false},
    {"to": "blank2", "const": ""}
  ])j");
  Json out = apply_ok(m);
  CHECK(out["cj"] == "是");
  CHECK_FALSE(out.contains("no"));
  CHECK(out["addr"] == "同户籍地址");
  CHECK_FALSE(out.contains("empty"));
  CHECK(out.contains("kept"));
  CHECK(out["kept"].is_null());
  CHECK(out["blank"] == "");
  CHECK_FALSE(out.contains("blank2"));
  // when references are read (they decide what is sent) — nothing else is.
  CHECK(m.reads() ==
        std::set<std::string>{"person.has_disability", "household.size", "person.current_address"});
}

TEST_CASE("as coerces strings, numbers and booleans") {
  auto m = parse_ok(R"j([
    {"to": "n", "const": "12.5", "as": "number"},
    {"to": "b", "const": "1", "as": "boolean"},
    {"to": "s", "from": "person.has_disability", "as": "string"},
    {"to": "bad", "const": "abc", "as": "number"}
  ])j");
  auto r = apply_mapping(m, values(), kToday);
  CHECK(has_error(r, "mapping.fields[3]", "coercion_failed"));
  auto m2 = parse_ok(R"j([{"to": "n", "const": "12.5", "as": "number"},
                         {"to": "b", "const": "1", "as": "boolean"},
                         {"to": "s", "from": "person.has_disability", "as": "string"}])j");
  Json out = apply_ok(m2);
  CHECK(out["n"] == 12.5);
  CHECK(out["b"] == true);
  CHECK(out["s"] == "true");
}

TEST_CASE("reads() lists only what the mapping reads: nothing unmapped ever leaves") {
  auto m = parse_ok(R"j([{"to": "xm", "from": "person.name"},
                        {"to": "t", "template": "{person.phone}"},
                        {"to": "c", "concat": ["person.registered_address"]}])j");
  CHECK(m.reads() ==
        std::set<std::string>{"person.name", "person.phone", "person.registered_address"});
  Json out = apply_ok(m);
  CHECK(out.size() == 3);
  const std::string dumped = out.dump();
  CHECK(dumped.find(full_id(kMaleId)) == std::string::npos);  // id number not mapped
  CHECK(dumped.find("12345") == std::string::npos);           // income not mapped
}

TEST_CASE("every parse problem is reported at once, with paths") {
  auto r = parse_mapping(Json::parse(R"({"fields": [
    {"to": "a"},
    {"to": "b", "from": "person.name", "const": 1},
    {"to": "c", "from": "person.name", "colour": "red"},
    {"to": "d", "from": "person.birth_date", "date": 5},
    {"to": "e", "from": "household.annual_income", "number": "0.0x"},
    {"to": "f", "template": "{unclosed"},
    {"to": "g", "from": "person.id_number", "derive": "shoe_size"},
    {"to": "h", "from": "person.name", "when": "${person.name} = "},
    {"to": "a", "const": 1},
    {"from": "person.name"},
    {"to": "i", "from": "person.name", "as": "date"},
    {"to": "j.k", "const": 1},
    {"to": "j", "const": 2},
    "nope"
  ], "extra": 1})"),
                         nullptr);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kValidation);
  CHECK(has_error(r, "mapping.fields[0]", "no_source"));
  CHECK(has_error(r, "mapping.fields[1]", "many_sources"));
  CHECK(has_error(r, "mapping.fields[2].colour", "unknown_key"));
  CHECK(has_error(r, "mapping.fields[3].date", "type"));
  CHECK(has_error(r, "mapping.fields[4].number", "bad_format"));
  CHECK(has_error(r, "mapping.fields[5].template", "bad_template"));
  CHECK(has_error(r, "mapping.fields[6].derive", "bad_value"));
  CHECK(has_error(r, "mapping.fields[7].when", "bad_expression"));
  CHECK(has_error(r, "mapping.fields[8].to", "duplicate_to"));
  CHECK(has_error(r, "mapping.fields[9].to", "required"));
  CHECK(has_error(r, "mapping.fields[10].as", "bad_value"));
  CHECK(has_error(r, "mapping.fields[11].to", "path_conflict"));
  CHECK(has_error(r, "mapping.fields[13]", "type"));
  CHECK(has_error(r, "mapping.extra", "unknown_key"));
  CHECK(r.error().details.size() >= 14);
  for (const auto& e : r.error().details) {
    CHECK_FALSE(e.message.zh.empty());
    CHECK_FALSE(e.message.en.empty());
  }
}

TEST_CASE("with a dictionary: unknown fields and incomplete code tables are caught up front") {
  const auto d = dict();
  auto r = parse_mapping(Json::parse(R"({"fields": [
    {"to": "a", "from": "person.nmae"},
    {"to": "b", "from": "person.sex", "codes": {"1": "男", "2": "女"}},
    {"to": "c", "from": "risk.type", "codes": {"1": "因病", "01": "x"}},
    {"to": "d", "from": "person.name", "date": "YYYYMMDD"},
    {"to": "e", "from": "person.name", "number": "0"},
    {"to": "f", "from": "household.members"},
    {"to": "g", "from": "person.name", "each": [{"to": "x", "from": "name"}]},
    {"to": "h", "template": "{person.nope}"},
    {"to": "i", "const": 1, "when": "${nope.nope} = 1"},
    {"to": "j", "from": "person.name", "derive": "age"},
    {"to": "k", "from": "household.members", "each": [
      {"to": "gx", "from": "relation", "field": "household.relation", "codes": {"02": "户主"}}]},
    {"to": "l", "from": "person.id_number", "derive": "sex", "codes": {"1": "M"}}
  ]})"),
                         &d);
  REQUIRE_FALSE(r.ok());
  INFO(dump_errors(r));
  CHECK(has_error(r, "mapping.fields[0].from", "unknown_field"));
  CHECK(has_error(r, "mapping.fields[1].codes", "incomplete_codes"));
  CHECK(has_error(r, "mapping.fields[2].codes", "unknown_code"));
  CHECK(has_error(r, "mapping.fields[2].codes", "incomplete_codes"));
  CHECK(has_error(r, "mapping.fields[3].date", "not_date"));
  CHECK(has_error(r, "mapping.fields[4].number", "not_number"));
  CHECK(has_error(r, "mapping.fields[5].from", "repeat_needs_each"));
  CHECK(has_error(r, "mapping.fields[6].each", "not_repeat"));
  CHECK(has_error(r, "mapping.fields[7].template", "unknown_field"));
  CHECK(has_error(r, "mapping.fields[8].when", "bad_expression"));
  CHECK(has_error(r, "mapping.fields[9].derive", "not_id_number"));
  CHECK(has_error(r, "mapping.fields[10].each[0].codes", "incomplete_codes"));
  CHECK(has_error(r, "mapping.fields[11].codes", "incomplete_codes"));

  // A complete mapping against the dictionary parses; "*" covers the rest.
  auto ok = parse_mapping(Json::parse(R"({"fields": [
    {"to": "b", "from": "person.sex", "codes": {"1": "男", "*": "其他"}},
    {"to": "k", "from": "household.members", "each": [
      {"to": "gx", "from": "relation", "field": "household.relation",
       "codes": {"02": "户主", "10": "配偶", "20": "子"}}]}
  ]})"),
                          &d);
  CHECK_MESSAGE(ok.ok(), dump_errors(ok));
}

TEST_CASE("mapping input must be an object with a non-empty fields array") {
  CHECK(has_error(parse_mapping(Json::array(), nullptr), "mapping", "type"));
  CHECK(has_error(parse_mapping(Json::object(), nullptr), "mapping.fields", "required"));
  CHECK(
      has_error(parse_mapping(Json{{"fields", Json::array()}}, nullptr), "mapping.fields", "type"));
}

TEST_CASE("apply reports every runtime problem at once and never throws on odd values") {
  auto m = parse_ok(R"j([
    {"to": "a", "from": "person.sex", "codes": {"1": "男"}},
    {"to": "b", "from": "risk.type", "codes": {"1": "x"}},
    {"to": "c", "from": "person.birth_date", "date": "YYYYMMDD"},
    {"to": "d", "from": "household.annual_income", "number": "0.00"}
  ])j");
  Json v = values();
  v["person.sex"] = "2";
  v["person.birth_date"] = "yesterday";
  v["household.annual_income"] = Json::object();
  auto r = apply_mapping(m, v, kToday);
  REQUIRE_FALSE(r.ok());
  INFO(dump_errors(r));
  CHECK(has_error(r, "person.sex", "unmapped_code"));
  CHECK(has_error(r, "risk.type", "unmapped_code"));
  CHECK(has_error(r, "person.birth_date", "not_a_date"));
  CHECK(has_error(r, "household.annual_income", "not_a_number"));
  // The text rendering fails alike, with the same problems in the same order.
  auto t = render_mapping(m, v, kToday);
  REQUIRE_FALSE(t.ok());
  REQUIRE(t.error().details.size() == r.error().details.size());
  for (size_t i = 0; i < r.error().details.size(); ++i) {
    CHECK(t.error().details[i].path == r.error().details[i].path);
    CHECK(t.error().details[i].code == r.error().details[i].code);
  }
  // Non-object values: nothing to read, no crash.
  CHECK(apply_mapping(m, Json::array(), kToday).ok());
  CHECK(render_mapping(m, Json::array(), kToday).value() == "{}");
}

TEST_CASE("the text rendering orders keys as the document does and leaves out empty objects") {
  // Rules in an order unlike the keys': nested objects interleaved, byte order for non-ASCII
  // keys, an object whose every value is left out (no key at all), and one left null.
  auto m = parse_ok(R"j([
    {"to": "z", "from": "person.name"},
    {"to": "姓名", "from": "person.name"},
    {"to": "b.y", "from": "person.phone"},
    {"to": "a.gone.x", "from": "person.current_address"},
    {"to": "b.x.k", "const": "v"},
    {"to": "B", "const": 1},
    {"to": "a.null", "from": "person.current_address", "omit_empty": false},
    {"to": "e.gone", "from": "person.current_address"},
    {"to": "cy", "from": "household.members", "each": [{"to": "xm", "from": "name"},
                                                      {"to": "gx.dm", "from": "relation"}]}
  ])j");
  Json out = apply_ok(m);  // checks text == json_dump(document)
  CHECK_FALSE(out.contains("e"));
  CHECK(out["a"] == Json{{"null", nullptr}});
  auto text = render_mapping(m, values(), kToday);
  REQUIRE(text.ok());
  CHECK(text.value().rfind(R"({"B":1,"a":{"null":null},"b":{"x":{"k":"v"},"y":"13800138000"},)",
                           0) == 0);
  // An empty result is an empty object, as the document is.
  auto none = parse_ok(R"j([{"to": "a.b", "from": "person.current_address"}])j");
  CHECK(render_mapping(none, values(), kToday).value() == "{}");
  CHECK(Mapping{}.writes().empty());
  // Sources present but empty, passed on as they are (no transform): left out, or kept when
  // omit_empty is false, as in the document.
  Json v = values();
  v["e.str"] = "";
  v["e.arr"] = Json::array();
  v["e.obj"] = Json::object();
  v["e.null"] = nullptr;
  v["e.zero"] = 0;
  auto empties = parse_ok(R"j([
    {"to": "s", "from": "e.str"}, {"to": "s2", "from": "e.str", "omit_empty": false},
    {"to": "a", "from": "e.arr"}, {"to": "a2", "from": "e.arr", "omit_empty": false},
    {"to": "o", "from": "e.obj"}, {"to": "o2", "from": "e.obj", "omit_empty": false},
    {"to": "n", "from": "e.null"}, {"to": "n2", "from": "e.null", "omit_empty": false},
    {"to": "z", "from": "e.zero"}
  ])j");
  CHECK(apply_ok(empties, v) ==
        Json{{"s2", ""}, {"a2", Json::array()}, {"o2", Json::object()}, {"n2", nullptr}, {"z", 0}});
  int entries = -1;
  CHECK(render_mapping(Mapping{}, values(), kToday, &entries).value() == "{}");
  CHECK(entries == 0);
}
