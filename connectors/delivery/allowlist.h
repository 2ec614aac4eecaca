// The upstream hosts connectors may reach, as the system admin allows them (table
// upstream_hosts). Checked twice: when a connector config is saved (every URL in it) and at
// send time (GuardedHttpClient wraps the real client, so deliveries, test sends and OAuth2
// token requests alike are refused before any connection to a host not on the list).
//
// Entries are exact host names or IP literals, optionally with a port ("mz.example.gov.cn",
// "127.0.0.1", "10.0.0.5:8443", "[::1]"). Matching is exact (case-insensitive): other
// spellings of an address (127.1, 2130706433, a trailing dot) are different hosts and are
// refused. URLs with user info (user@host) are refused. The HTTP client never follows
// redirects, so an allowed host cannot bounce a request elsewhere. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/http.h"
#include "core/clock.h"
#include "core/db.h"

namespace yb::connectors {

struct UrlHost {
  std::string host;  // lower case; IPv6 without brackets
  int port = 0;      // explicit or the scheme's default
};
// The host and port of an absolute http(s) URL; nullopt when it is not one, or has user info.
std::optional<UrlHost> url_host(const std::string& url);
// A normalised allowlist entry ("host" or "host:port"), or nullopt when malformed.
std::optional<std::string> normalise_host_entry(const std::string& entry);

class HostAllowlist {
 public:
  HostAllowlist(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // kForbidden naming the host when the URL's host is not allowed (or the URL is unusable).
  Status check_url(const std::string& url);
  // Checks every "url" and "token_url" string anywhere in a connector config. URL templates
  // ("{url}/{upstream_id}") are checked after their leading "{url}" is replaced by the
  // connector's own url. Strings that are not http(s) URLs are left to the type's validation.
  Status check_config(const nlohmann::json& config);

  Result<std::vector<std::string>> list();
  // Replaces the whole list (entries normalised; kValidation naming bad ones).
  Status replace(const std::vector<std::string>& hosts, const std::string& by);
  Status add(const std::string& host, const std::string& by);

 private:
  Result<std::set<std::string>> load();
  db::Database& db_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<std::set<std::string>> cache_;  // GUARDED_BY(mu_)
  int64_t loaded_at_ms_ = 0;                    // GUARDED_BY(mu_)
};

// Refuses (status 0, error "host not allowed: ...") requests to hosts not on the allowlist;
// passes the others to `inner`.
std::unique_ptr<HttpClient> make_guarded_http_client(std::unique_ptr<HttpClient> inner,
                                                     HostAllowlist& allow);

}  // namespace yb::connectors
