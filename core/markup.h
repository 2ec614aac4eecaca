// Escaping text for HTML and XML (SVG): character data and quoted attribute values alike.
#pragma once

#include <string>
#include <string_view>

namespace yb {

// & < > " ' become entities; control characters XML 1.0 forbids (all below U+0020 except tab
// and newline) are dropped. Pure.
std::string xml_escape(std::string_view s);

}  // namespace yb
