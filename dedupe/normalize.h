// Normalisation of the identity fields of a person before they are matched or stored: ID
// numbers, names (incl. traditional -> simplified through OpenCC), phones and dates. Thin,
// pure wrappers over forms/id_number.h, forms/normalize.h and dedupe/names.h, so that every
// spelling a cadre may type gives one key. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forms/id_number.h"

namespace yb::dedupe {

// The canonical 18-character ID number (full-width digits, lower-case x, spaces and hyphens
// accepted; 15-digit numbers upgraded with "19" and a computed check character), or nullopt
// when the input is not a valid number (format, birth date or check character wrong).
std::optional<std::string> normalize_id_number(std::string_view input);

// The ID as typed, cleaned but not validated: ASCII, upper-case X, no spaces or hyphens,
// 15-digit numbers upgraded. Used to find a near existing number when the check fails.
// Empty when the input cannot be an ID number at all (wrong length, letters).
std::string clean_id_number(std::string_view input);

// Traditional -> simplified Chinese (OpenCC t2s). Falls back to the input when OpenCC or its
// data is unavailable (logged once to stderr).
std::string to_simplified(std::string_view text);

// The matching key of a name: normalize_name, then simplified, then without separators.
// "阿卜杜拉 • 艾力", "阿卜杜拉艾力" and "阿卜杜拉·艾力" give one key; so do "張偉" and "张伟".
std::string name_key(std::string_view name);
// The display spelling stored for a name: normalize_name, then simplified.
std::string canonical_name(std::string_view name);
// How a name key sounds: toneless pinyin letters without spaces, surnames read as surnames
// (ICU's Han-Latin/Names transform: 张伟 and 张玮 give "zhangwei", 单 as a surname "shan").
// Latin letters stay (lower-cased); anything else is dropped. Empty when ICU's transform is
// unavailable or the name has no letters at all.
std::string name_pinyin(std::string_view name_key);

// Mobile or landline digits without +86 / 0086 / 86, or nullopt.
std::optional<std::string> normalize_phone(std::string_view input);
// "YYYY-MM-DD" for 2026-01-05, 2026年1月5日, 2026.1.5, 2026/1/5, 20260105 (full-width too).
std::optional<std::string> normalize_date(std::string_view input);

// Number of edits between two ID numbers of equal length when it is at most one substitution
// or one swap of adjacent characters (returns 1), 0 when equal, 2 otherwise.
int id_distance(std::string_view a, std::string_view b);

// Every valid ID number one substitution or one adjacent swap away from `cleaned` (an
// 18-character string from clean_id_number). At most ~35 numbers; used to look up the number a
// cadre meant when the one typed fails its check character.
std::vector<std::string> id_neighbours(std::string_view cleaned);

// Masks an ID number for lists: first four and last four kept ("1301**********123X").
std::string mask_id_number(std::string_view id);

}  // namespace yb::dedupe
