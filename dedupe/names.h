// Normalisation of personal names before they are compared or indexed. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace yb::dedupe {

// Canonical spelling of a name for comparison: full-width letters folded to ASCII, every
// middle-dot variant (• ・ . ． ‧ ∙ ·) and runs of spaces between parts of a minority name
// turned into one U+00B7 MIDDLE DOT, surrounding and inner spaces of Han names removed,
// Latin letters upper-cased. "阿卜杜拉 • 艾力" and "阿卜杜拉.艾力" both give "阿卜杜拉·艾力".
std::string normalize_name(std::string_view name);

// The same name with every separator removed ("阿卜杜拉艾力"), for matching input that
// arrives with no separator at all.
std::string name_without_separators(std::string_view name);

}  // namespace yb::dedupe
