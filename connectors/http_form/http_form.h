// http_form: pushes each frozen payload as application/x-www-form-urlencoded. Same
// configuration keys as http_json (connectors/http_json/config.h); only the body differs:
// nested keys flatten to "a.b", arrays to "a[0].b" / "a[0]", UTF-8 percent-encoded.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/http_json/http_json.h"

namespace yb::connectors {

class HttpFormConnector : public HttpPushConnector {
 protected:
  std::string content_type() const override { return "application/x-www-form-urlencoded"; }
  std::string encode_body(const Json& doc) const override;
};

// The flattened name/value pairs of a document (object keys in the document's order).
// Strings as-is, numbers as JSON numbers, booleans "true"/"false", null "".
std::vector<std::pair<std::string, std::string>> flatten_form(const Json& doc);

// WHATWG application/x-www-form-urlencoded serialisation of pairs (space → "+", other bytes
// outside A-Z a-z 0-9 * - . _ as %XX of their UTF-8 encoding).
std::string form_urlencode(const std::vector<std::pair<std::string, std::string>>& pairs);

std::unique_ptr<ConnectorType> make_http_form_type();

}  // namespace yb::connectors
