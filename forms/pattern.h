// Internal: the compiled form of a `pattern` constraint, shared by schema.cc and validate.cc.
#pragma once

#include <regex>

#include "forms/forms.h"

namespace yb::forms {

struct CompiledPattern {
  std::regex re;
};

// Texts longer than this are reported as not matching without running the regex (std::regex
// recurses per character and could exhaust the stack).
inline constexpr size_t kMaxPatternInput = 1000;  // code points

}  // namespace yb::forms
