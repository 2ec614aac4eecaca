// Plain structs for an HTTP exchange with an upstream, and the client interface the delivery
// engine sends through. httplib stays inside http_client.cc; tests substitute fakes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yb::connectors {

struct HttpRequest {
  std::string method = "POST";  // POST, PUT, PATCH
  std::string url;              // absolute: http(s)://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string
      content_type;  // "application/json; charset=utf-8", "application/x-www-form-urlencoded"
};

struct HttpResponse {
  int status = 0;  // 0 when no answer arrived (see error)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // transport problem: "timeout", "connection refused", "tls: ..."
  bool timed_out = false;
  int64_t duration_ms = 0;
  // First header with this name (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

struct TlsOptions {
  bool allow_plain_http = false;  // http:// URLs refused unless the connector says so
  bool verify = true;             // certificate and host name verification
  std::string ca_bundle_path;     // PEM file of trusted CAs; empty = the system store
};

struct SendOptions {
  int connect_timeout_ms = 5000;
  int read_timeout_ms = 15000;
  TlsOptions tls;
};

// The parts of an absolute http(s) URL, as the client connects to it.
struct Url {
  std::string scheme;  // "http" or "https" (lower-case)
  std::string host;    // name or address; IPv6 without the brackets
  int port = 0;        // explicit, or 80 / 443 by scheme
  std::string target;  // path and query as sent, "/" when the URL has none; no fragment
};

// Parses "http(s)://host[:port][/path][?query][#fragment]". nullopt for other schemes, user
// info, an empty host or a bad port. Pure.
std::optional<Url> parse_url(const std::string& url);

// Sends requests to upstreams. Implementations are thread-safe and may keep connections
// alive per host. Never throws: transport failures come back in HttpResponse::error.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse send(const HttpRequest& req, const SendOptions& opts) = 0;
};

// RFC 3986 percent-encoding: every byte but the unreserved A-Z a-z 0-9 - . _ ~ becomes %XX.
// Safe for a URL path segment and for an application/x-www-form-urlencoded value.
std::string percent_encode(std::string_view s);

// The real client over cpp-httplib (HTTPS via OpenSSL), keeping one keep-alive connection
// pool per scheme://host:port.
std::unique_ptr<HttpClient> make_http_client();

}  // namespace yb::connectors
