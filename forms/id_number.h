// GB 11643-1999 resident identity numbers. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace yb::forms {

enum class IdProblem { kNone, kFormat, kBirthDate, kCheckDigit };

struct IdNumber {
  std::string value;       // 18 upper-case ASCII characters
  std::string birth_date;  // "YYYY-MM-DD"
  bool male = false;       // sequence digit odd
};

// Accepts 18- or 15-digit numbers, full-width digits and letters, lower-case x, spaces and
// hyphens; upgrades 15-digit numbers (inserting "19" and computing the check character).
// Returns the canonical form, or the problem found.
struct IdParse {
  std::optional<IdNumber> id;
  IdProblem problem = IdProblem::kNone;
};
IdParse parse_id_number(std::string_view input);

// The ISO 7064 MOD 11-2 check character for the first 17 digits.
char id_check_char(std::string_view first17);

}  // namespace yb::forms
