// Applies a connector's authentication to an outgoing request. OAuth2 client-credentials
// tokens are fetched through the HttpClient, cached per connector until shortly before they
// expire, and refreshed (also after a 401 via invalidate()). Secrets are never logged.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "connectors/connector.h"
#include "connectors/http.h"

namespace yb::connectors {

class Authenticator {
 public:
  explicit Authenticator(HttpClient& client) : client_(client) {}
  // Adds the Authorization (or API-key) header. kValidation when a secret is missing,
  // kUnavailable when the token endpoint fails.
  Status apply(const std::string& connector_id, const AuthConfig& auth, const SendOptions& send,
               const SecretLookup& secrets, int64_t now_ms, HttpRequest& req);
  // Forgets a cached OAuth2 token (after the upstream answered 401).
  void invalidate(const std::string& connector_id);

 private:
  struct Token {
    std::string value;
    int64_t expires_ms = 0;
  };
  HttpClient& client_;
  std::mutex mu_;
  std::map<std::string, Token> tokens_;  // GUARDED_BY(mu_)
};

}  // namespace yb::connectors
