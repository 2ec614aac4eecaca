// Configuration of the HTTP push types (http_json and http_form share every key; they differ
// only in how the body is encoded). Parsing is separate from behaviour: pure, every problem
// reported at once, unknown keys rejected at every level. Reference: docs/connectors.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace yb::connectors {

struct HttpPushConfig {
  std::string url;              // http(s)://host[:port]/path — as configured (may hold Unicode)
  std::string method = "POST";  // POST, PUT, PATCH: creating a record
  std::string update_method = "PUT";
  std::string update_url = "{url}/{upstream_id}";            // placeholders {url} and {upstream_id}
  std::vector<std::pair<std::string, std::string>> headers;  // extra constant headers
  AuthConfig auth;
  SendOptions send;
  RetryPolicy retry;
  Limits limits;
  std::string signing_secret;  // secret NAME holding a whsec_ value; empty = unsigned
  ResponseId response_id;
  Json envelope;  // null = the payload is the body; else a template with one "$payload"
};

// Parses the push keys of `j` (top level) into `cfg`; appends problems to `errs` and the key
// names it understands to `allowed`.
void parse_push_config(const Json& j, HttpPushConfig& cfg, std::vector<FieldError>& errs,
                       std::vector<std::string>& allowed);

// Percent-encodes what may not appear raw in a URL (non-ASCII UTF-8 bytes, spaces, control
// characters, quotes, <>\^`{|}), keeping existing %XX escapes and the URL's structure.
std::string encode_url(const std::string& url);

// Percent-encodes everything except RFC 3986 unreserved characters (for one path segment).
std::string encode_path_segment(const std::string& s);

// Checks an absolute http(s) URL; returns an empty string when fine, else the reason (en).
std::string check_url(const std::string& url, bool allow_plain_http);

}  // namespace yb::connectors
