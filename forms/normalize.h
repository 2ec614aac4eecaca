// Input normalisation shared by validation and expressions: UTF-8 helpers, dates, phones.
// Pure functions; no exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yb::forms {

// Decodes UTF-8 into code points; returns false on malformed input.
bool utf8_valid(std::string_view s);
// Number of code points (assumes valid UTF-8; counts lead bytes).
size_t utf8_length(std::string_view s);
// Splits UTF-8 into code points (invalid bytes pass through one by one).
std::vector<std::string_view> utf8_code_points(std::string_view s);
// Substring by code points [start, start+len).
std::string utf8_substr(std::string_view s, size_t start, size_t len);
// Maps full-width ASCII variants (U+FF01..U+FF5E) to ASCII and U+3000 to a space.
std::string fold_fullwidth(std::string_view s);
// Trims ASCII whitespace, U+3000 (ideographic space) and U+00A0 at both ends.
std::string trim(std::string_view s);

// Accepts 2024-01-05, 20240105, 2024/1/5, 2024.1.5, 2024年1月5日 (full-width digits too) and
// returns "YYYY-MM-DD" for a real calendar date with year 1800..2999, else nullopt.
std::optional<std::string> normalize_date(std::string_view s);
bool is_leap_year(int y);
bool valid_ymd(int y, int m, int d);
// "YYYY-MM-DD" for year 0..9999, month and day 0..99 (no calendar check; see valid_ymd).
std::string iso_date(int y, int m, int d);
// The value of a short run of ASCII digits (up to 9); nullopt when any byte is not a digit.
std::optional<int> decimal(std::string_view digits);
// Days since 1970-01-01 for an ISO date produced by normalize_date.
std::optional<int64_t> date_to_days(std::string_view iso);
// Whole years between birth and today (both ISO); nullopt if unparsable.
std::optional<int> age_in_years(std::string_view birth_iso, std::string_view today_iso);

// Mainland phone numbers: mobile 1[3-9]+9 digits with optional +86 / 0086 / 86 prefix, or
// landline 0 + area code + number (10-12 digits). Spaces, hyphens, dots and parentheses are
// ignored. Returns digits only (no prefix, no hyphen), else nullopt.
std::optional<std::string> normalize_phone(std::string_view s);

}  // namespace yb::forms
