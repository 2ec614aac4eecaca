#include "dedupe/names.h"

#include <array>
#include <vector>

#include "forms/normalize.h"

namespace yb::dedupe {
namespace {

constexpr std::string_view kDot = "\u00B7";

// Separators people type between the parts of a minority name.
constexpr std::array<std::string_view, 9> kSeparators = {
    "\u00B7", "\u2022", "\u30FB", "\uFF0E", "\u2027", "\u2219", "\uFF65", ".", "\u00B7"};

bool is_space(std::string_view cp) {
  return cp == " " || cp == "\t" || cp == "\u3000" || cp == "\u00A0";
}

bool is_separator(std::string_view cp) {
  for (auto s : kSeparators) {
    if (cp == s) return true;
  }
  return false;
}

// Full-width ASCII (U+FF01..U+FF5E) to ASCII; Latin letters to upper case.
std::string fold(std::string_view cp) {
  if (cp.size() == 3 && static_cast<unsigned char>(cp[0]) == 0xEF) {
    unsigned v = ((cp[0] & 0x0F) << 12) | ((cp[1] & 0x3F) << 6) | (cp[2] & 0x3F);
    if (v >= 0xFF01 && v <= 0xFF5E && v != 0xFF0E) {
      char a = static_cast<char>(v - 0xFF01 + 0x21);
      if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
      return std::string(1, a);
    }
  }
  if (cp.size() == 1 && cp[0] >= 'a' && cp[0] <= 'z') return std::string(1, cp[0] - 'a' + 'A');
  return std::string(cp);
}

bool is_latin(const std::string& s) {
  return s.size() == 1 && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9'));
}

}  // namespace

std::string normalize_name(std::string_view name) {
  // Tokens are the name's parts; separators and spaces between parts become one dot, except
  // between Latin words, which keep one space ("JOHN SMITH").
  std::vector<std::string> parts(1);
  bool pending_sep = false, pending_dot = false;
  for (auto cp : forms::utf8_code_points(name)) {
    if (is_space(cp) || is_separator(cp)) {
      if (!parts.back().empty()) {
        pending_sep = true;
        if (is_separator(cp)) pending_dot = true;
      }
      continue;
    }
    std::string f = fold(cp);
    if (pending_sep) {
      parts.emplace_back();
      parts.back() = pending_dot ? "\x01" : "\x02";  // marker: dot or space
      parts.emplace_back();
      pending_sep = pending_dot = false;
    }
    parts.back() += f;
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (p == "\x01") {
      out += kDot;
    } else if (p == "\x02") {
      // A space between two Latin words stays a space; between Han parts it is dropped
      // unless the parts look like a transliterated minority name (both multi-character).
      const std::string& prev = parts[i - 1];
      const std::string& next = i + 1 < parts.size() ? parts[i + 1] : std::string();
      bool latin = !prev.empty() && !next.empty() && is_latin(std::string(1, prev.back())) &&
                   is_latin(std::string(1, next.front()));
      if (latin) {
        out += " ";
      } else if (const size_t a = forms::utf8_code_points(prev).size(),
                 b = forms::utf8_code_points(next).size();
                 a >= 2 && b >= 2 && a + b >= 5) {
        out += kDot;  // "阿卜杜拉 艾力": a space stands for the missing dot
      }
    } else {
      out += p;
    }
  }
  return out;
}

std::string name_without_separators(std::string_view name) {
  std::string n = normalize_name(name), out;
  for (auto cp : forms::utf8_code_points(n)) {
    if (cp != kDot && cp != " ") out += cp;
  }
  return out;
}

}  // namespace yb::dedupe
