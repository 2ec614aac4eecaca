#include "core/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace yb {
namespace {

// The UTF-8 sequence starting at s[i]: how many bytes it takes and whether it is whole. An
// ill-formed sequence is its maximal valid prefix (at least one byte), to be replaced by one
// U+FFFD (Unicode's "maximal subpart" practice, which nlohmann follows too).
std::pair<size_t, bool> utf8_sequence(std::string_view s, size_t i) {
  const unsigned char lead = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
  } else {
    return {1, false};
  }
  size_t k = 1;
  for (; k < n && i + k < s.size(); ++k) {
    const unsigned char b = static_cast<unsigned char>(s[i + k]);
    unsigned char lo = 0x80, hi = 0xBF;
    if (k == 1) {  // no overlong forms, no surrogates, nothing past U+10FFFF
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    if (b < lo || b > hi) break;
  }
  return {k, k == n};
}

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// True when none of the 8 bytes at p needs a look: all ASCII, none below 0x20, no quote, no
// backslash (word-at-a-time tests for "has a byte less than n" and "has a zero byte").
bool plain8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  const uint64_t control = (w - 0x20 * k01) & ~w & k80;
  const uint64_t q = w ^ (0x22 * k01), b = w ^ (0x5C * k01);
  const uint64_t quote = (q - k01) & ~q & k80, backslash = (b - k01) & ~b & k80;
  return ((w & k80) | control | quote | backslash) == 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  // Bytes that need no escaping are copied in runs: [run, i) is the current one.
  size_t run = 0, i = 0;
  const size_t size = s.size();
  while (i < size) {
    if (i + 8 <= size && plain8(s.data() + i)) {
      i += 8;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      // The common well-formed sequences first (most Chinese and Uyghur text): any
      // continuation bytes do after these leads (E0 and ED limit their second byte). A run of
      // them is taken here whole, not a word test (bound to fail) before each character.
      const size_t from = i;
      for (;;) {
        const unsigned char b = static_cast<unsigned char>(s[i]);
        if (b >= 0xE1 && b <= 0xEF && b != 0xED && i + 2 < size &&
            continuation(static_cast<unsigned char>(s[i + 1])) &&
            continuation(static_cast<unsigned char>(s[i + 2]))) {
          i += 3;
        } else if (b >= 0xC2 && b <= 0xDF && i + 1 < size &&
                   continuation(static_cast<unsigned char>(s[i + 1]))) {
          i += 2;
        } else {
          break;
        }
        if (i >= size) break;
      }
      if (i > from) continue;
      const auto [n, whole] = utf8_sequence(s, i);
      if (!whole) {
        out.append(s.data() + run, i - run);
        out += "\xEF\xBF\xBD";
        run = i + n;
      }
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
    run = ++i;
  }
  out.append(s.data() + run, i - run);
  out.push_back('"');
}

void append_json(std::string& out, const nlohmann::json& j) {
  using Json = nlohmann::json;
  switch (j.type()) {
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : j.get_ref<const Json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, k);
        out.push_back(':');
        append_json(out, v);
      }
      out.push_back('}');
      return;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : j.get_ref<const Json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, v);
      }
      out.push_back(']');
      return;
    }
    case Json::value_t::string:
      append_json_string(out, j.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(j.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(j.get<uint64_t>());
      return;
    case Json::value_t::null:
      out += "null";
      return;
    default:  // floating point (nlohmann's shortest form), binary, discarded: as dump() has it
      out += j.dump();
      return;
  }
}

std::string json_dump(const nlohmann::json& j) {
  std::string out;
  append_json(out, j);
  return out;
}

namespace {

using Json = nlohmann::json;

unsigned char byte_at(const char* p) { return static_cast<unsigned char>(*p); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Recursive descent over [p_, end_); every member returns false at the first byte it cannot
// accept, leaving p_ there. Recursion is bounded by max_depth.
class Parser {
 public:
  Parser(std::string_view text, size_t max_depth)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth) {}

  bool document(Json& out) {
    if (end_ - p_ >= 3 && byte_at(p_) == 0xEF && byte_at(p_ + 1) == 0xBB &&
        byte_at(p_ + 2) == 0xBF) {
      p_ += 3;
    }
    skip_space();
    if (!value(out, 0)) return false;
    skip_space();
    return p_ == end_ || *p_ == '\0';  // parse() takes a NUL byte for the end of the input
  }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

 private:
  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool value(Json& out, size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't':
        out = true;
        return word("true");
      case 'f':
        out = false;
        return word("false");
      case 'n':
        out = nullptr;
        return word("null");
      default:
        return number(out);
    }
  }

  bool word(std::string_view w) {
    for (char c : w) {
      if (p_ == end_ || *p_ != c) return false;
      ++p_;
    }
    return true;
  }

  // What follows an opening bracket: items separated by commas, then `close`. item() reads
  // one (after any space) and stops where it ends.
  template <class Item>
  bool sequence(char close, Item&& item) {
    ++p_;
    skip_space();
    if (p_ < end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (!item()) return false;
      skip_space();
      if (p_ == end_) return false;
      if (*p_ == close) {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
      skip_space();
    }
  }

  bool object(Json& out, size_t depth) {
    if (depth > max_depth_) return false;
    out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    return sequence('}', [&] {
      if (p_ == end_ || *p_ != '"') return false;
      std::string key;
      if (!string(key)) return false;
      skip_space();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      skip_space();
      Json v;
      if (!value(v, depth)) return false;
      members.insert_or_assign(std::move(key), std::move(v));
      return true;
    });
  }

  bool array(Json& out, size_t depth) {
    if (depth > max_depth_) return false;
    out = Json::array();
    auto& items = out.get_ref<Json::array_t&>();
    return sequence(']', [&] { return value(items.emplace_back(), depth); });
  }

  // Plain bytes are copied in runs; [run, p_) is the current one.
  bool string(std::string& out) {
    ++p_;
    const char* run = p_;
    for (;;) {
      while (end_ - p_ >= 8 && plain8(p_)) p_ += 8;
      if (p_ == end_) return false;
      const unsigned char c = byte_at(p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        out.append(run, p_);
        if (!escape(out)) return false;
        run = p_;
      } else if (c < 0x80) {
        ++p_;
      } else {
        const auto [n, whole] = utf8_sequence(std::string_view(p_, end_ - p_), 0);
        if (!whole) return false;
        p_ += n;
      }
    }
  }

  bool escape(std::string& out) {
    ++p_;
    if (p_ == end_) return false;
    static constexpr std::string_view kEscaped = "\"\\/bfnrt", kMeant = "\"\\/\b\f\n\r\t";
    const char c = *p_++;
    if (const size_t k = kEscaped.find(c); k != std::string_view::npos) {
      out.push_back(kMeant[k]);
      return true;
    }
    if (c != 'u') {
      --p_;
      return false;
    }
    uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate with no high one before
    if (cp >= 0xD800 && cp <= 0xDBFF) {              // must be followed by a low surrogate
      uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool hex4(uint32_t& cp) {
    for (int k = 0; k < 4; ++k, ++p_) {
      if (p_ == end_) return false;
      const char c = *p_;
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      cp = cp * 16 + d;
    }
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(Json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    if (*p_++ != '0') {
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (integral) {
      if (negative) {
        int64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          out = v;
          return true;
        }
      } else {
        uint64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          out = v;
          return true;
        }
      }
    }
    // As parse() reads it: strtod on a terminated copy; what overflows to infinity is refused.
    const std::string text(start, p_);
    const double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) {
      p_ = start;
      return false;
    }
    out = v;
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  size_t max_depth_;
};

}  // namespace

std::optional<nlohmann::json> json_parse(std::string_view text, size_t max_depth,
                                         size_t* error_at) {
  Parser parser(text, max_depth);
  nlohmann::json out;
  if (parser.document(out)) return out;
  if (error_at) *error_at = parser.offset();
  return std::nullopt;
}

// A comma goes before a value or key unless it opens its container or follows a key.
void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (need_comma_) out_.push_back(',');
  need_comma_ = true;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  // Keys are mostly short ASCII names: copied as they are when nothing in them needs escaping.
  size_t i = 0;
  while (i + 8 <= k.size() && plain8(k.data() + i)) i += 8;
  unsigned odd = 0;
  for (; i < k.size(); ++i) {
    const auto c = static_cast<unsigned char>(k[i]);
    odd |= static_cast<unsigned>(c < 0x20) | (c >= 0x80) | (c == '"') | (c == '\\');
  }
  if (odd == 0) {
    out_.push_back('"');
    out_.append(k);
    out_ += "\":";
  } else {
    append_json_string(out_, k);
    out_.push_back(':');
  }
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t n) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
  return *this;
}

JsonWriter& JsonWriter::document(const nlohmann::json& j) {
  before_value();
  append_json(out_, j);
  return *this;
}

}  // namespace yb
