// JSON text written directly: the same text nlohmann writes (with invalid UTF-8 replaced), for
// plain, hostile and broken strings; commas and nesting placed right.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/json_text.h"

using namespace yb;
using Json = nlohmann::json;

namespace {
std::string reference(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string ours(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}
}  // namespace

TEST_CASE("strings are escaped exactly as nlohmann escapes them") {
  const std::string cases[] = {
      "",
      "plain",
      "张三 · 阿依古丽",
      "quote \" backslash \\ slash /",
      std::string("nul \0 inside", 12),
      "\b\f\n\r\t\x01\x1f\x7f",
      "emoji 😀 and ug ئۇيغۇرچە",
      "\xff\xfe broken",            // bytes that start nothing
      "\xe5\xbc",                   // a truncated sequence at the end
      "\xc0\xaf overlong slash",    // overlong form
      "\xed\xa0\x80 surrogate",     // UTF-16 surrogate written as UTF-8
      "\xf4\x90\x80\x80 too high",  // past U+10FFFF
      "<script>alert(1)</script>",
  };
  for (const auto& s : cases) {
    CAPTURE(s);
    CHECK(ours(s) == reference(s));
    CHECK(Json::parse(ours(s)).is_string());
  }
}

TEST_CASE("random bytes: the same text as nlohmann, always valid JSON") {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 40);
  for (int i = 0; i < 20000; ++i) {
    std::string s(static_cast<size_t>(len(rng)), '\0');
    for (auto& c : s) c = static_cast<char>(byte(rng));
    CAPTURE(i);
    REQUIRE(ours(s) == reference(s));
  }
}

TEST_CASE("the writer places commas and nests containers") {
  JsonWriter w;
  w.begin_object().key("a").value(1).key("b").begin_array();
  w.value("x").value(true).null().begin_object().end_object().begin_array().end_array();
  w.end_array().key("c").raw(R"({"k":[1,2]})").key("d").value(int64_t{-9007199254740993});
  w.end_object();
  const std::string text = w.take();
  CHECK(text == R"({"a":1,"b":["x",true,null,{},[]],"c":{"k":[1,2]},"d":-9007199254740993})");
  CHECK(Json::parse(text)["d"].get<int64_t>() == -9007199254740993);
}
