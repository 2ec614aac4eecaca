// Authenticator: each auth type's header, missing secrets, and OAuth2 client credentials
// against a real local token endpoint (cache, expiry with an injected clock, invalidate).
#include "connectors/delivery/auth.h"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>

#include "tests/support/test_server.h"

namespace yb::connectors {
namespace {

constexpr int64_t kNow = 1'795'737'600'000;
constexpr const char* kSecretValue = "s3cr3t-VALUE-never-shown";

// A client that must not be called (the static auth types send nothing).
class NoClient final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest&, const SendOptions&) override {
    FAIL("unexpected HTTP request");
    return {};
  }
};

SecretLookup secrets_with(std::map<std::string, std::string> m) {
  return [m](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

std::string header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

std::string all_text(const Error& e) {
  std::string s = e.code + e.message.zh + e.message.en;
  for (const auto& d : e.details) s += d.path + d.code + d.message.zh + d.message.en;
  return s;
}

}  // namespace

TEST_CASE("none, basic, bearer and api_key headers") {
  NoClient nc;
  Authenticator auth(nc);
  auto secrets = secrets_with({{"pw", "p@ss:word"}, {"tok", "abc.def"}, {"key", "k-123"}});
  SendOptions send;

  HttpRequest r0;
  AuthConfig none;
  CHECK(auth.apply("c", none, send, secrets, kNow, r0).ok());
  CHECK(r0.headers.empty());

  HttpRequest r1;
  AuthConfig basic;
  basic.type = "basic";
  basic.username = "yibiao";
  basic.secret = "pw";
  CHECK(auth.apply("c", basic, send, secrets, kNow, r1).ok());
  // python3 -c 'import base64; print(base64.b64encode(b"yibiao:p@ss:word").decode())'
  CHECK(header(r1, "Authorization") == "Basic eWliaWFvOnBAc3M6d29yZA==");

  HttpRequest r2;
  r2.headers = {{"authorization", "stale"}};
  AuthConfig bearer;
  bearer.type = "bearer";
  bearer.secret = "tok";
  CHECK(auth.apply("c", bearer, send, secrets, kNow, r2).ok());
  CHECK(r2.headers.size() == 1);  // replaced, not duplicated
  CHECK(header(r2, "Authorization") == "Bearer abc.def");

  HttpRequest r3;
  AuthConfig key;
  key.type = "api_key";
  key.secret = "key";
  CHECK(auth.apply("c", key, send, secrets, kNow, r3).ok());
  CHECK(header(r3, "X-API-Key") == "k-123");
  key.header = "apikey";
  HttpRequest r4;
  CHECK(auth.apply("c", key, send, secrets, kNow, r4).ok());
  CHECK(header(r4, "apikey") == "k-123");
}

TEST_CASE("a missing secret names the secret, never a value") {
  NoClient nc;
  Authenticator auth(nc);
  auto secrets = secrets_with({{"other", kSecretValue}});
  for (const char* type : {"basic", "bearer", "api_key", "oauth2"}) {
    CAPTURE(type);
    AuthConfig a;
    a.type = type;
    a.secret = "civil_affairs_password";
    a.token_url = "https://idp.example/token";
    a.client_id = "yb";
    HttpRequest r;
    auto st = auth.apply("c", a, SendOptions{}, secrets, kNow, r);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == ErrorKind::kValidation);
    const std::string text = all_text(st.error());
    CHECK(text.find("civil_affairs_password") != std::string::npos);
    CHECK(text.find(kSecretValue) == std::string::npos);
    CHECK(r.headers.empty());
  }
  // No lookup at all behaves like a missing secret.
  AuthConfig a;
  a.type = "bearer";
  a.secret = "tok";
  HttpRequest r;
  CHECK_FALSE(auth.apply("c", a, SendOptions{}, SecretLookup{}, kNow, r).ok());
}

TEST_CASE("configuration errors") {
  NoClient nc;
  Authenticator auth(nc);
  auto secrets = secrets_with({{"s", "v"}});
  HttpRequest r;
  AuthConfig unknown;
  unknown.type = "kerberos";
  auto st = auth.apply("c", unknown, SendOptions{}, secrets, kNow, r);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().details.at(0).path == "auth.type");
  AuthConfig o;
  o.type = "oauth2";
  o.secret = "s";
  o.client_id = "id";
  st = auth.apply("c", o, SendOptions{}, secrets, kNow, r);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().details.at(0).path == "auth.token_url");
}

TEST_CASE("oauth2 client credentials: fetched once, cached, refreshed, invalidated") {
  std::atomic<int> fetches{0};
  std::atomic<int> expires_in{3600};
  std::mutex mu;
  httplib::Request last;
  test::TestServer idp([&](httplib::Server& s) {
    s.Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        last = req;
      }
      const int n = ++fetches;
      res.set_content(R"({"access_token":"tok-)" + std::to_string(n) +
                          R"(","token_type":"Bearer","expires_in":)" +
                          std::to_string(expires_in.load()) + "}",
                      "application/json");
    });
  });
  auto client = make_http_client();
  Authenticator auth(*client);
  AuthConfig a;
  a.type = "oauth2";
  a.token_url = idp.url("http", "/token");
  a.client_id = "yibiao gateway";
  a.secret = "idp_secret";
  a.scope = "submit read";
  auto secrets = secrets_with({{"idp_secret", "c&s=1"}});
  SendOptions send;
  send.tls.allow_plain_http = true;

  HttpRequest r1, r2;
  REQUIRE(auth.apply("civil", a, send, secrets, kNow, r1).ok());
  REQUIRE(auth.apply("civil", a, send, secrets, kNow + 1000, r2).ok());
  CHECK(fetches == 1);
  CHECK(header(r1, "Authorization") == "Bearer tok-1");
  CHECK(header(r2, "Authorization") == "Bearer tok-1");
  {
    std::lock_guard lock(mu);
    CHECK(last.get_header_value("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(last.get_param_value("grant_type") == "client_credentials");
    CHECK(last.get_param_value("client_id") == "yibiao gateway");
    CHECK(last.get_param_value("client_secret") == "c&s=1");
    CHECK(last.get_param_value("scope") == "submit read");
  }

  // Valid until 60 s before expiry, then refreshed.
  HttpRequest r3;
  REQUIRE(auth.apply("civil", a, send, secrets, kNow + 3'539'999, r3).ok());
  CHECK(fetches == 1);
  REQUIRE(auth.apply("civil", a, send, secrets, kNow + 3'540'000, r3).ok());
  CHECK(fetches == 2);
  CHECK(header(r3, "Authorization") == "Bearer tok-2");

  // Another connector has its own token.
  HttpRequest r4;
  REQUIRE(auth.apply("medical", a, send, secrets, kNow, r4).ok());
  CHECK(fetches == 3);
  CHECK(header(r4, "Authorization") == "Bearer tok-3");

  // invalidate() (after a 401) forces a new fetch for that connector only.
  auth.invalidate("civil");
  HttpRequest r5, r6;
  REQUIRE(auth.apply("civil", a, send, secrets, kNow + 3'541'000, r5).ok());
  CHECK(fetches == 4);
  CHECK(header(r5, "Authorization") == "Bearer tok-4");
  REQUIRE(auth.apply("medical", a, send, secrets, kNow + 1000, r6).ok());
  CHECK(fetches == 4);
}

TEST_CASE("oauth2 token endpoint failures are kUnavailable without secrets or bodies") {
  std::atomic<int> mode{0};
  test::TestServer idp([&](httplib::Server& s) {
    s.Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
      if (mode == 0) {
        res.status = 401;
        res.set_content(R"({"error":"invalid_client","echo":")" + req.body + "\"}",
                        "application/json");
      } else {
        res.set_content(R"({"token_type":"Bearer"})", "application/json");
      }
    });
  });
  auto client = make_http_client();
  Authenticator auth(*client);
  AuthConfig a;
  a.type = "oauth2";
  a.token_url = idp.url("http", "/token");
  a.client_id = "yb";
  a.secret = "idp";
  auto secrets = secrets_with({{"idp", kSecretValue}});
  SendOptions send;
  send.tls.allow_plain_http = true;
  HttpRequest r;
  auto st = auth.apply("c", a, send, secrets, kNow, r);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().kind == ErrorKind::kUnavailable);
  CHECK(all_text(st.error()).find("HTTP 401") != std::string::npos);
  CHECK(all_text(st.error()).find(kSecretValue) == std::string::npos);
  mode = 1;
  st = auth.apply("c", a, send, secrets, kNow, r);
  REQUIRE_FALSE(st.ok());
  CHECK(all_text(st.error()).find("access_token") != std::string::npos);
  CHECK(r.headers.empty());
  // Plain http to the token endpoint follows the connector's TLS options.
  st = auth.apply("c", a, SendOptions{}, secrets, kNow, r);
  REQUIRE_FALSE(st.ok());
  CHECK(all_text(st.error()).find("plain http not allowed") != std::string::npos);
}

}  // namespace yb::connectors
