#include "forms/id_number.h"

#include "forms/normalize.h"

namespace yb::forms {

char id_check_char(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kChecks[] = "10X98765432";
  if (first17.size() < 17) return '?';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const char c = first17[i];
    if (c < '0' || c > '9') return '?';
    sum += (c - '0') * kWeights[i];
  }
  return kChecks[sum % 11];
}

IdParse parse_id_number(std::string_view input) {
  IdParse out;
  if (input.size() > 128) {
    out.problem = IdProblem::kFormat;
    return out;
  }
  const std::string folded = fold_fullwidth(input);
  std::string s;
  for (char c : folded) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    s.push_back(c == 'x' ? 'X' : c);
  }
  auto digits = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (s.size() == 15 && digits(0, 15)) {
    s = s.substr(0, 6) + "19" + s.substr(6);  // 17 digits
    s.push_back(id_check_char(s));
  } else if (s.size() == 18 && digits(0, 17) && ((s[17] >= '0' && s[17] <= '9') || s[17] == 'X')) {
    // ok
  } else {
    out.problem = IdProblem::kFormat;
    return out;
  }
  if (s[0] == '0') {  // region codes start with 1-9
    out.problem = IdProblem::kFormat;
    return out;
  }
  const std::string_view v(s);  // its first 17 bytes are digits, checked above
  const int y = *decimal(v.substr(6, 4)), m = *decimal(v.substr(10, 2)),
            d = *decimal(v.substr(12, 2));
  if (!valid_ymd(y, m, d) || y < 1850) {
    out.problem = IdProblem::kBirthDate;
    return out;
  }
  if (id_check_char(s) != s[17]) {
    out.problem = IdProblem::kCheckDigit;
    return out;
  }
  IdNumber id;
  id.value = s;
  id.birth_date = iso_date(y, m, d);
  id.male = ((s[16] - '0') % 2) == 1;
  out.id = std::move(id);
  return out;
}

}  // namespace yb::forms
