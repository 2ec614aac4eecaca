// Helpers shared by the forms tests.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "forms/forms.h"

namespace yb::forms::testing {

inline Json load_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open ", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

inline Dictionary demo_dictionary() {
  auto d = parse_dictionary(load_json(std::string(YB_DEMO_DIR) + "/dictionary.json"));
  REQUIRE_MESSAGE(d.ok(), (d.ok()                      ? ""
                           : d.error().details.empty() ? d.error().message.en
                                                       : d.error().details[0].path + ": " +
                                                             d.error().details[0].message.en));
  return d.value();
}

inline Form demo_form() {
  Dictionary dict = demo_dictionary();
  auto f = parse_form(load_json(std::string(YB_DEMO_DIR) + "/resident_household.json"), dict);
  if (!f.ok()) {
    for (const auto& e : f.error().details) MESSAGE(e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(f.ok());
  return f.value();
}

// "path code" of every error, for compact assertions.
inline std::vector<std::string> error_list(const Result<Json>& r) {
  std::vector<std::string> out;
  if (r.ok()) return out;
  for (const auto& e : r.error().details) out.push_back(e.path + " " + e.code);
  return out;
}

inline bool has_error(const Result<Json>& r, const std::string& path, const std::string& code) {
  for (const auto& s : error_list(r)) {
    if (s == path + " " + code) return true;
  }
  return false;
}

inline std::string dump_errors(const Result<Json>& r) {
  std::string s;
  for (const auto& e : error_list(r)) s += e + "; ";
  return s;
}

}  // namespace yb::forms::testing

namespace yb::forms::testing {

// A small dictionary with one field of every type, for the validation tests.
inline Dictionary small_dictionary() {
  auto d = parse_dictionary(Json::parse(R"json({"fields": [
    {"key": "p.name", "type": "text", "label": {"zh-CN": "姓名", "en": "Name"},
     "constraints": {"max_length": 10}},
    {"key": "p.note", "type": "text", "label": "备注"},
    {"key": "p.code", "type": "text", "label": {"zh-CN": "编码", "en": "Code"},
     "constraints": {"pattern": "^[A-Z]{2}[0-9]{2}$", "min_length": 4}},
    {"key": "p.age", "type": "integer", "label": {"zh-CN": "年龄", "en": "Age"},
     "constraints": {"min": 0, "max": 150}},
    {"key": "p.income", "type": "decimal", "label": {"zh-CN": "收入", "en": "Income"},
     "constraints": {"min": 0}},
    {"key": "p.flag", "type": "boolean", "label": {"zh-CN": "是否残疾", "en": "Disabled"}},
    {"key": "p.birth", "type": "date", "label": {"zh-CN": "出生日期", "en": "Birth date"},
     "constraints": {"min_date": "1900-01-01", "max_date": "today"}},
    {"key": "p.sex", "type": "select_one", "label": {"zh-CN": "性别", "en": "Sex"},
     "choices": [{"value": "1", "label": {"zh-CN": "男", "en": "Male"}},
                 {"value": "2", "label": {"zh-CN": "女", "en": "Female"}}]},
    {"key": "p.risks", "type": "select_multiple", "label": {"zh-CN": "风险", "en": "Risks"},
     "choices": [{"value": "a", "label": "因病"}, {"value": "b", "label": "因残"},
                 {"value": "c", "label": "因学"}],
     "constraints": {"max_items": 2}},
    {"key": "p.id", "type": "id_number", "label": {"zh-CN": "身份证号", "en": "ID number"}},
    {"key": "p.phone", "type": "phone", "label": {"zh-CN": "电话", "en": "Phone"}},
    {"key": "h.members", "type": "repeat", "label": {"zh-CN": "家庭成员", "en": "Members"},
     "constraints": {"min_items": 1, "max_items": 3}},
    {"key": "p.total", "type": "decimal", "label": "合计"}
  ]})json"));
  REQUIRE(d.ok());
  return d.value();
}

inline Form make_form(const std::string& fields_json) {
  static const Dictionary dict = small_dictionary();
  Json j = {{"id", "t"}, {"version", 1}, {"status", "published"}, {"title", "测试表"}};
  j["sections"] =
      Json::array({Json{{"id", "s"}, {"title", "节"}, {"fields", Json::parse(fields_json)}}});
  auto f = parse_form(j, dict);
  if (!f.ok()) {
    for (const auto& e : f.error().details) MESSAGE(e.path, " ", e.code, " ", e.message.en);
  }
  REQUIRE(f.ok());
  return f.value();
}

}  // namespace yb::forms::testing
