#include "core/json_text.h"

#include <charconv>
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
      // continuation bytes do after these leads (E0 and ED limit their second byte).
      if (c >= 0xE1 && c <= 0xEF && c != 0xED && i + 2 < size &&
          continuation(static_cast<unsigned char>(s[i + 1])) &&
          continuation(static_cast<unsigned char>(s[i + 2]))) {
        i += 3;
        continue;
      }
      if (c >= 0xC2 && c <= 0xDF && i + 1 < size &&
          continuation(static_cast<unsigned char>(s[i + 1]))) {
        i += 2;
        continue;
      }
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
  bool plain = true;
  for (char ch : k) {
    const auto c = static_cast<unsigned char>(ch);
    plain = plain && c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }
  if (plain) {
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

}  // namespace yb
