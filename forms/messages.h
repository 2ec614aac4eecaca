// Every message a person reads from the forms module lives in one catalogue per language:
// zh-CN and English in messages.cc, Uyghur in messages_ug.cc (Text::ug, empty where untranslated).
// Templates use {0}, {1} ... placeholders; each argument carries its zh and en form.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.h"

namespace yb::forms {

// The message with id `id` (e.g. "required", "expr.div_zero"); unknown ids give the id itself.
Text msg(std::string_view id, std::initializer_list<Text> args = {});
// The same text in both languages (numbers, codes, user input).
inline Text same(std::string s) { return Text{s, s, s}; }

}  // namespace yb::forms
