#include "forms/normalize.h"

namespace yb::forms {

bool utf8_valid(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::vector<std::string_view> utf8_code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + n > s.size()) n = 1;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string utf8_substr(std::string_view s, size_t start, size_t len) {
  size_t cp = 0, i = 0, begin = s.size(), end = s.size();
  for (i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (cp == start) begin = i;
    if (cp == start + len) {
      end = i;
      break;
    }
    ++cp;
  }
  if (begin >= end) return "";
  return std::string(s.substr(begin, end - begin));
}

std::string fold_fullwidth(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (c0 == 0xEF && i + 2 < s.size()) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      const auto c2 = static_cast<unsigned char>(s[i + 2]);
      const uint32_t cp = ((c0 & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
        i += 2;
        continue;
      }
    }
    if (c0 == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      out.push_back(' ');
      i += 2;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

namespace {
// Length of a whitespace sequence starting at s[i], or 0.
size_t space_at(std::string_view s, size_t i) {
  const char c = s[i];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
  if (s.substr(i, 3) == "\xE3\x80\x80") return 3;  // U+3000
  if (s.substr(i, 2) == "\xC2\xA0") return 2;      // U+00A0
  return 0;
}
}  // namespace

std::string trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    const size_t k = space_at(s, b);
    if (k == 0) break;
    b += k;
  }
  size_t e = s.size();
  while (e > b) {
    if (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
        s[e - 1] == '\f' || s[e - 1] == '\v') {
      --e;
    } else if (e - b >= 3 && s.substr(e - 3, 3) == "\xE3\x80\x80") {
      e -= 3;
    } else if (e - b >= 2 && s.substr(e - 2, 2) == "\xC2\xA0") {
      e -= 2;
    } else {
      break;
    }
  }
  return std::string(s.substr(b, e - b));
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool valid_ymd(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1800 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
  const int dim = kDays[m - 1] + (m == 2 && is_leap_year(y) ? 1 : 0);
  return d <= dim;
}

std::optional<int> decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

namespace {
bool split_iso(std::string_view iso, int& y, int& m, int& d) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return false;
  const auto yy = decimal(iso.substr(0, 4)), mm = decimal(iso.substr(5, 2)),
             dd = decimal(iso.substr(8, 2));
  if (!yy || !mm || !dd) return false;
  y = *yy;
  m = *mm;
  d = *dd;
  return valid_ymd(y, m, d);
}
}  // namespace

std::string iso_date(int y, int m, int d) {
  std::string out(10, '-');
  auto put = [&](size_t pos, size_t len, int v) {
    for (size_t k = pos + len; k > pos; --k, v /= 10) out[k - 1] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, y);
  put(5, 2, m);
  put(8, 2, d);
  return out;
}

std::optional<std::string> normalize_date(std::string_view in) {
  if (in.size() > 64) return std::nullopt;
  // Already "YYYY-MM-DD" (what the form's date input sends): nothing to fold or split.
  if (int y = 0, m = 0, d = 0; split_iso(in, y, m, d)) return std::string(in);
  const std::string s = trim(fold_fullwidth(in));
  int parts[3] = {0, 0, 0};
  int digits[3] = {0, 0, 0};
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  bool all_digits = !s.empty();
  for (char c : s) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    if (s.size() != 8) return std::nullopt;
    const std::string_view v(s);
    parts[0] = *decimal(v.substr(0, 4));  // all digits, checked above
    parts[1] = *decimal(v.substr(4, 2));
    parts[2] = *decimal(v.substr(6, 2));
  } else {
    // Split on one kind of separator: '-', '/', '.', or 年/月/日 ('c' below; 0 for none).
    size_t i = 0;
    int idx = 0;
    char sep = 0;
    while (idx < 3) {
      if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
      int v = 0;
      while (i < s.size() && is_digit(s[i])) {
        if (++digits[idx] > 4) return std::nullopt;
        v = v * 10 + (s[i] - '0');
        ++i;
      }
      parts[idx] = v;
      char this_sep = 0;
      if (i < s.size() && (s[i] == '-' || s[i] == '/' || s[i] == '.')) {
        this_sep = s[i];
        ++i;
      } else if (s.compare(i, 3, "\xE5\xB9\xB4") == 0 && idx == 0) {  // 年
        this_sep = 'c';
        i += 3;
      } else if (s.compare(i, 3, "\xE6\x9C\x88") == 0 && idx == 1) {  // 月
        this_sep = 'c';
        i += 3;
      } else if (s.compare(i, 3, "\xE6\x97\xA5") == 0 && idx == 2) {  // 日
        this_sep = 'c';
        i += 3;
      }
      if (idx < 2) {
        if (this_sep == 0) return std::nullopt;
        if (idx == 0) {
          sep = this_sep;
        } else if (this_sep != sep) {
          return std::nullopt;
        }
      } else if (this_sep != 0 && (this_sep != 'c' || sep != 'c')) {
        return std::nullopt;
      }
      ++idx;
    }
    if (i != s.size()) return std::nullopt;
    if (digits[0] != 4 || digits[1] > 2 || digits[2] > 2) return std::nullopt;
  }
  if (!valid_ymd(parts[0], parts[1], parts[2])) return std::nullopt;
  return iso_date(parts[0], parts[1], parts[2]);
}

std::optional<int64_t> date_to_days(std::string_view iso) {
  int y = 0, m = 0, d = 0;
  if (!split_iso(iso, y, m, d)) return std::nullopt;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<int> age_in_years(std::string_view birth_iso, std::string_view today_iso) {
  int by = 0, bm = 0, bd = 0, ty = 0, tm = 0, td = 0;
  if (!split_iso(birth_iso, by, bm, bd) || !split_iso(today_iso, ty, tm, td)) return std::nullopt;
  int age = ty - by;
  if (tm < bm || (tm == bm && td < bd)) --age;
  return age;
}

std::optional<std::string> normalize_phone(std::string_view in) {
  if (in.size() > 64) return std::nullopt;
  const std::string s = fold_fullwidth(in);
  std::string d;
  bool plus = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      d.push_back(c);
    } else if (c == '+' && d.empty() && !plus) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') {
      continue;
    } else {
      return std::nullopt;
    }
  }
  auto mobile = [](const std::string& x) {
    return x.size() == 11 && x[0] == '1' && x[1] >= '3' && x[1] <= '9';
  };
  if (plus) {
    if (d.rfind("86", 0) != 0) return std::nullopt;
    d = d.substr(2);
    return mobile(d) ? std::optional<std::string>(d) : std::nullopt;
  }
  if (d.size() == 15 && d.rfind("0086", 0) == 0 && mobile(d.substr(4))) return d.substr(4);
  if (d.size() == 13 && d.rfind("86", 0) == 0 && mobile(d.substr(2))) return d.substr(2);
  if (mobile(d)) return d;
  // Landline: 0 + 2-3 digit area code + 7-8 digit number, area code not starting with 0.
  if (d.size() >= 10 && d.size() <= 12 && d[0] == '0' && d[1] != '0') return d;
  return std::nullopt;
}

}  // namespace yb::forms
