// Authentication towards upstreams. Thread-safe: the OAuth2 token cache is guarded by mu_,
// which is never held while a token is fetched (two threads missing the cache at once may
// both fetch; the later token wins, both are valid).
//
// Errors name the secret (its name in the secrets store) but never contain a secret value, a
// token, or the token endpoint's answer body.
#include "connectors/delivery/auth.h"

#include <sodium.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace yb::connectors {

namespace {

constexpr int64_t kRefreshMarginMs = 60'000;  // refresh this long before expiry
constexpr int64_t kDefaultExpiresS = 3600;    // when the endpoint does not say

std::string base64(std::string_view in) {
  if (sodium_init() < 0) std::abort();  // no randomness source: libsodium cannot work
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return out;
}

void set_header(HttpRequest& req, const std::string& name, std::string value) {
  std::erase_if(req.headers,
                [&](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; });
  req.headers.emplace_back(name, std::move(value));
}

Error config_error(const std::string& path, const std::string& code, const std::string& zh,
                   const std::string& en) {
  Error e = Error::make(ErrorKind::kValidation, "auth_config", "连接器认证配置有误",
                        "the connector's authentication is misconfigured");
  e.details.push_back(FieldError{path, code, Text{zh, en}});
  return e;
}

Error missing_secret(const std::string& name) {
  if (name.empty())
    return config_error("auth.secret", "required", "未指定认证密钥名称",
                        "auth.secret (the name of the secret) is required");
  return config_error("auth.secret", "secret_missing", "密钥 \"" + name + "\" 未设置",
                      "secret \"" + name + "\" is not set");
}

Error token_error(const std::string& why) {
  return Error::make(ErrorKind::kUnavailable, "oauth2_token_failed", "获取 OAuth2 令牌失败：" + why,
                     "could not get an OAuth2 token: " + why);
}

// The secret named by auth.secret, or an error naming it.
Result<std::string> lookup(const AuthConfig& auth, const SecretLookup& secrets) {
  if (auth.secret.empty() || !secrets) return missing_secret(auth.secret);
  std::optional<std::string> v = secrets(auth.secret);
  if (!v) return missing_secret(auth.secret);
  return std::move(*v);
}

std::string cache_key(const std::string& connector_id, const AuthConfig& a) {
  // A changed token_url, client_id or scope must not reuse the old token.
  return connector_id + '\n' + a.token_url + '\n' + a.client_id + '\n' + a.scope;
}

}  // namespace

Status Authenticator::apply(const std::string& connector_id, const AuthConfig& auth,
                            const SendOptions& send, const SecretLookup& secrets, int64_t now_ms,
                            HttpRequest& req) {
  if (auth.type.empty() || auth.type == "none") return ok_status();

  if (auth.type == "basic" || auth.type == "bearer" || auth.type == "api_key") {
    if (auth.type == "api_key" && auth.header.empty())
      return config_error("auth.header", "required", "未指定 API 密钥的请求头名称",
                          "auth.header is required for api_key");
    auto secret = lookup(auth, secrets);
    if (!secret) return secret.take_error();
    if (auth.type == "basic") {
      std::string user_pass = auth.username + ":" + *secret;
      set_header(req, "Authorization", "Basic " + base64(user_pass));
      sodium_memzero(user_pass.data(), user_pass.size());
    } else if (auth.type == "bearer") {
      set_header(req, "Authorization", "Bearer " + *secret);
    } else {
      set_header(req, auth.header, *secret);
    }
    sodium_memzero(secret->data(), secret->size());
    return ok_status();
  }

  if (auth.type != "oauth2")
    return config_error(
        "auth.type", "unknown", "未知的认证方式 \"" + auth.type + "\"",
        "unknown auth type \"" + auth.type + "\" (none, basic, bearer, api_key, oauth2)");
  if (auth.token_url.empty())
    return config_error("auth.token_url", "required", "OAuth2 需要 token_url",
                        "auth.token_url is required for oauth2");
  if (auth.client_id.empty())
    return config_error("auth.client_id", "required", "OAuth2 需要 client_id",
                        "auth.client_id is required for oauth2");

  const std::string key = cache_key(connector_id, auth);
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && now_ms < it->second.expires_ms) {
      set_header(req, "Authorization", "Bearer " + it->second.value);
      return ok_status();
    }
  }

  auto secret = lookup(auth, secrets);
  if (!secret) return secret.take_error();
  HttpRequest tr;
  tr.method = "POST";
  tr.url = auth.token_url;
  tr.content_type = "application/x-www-form-urlencoded";
  tr.headers.emplace_back("Accept", "application/json");
  tr.body = "grant_type=client_credentials&client_id=" + percent_encode(auth.client_id) +
            "&client_secret=" + percent_encode(*secret);
  if (!auth.scope.empty()) tr.body += "&scope=" + percent_encode(auth.scope);
  sodium_memzero(secret->data(), secret->size());
  HttpResponse resp = client_.send(tr, send);
  sodium_memzero(tr.body.data(), tr.body.size());
  if (resp.status == 0) return token_error(resp.error.empty() ? "no response" : resp.error);
  if (resp.status < 200 || resp.status > 299)
    return token_error("HTTP " + std::to_string(resp.status));

  const auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("access_token") ||
      !j["access_token"].is_string() || j["access_token"].get<std::string>().empty())
    return token_error("the answer has no access_token");
  int64_t expires_s = kDefaultExpiresS;
  if (j.contains("expires_in")) {
    const auto& e = j["expires_in"];
    if (e.is_number()) {
      expires_s = e.get<int64_t>();
    } else if (e.is_string()) {
      const auto& s = e.get_ref<const std::string&>();
      if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), ::isdigit))
        expires_s = std::stoll(s);
    }
  }
  expires_s = std::max<int64_t>(expires_s, 0);
  // Refresh a minute early; a token that lives less than two minutes is used for half its life.
  const int64_t life_ms = expires_s * 1000;
  const int64_t margin = std::min(kRefreshMarginMs, life_ms / 2);
  Token t{j["access_token"].get<std::string>(), now_ms + life_ms - margin};
  set_header(req, "Authorization", "Bearer " + t.value);
  {
    std::lock_guard lock(mu_);
    tokens_[key] = std::move(t);
  }
  return ok_status();
}

void Authenticator::invalidate(const std::string& connector_id) {
  std::lock_guard lock(mu_);
  const std::string prefix = connector_id + '\n';
  auto it = tokens_.lower_bound(prefix);
  while (it != tokens_.end() && it->first.compare(0, prefix.size(), prefix) == 0)
    it = tokens_.erase(it);
}

}  // namespace yb::connectors
