// json_parse reads what nlohmann::json::parse reads, into the same document (same types, same
// values), and refuses what it refuses: for random documents in many spellings, for thousands
// of broken mutations of them, and for the edge cases of numbers, escapes and UTF-8.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/json_text.h"

using namespace yb;
using Json = nlohmann::json;

namespace {

// Same type at every node, same value (doubles bit for bit): stricter than operator==, which
// calls 1 and 1.0 equal.
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::value_t::object: {
      const auto& x = a.get_ref<const Json::object_t&>();
      const auto& y = b.get_ref<const Json::object_t&>();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !same(i->second, j->second)) return false;
      }
      return true;
    }
    case Json::value_t::array: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    }
    case Json::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return a == b;
  }
}

// Both parsers on one text: both refuse it, or both read the same document.
void agree(const std::string& text) {
  CAPTURE(text);
  const Json ref = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto got = json_parse(text);
  REQUIRE(ref.is_discarded() == !got.has_value());
  if (got) REQUIRE(same(*got, ref));
}

Json random_document(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, 11), len(0, 6);
  static const std::string words[] = {"",   "a", "张三", "ئۇيغۇر", "\"",      "\\",
                                      "\t", "/", "😀",    "\x1f",   "x y\n\r", "\u00e9"};
  switch (depth > 3 ? pick(rng) % 7 : pick(rng)) {
    case 0:
      return nullptr;
    case 1:
      return pick(rng) % 2 == 0;
    case 2:
      return static_cast<int64_t>(rng()) - (int64_t{1} << 31);
    case 3:
      return static_cast<double>(rng()) / 7.0 * (pick(rng) % 2 ? 1e-9 : 1e12);
    case 4:
      return words[pick(rng)] + words[pick(rng)];
    case 5:
      return static_cast<uint64_t>(rng()) << 31;
    case 6:
      return std::numeric_limits<int64_t>::min() + static_cast<int64_t>(rng() % 3);
    case 7:
    case 8: {
      Json o = Json::object();
      for (int i = len(rng); i > 0; --i)
        o[words[pick(rng)] + std::to_string(i)] = random_document(rng, depth + 1);
      return o;
    }
    default: {
      Json a = Json::array();
      for (int i = len(rng); i > 0; --i) a.push_back(random_document(rng, depth + 1));
      return a;
    }
  }
}

}  // namespace

TEST_CASE("random documents in compact, indented and ASCII-only spellings read the same") {
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const Json doc = random_document(rng, 0);
    CAPTURE(i);
    agree(doc.dump());
    agree(doc.dump(2));
    agree(doc.dump(-1, ' ', /*ensure_ascii=*/true));  // \uXXXX escapes, surrogate pairs
    agree(doc.dump(1, '\t', true));
    const auto got = json_parse(doc.dump());
    REQUIRE(got);
    REQUIRE(*got == doc);  // == here: a positive int64 reads back as uint64, in parse() too
  }
}

TEST_CASE("broken mutations of valid texts are refused or read exactly as parse() reads them") {
  std::mt19937 rng(5);
  static const char kBytes[] = {'"',    '\\',   '{',    '}',    '[',    ']',    ',',    ':',
                                '0',    '1',    '-',    '+',    '.',    'e',    'E',    'u',
                                'd',    'D',    'n',    't',    'f',    ' ',    '\n',   '\0',
                                '\x1f', '\x7f', '\x80', '\xbf', '\xc0', '\xc2', '\xe0', '\xed',
                                '\xef', '\xf0', '\xf4', '\xf5', '\xff'};
  std::uniform_int_distribution<size_t> which(0, sizeof kBytes - 1);
  for (int i = 0; i < 6000; ++i) {
    const Json doc = random_document(rng, 1);
    std::string text = doc.dump(i % 3 == 0 ? 1 : -1, ' ', i % 2 == 0);
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !text.empty(); --edits) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = kBytes[which(rng)];
          break;
        case 1:
          text.erase(at, 1);
          break;
        default:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), kBytes[which(rng)]);
      }
    }
    CAPTURE(i);
    agree(text);
  }
}

TEST_CASE("numbers: integer kinds, limits, overflow to double, and malformed spellings") {
  for (const char* t :
       {"0", "-0", "7", "-7", "0.0", "-0.0", "1e5", "1E5", "1e+5", "1e-5", "1.5e300", "1e400",
        "-1e400", "1e-400", "4.9e-324", "18446744073709551615", "18446744073709551616",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "0.1", "3.141592653589793",
        // refused
        "01", "-01", "-", "+1", "1.", ".5", "1e", "1e+", "1.e5", "--1", "0x10", "1_000", "NaN",
        "Infinity", "-Infinity", "1.5.2", "1 2"}) {
    agree(t);
  }
  CHECK(json_parse("-0")->is_number_integer());
  CHECK(json_parse("18446744073709551615")->is_number_unsigned());
  CHECK(json_parse("18446744073709551616")->is_number_float());
  CHECK(json_parse("-9223372036854775809")->is_number_float());
}

TEST_CASE("strings: escapes, surrogate pairs, and what is not UTF-8") {
  for (const char* t : {R"("\" \\ \/ \b \f \n \r \t")", R"("\u0041\u00e9\u4e2d")", R"("\u0000")",
                        R"("\ud83d\ude00")", R"("\uD83D\uDE00")",
                        // refused
                        R"("\ud83d")", R"("\ude00")", R"("\ud83d\u0041")", R"("\ud83dx")",
                        R"("\ud83d\ud83d")", R"("\u12")", R"("\u12g4")", R"("\x41")", R"("\')",
                        "\"tab\there\"", "\"nl\nhere\"", "\"unterminated", "\"\\",
                        "\"\xc0\xaf\"",              // overlong '/'
                        "\"\xe0\x80\xaf\"",          // overlong
                        "\"\xed\xa0\x80\"",          // a surrogate in UTF-8
                        "\"\xf4\x90\x80\x80\"",      // past U+10FFFF
                        "\"\xe4\xb8\"",              // cut short
                        "\"\xe4\xb8\xad\xe6\x96\"",  // cut short after a whole one
                        "\"\x80\"", "\"\xff\"", "\"\xf0\x9f\x98\x80\""}) {
    agree(t);
  }
}

TEST_CASE("structure: literals, separators, duplicates, byte order mark, trailing bytes") {
  for (const char* t :
       {"{}", "[]", " \t\r\n{ } ", R"({"a":1,"a":2})", R"({"b":[1,{"c":null}],"a":true})",
        "\xef\xbb\xbf{}", "\xef\xbb\xbf", "\xef\xbb{}", "true", "false", "null",
        // refused
        "", " ", "{", "}", "[1,]", "[,1]", "{,}", R"({"a":1,})", R"({"a" 1})", R"({"a":})",
        R"({a:1})", "{'a':1}", "[1 2]", "tru", "truex", "nul", "nulll", "[true false]",
        R"({"a":1}x)", "{}{}", "[]]", "/* c */ {}", "{} // c", "\v{}", "\f{}"}) {
    agree(t);
  }
  CHECK((*json_parse(R"({"a":1,"a":2})"))["a"] == 2);  // the last one wins, as in parse()
  std::string nul("{\"a\":1}\0", 8);
  agree(nul);
}

TEST_CASE("nesting deeper than the limit is refused, however deep, without recursing further") {
  auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(json_parse(nested(4), 4));
  CHECK_FALSE(json_parse(nested(5), 4));
  CHECK(json_parse(R"({"a":{"b":[{}]}})", 4));
  CHECK_FALSE(json_parse(R"({"a":{"b":[{"c":[]}]}})", 4));
  size_t at = 0;
  CHECK_FALSE(json_parse(nested(200000), 512, &at));
  CHECK(at == 512);  // stopped at the first bracket past the limit
  CHECK_FALSE(json_parse(std::string(200000, '{'), 512));
}

TEST_CASE("the offset of a refusal is where reading stopped") {
  size_t at = 99;
  CHECK_FALSE(json_parse(R"({"a":1,})", 512, &at));
  CHECK(at == 7);
  CHECK_FALSE(json_parse(R"({"a":tru})", 512, &at));
  CHECK(at == 8);
  CHECK_FALSE(json_parse("[1] x", 512, &at));
  CHECK(at == 4);
}
