// JSON text written directly: the same text nlohmann writes (with invalid UTF-8 replaced), for
// plain, hostile and broken strings; commas and nesting placed right.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
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

TEST_CASE("one byte that needs a look, at every place in runs of plain text") {
  // Plain text is scanned 8 bytes at a time: a special byte must be seen at any offset.
  const std::string specials[] = {
      "\"",       "\\",       "\n",   std::string(1, '\0'), "\x1f",
      "\x7f",     " ",        "~",    "\xe5\xbc\xa0",       "\xed\xa0\x80",
      "\xe0\x80", "\xc3\xa9", "\xff", "\xf0\x9f\x98\x80",   "\xe5\xbc"};
  for (size_t len = 0; len <= 24; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const auto& sp : specials) {
        std::string s(len, 'a');
        s.insert(at, sp);
        CAPTURE(len);
        CAPTURE(at);
        CAPTURE(sp);
        REQUIRE(ours(s) == reference(s));
      }
    }
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

TEST_CASE("the writer takes a document as json_dump() writes it") {
  const Json doc = Json::parse(R"({"z":[1,"二"],"a":{"y":null,"b":2.5}})");
  JsonWriter w;
  w.begin_array().value(1).document(doc).document(Json("x")).end_array();
  CHECK(w.take() == "[1," + json_dump(doc) + ",\"x\"]");
}

TEST_CASE("json_dump writes the text dump() writes, for every kind of value") {
  const Json docs[] = {
      Json::parse(R"({"b":1,"a":[true,false,null],"c":{"z":"张三","y":""}})"),
      Json::parse(R"([1.5, -0.0, 1e300, 3.0, 0.1, -2.5e-8, 123456789012345678])"),
      Json(int64_t{-9223372036854775807} - 1),
      Json(uint64_t{18446744073709551615U}),
      Json::object(),
      Json::array(),
      Json(nullptr),
      Json("quote \" and \\ and \n and \x01"),
      Json{{"key \"quoted\"", Json::array({Json::object(), Json::array()})},
           {"阿依古丽", {{"nested", {{"deeper", 1}}}}}},
  };
  for (const auto& j : docs) {
    CAPTURE(j.dump());
    CHECK(json_dump(j) == j.dump());
  }
}

TEST_CASE("json_dump of random documents: the same text as dump()") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(0, 9), len(0, 12);
  const std::string words[] = {"", "a", "张三", "ئۇيغۇر", "\"", "\\", "\t", "x y", "😀", "\x1f"};
  std::function<Json(int)> make = [&](int depth) -> Json {
    switch (depth > 3 ? pick(rng) % 6 : pick(rng)) {
      case 0:
        return Json(nullptr);
      case 1:
        return Json(pick(rng) % 2 == 0);
      case 2:
        return Json(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
      case 3:
        return Json(static_cast<double>(rng()) / 7.0);
      case 4:
        return Json(words[pick(rng)] + words[pick(rng)]);
      case 5:
        return Json(static_cast<uint64_t>(rng()) << 20);
      case 6:
      case 7: {
        Json o = Json::object();
        for (int i = len(rng); i > 0; --i)
          o[words[pick(rng)] + std::to_string(i)] = make(depth + 1);
        return o;
      }
      default: {
        Json a = Json::array();
        for (int i = len(rng); i > 0; --i) a.push_back(make(depth + 1));
        return a;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    const Json j = make(0);
    CAPTURE(i);
    REQUIRE(json_dump(j) == j.dump());
  }
}

TEST_CASE("json_dump replaces what is not UTF-8 where dump() would throw") {
  const Json j = {{"name", "\xff\xfe bad"}};
  CHECK_THROWS(j.dump());
  CHECK(json_dump(j) == j.dump(-1, ' ', false, Json::error_handler_t::replace));
  CHECK(Json::parse(json_dump(j))["name"] == "\xEF\xBF\xBD\xEF\xBF\xBD bad");
}

TEST_CASE("the writer escapes keys that need it and writes every integer") {
  JsonWriter w;
  w.begin_array().begin_object().key("plain").value(int64_t{INT64_MIN});
  w.key("quote \" key").value(int64_t{INT64_MAX}).key("姓名").value("张三");
  w.key("line\nbreak").begin_array().end_array().key("").value(0).end_object();
  w.begin_object().end_object().value(-1).end_array();
  const std::string text = w.take();
  const Json expected = Json::array({{{"plain", INT64_MIN},
                                      {"quote \" key", INT64_MAX},
                                      {"姓名", "张三"},
                                      {"line\nbreak", Json::array()},
                                      {"", 0}},
                                     Json::object(),
                                     -1});
  CHECK(Json::parse(text) == expected);
  CHECK(text.find("\"quote \\\" key\":") != std::string::npos);
  CHECK(text.find("\"line\\nbreak\":[]") != std::string::npos);
}

TEST_CASE("one byte or sequence that needs a look, at every place in runs of Chinese text") {
  // Runs of two- and three-byte characters are taken in one go: whatever interrupts them (a
  // special byte, a broken or a four-byte sequence, the end) must be seen at any offset, even
  // inside a character.
  const std::string specials[] = {"\"",          "\\",       "\n",   std::string(1, '\0'),
                                  "a",           "\x7f",     "\xff", "\xed\xa0\x80",
                                  "\xe0\x80",    "\xe0\xa0", "\xe5", "\xf0\x9f\x98\x80",
                                  "\xe5\xbc\xa0"};
  const std::string chars[] = {"张", "é", "ئ", "三"};
  for (size_t n = 0; n <= 8; ++n) {
    std::string base;
    for (size_t k = 0; k < n; ++k) base += chars[(k * 7 + n) % 4];
    for (size_t at = 0; at <= base.size(); ++at) {
      for (const auto& sp : specials) {
        std::string s = base;
        s.insert(at, sp);
        CAPTURE(n);
        CAPTURE(at);
        CAPTURE(sp);
        REQUIRE(ours(s) == reference(s));
      }
    }
  }
}
