// Standard Webhooks signatures: known answers, bad secrets, id formats.
#include "connectors/delivery/signing.h"

#include <doctest/doctest.h>

#include <set>

namespace yb::connectors {
namespace {

// The example secret and message of the Standard Webhooks specification.
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

bool is_base64(const std::string& s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      return false;
  return true;
}

std::string sign(std::string_view secret, std::string_view id, int64_t ts, std::string_view body) {
  auto r = webhook_signature(secret, id, ts, body);
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("known answers") {
  // Expected values computed independently with Python's hmac:
  //   python3 -c 'import hmac,hashlib,base64;
  //   k=base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  //     print(base64.b64encode(hmac.new(k, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\":
  //     2432232314}", hashlib.sha256).digest()).decode())'
  // (this is also the example in the Standard Webhooks specification)
  auto sig = webhook_signature(kSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                               R"({"test": 2432232314})");
  REQUIRE(sig.ok());
  CHECK(*sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  // UTF-8 body; same command with
  //   "msg_2b7d0000000000000000000000.1795737600.{\"xm\":\"张三\",\"xb\":\"1\"}".encode()
  auto zh = webhook_signature(kSecret, "msg_2b7d0000000000000000000000", 1795737600,
                              R"({"xm":"张三","xb":"1"})");
  REQUIRE(zh.ok());
  CHECK(*zh == "v1,ctuhMYzDxdGeTDlbXtCNepEpDnD+oU8THWg2YD6zFlE=");
}

TEST_CASE("every input part changes the signature") {
  const std::string base = sign(kSecret, "msg_a", 100, "{}");
  CHECK(sign(kSecret, "msg_b", 100, "{}") != base);
  CHECK(sign(kSecret, "msg_a", 101, "{}") != base);
  CHECK(sign(kSecret, "msg_a", 100, "{ }") != base);
  CHECK(sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", "msg_a", 100, "{}") != base);
  CHECK(sign(kSecret, "msg_a", 100, "{}") == base);  // deterministic
}

TEST_CASE("bad secrets are rejected without echoing them") {
  for (const char* bad :
       {"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "Whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}) {
    CAPTURE(bad);
    auto r = webhook_signature(bad, "msg_a", 1, "{}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::kValidation);
    CHECK(r.error().code == "bad_webhook_secret");
    if (std::string(bad).size() > 6) {
      CHECK(r.error().message.en.find(bad) == std::string::npos);
      CHECK(r.error().message.zh.find(bad) == std::string::npos);
    }
  }
}

TEST_CASE("new secrets are whsec_ + base64 of 24 bytes and work") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string s = new_webhook_secret();
    CHECK(s.starts_with("whsec_"));
    CHECK(s.size() == 6 + 32);
    CHECK(is_base64(s.substr(6)));
    CHECK(webhook_signature(s, "msg_x", 1, "body").ok());
    seen.insert(s);
  }
  CHECK(seen.size() == 50);
}

TEST_CASE("delivery ids: msg_ + 26 lower-case base32 characters, unique") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_delivery_id();
    REQUIRE(id.size() == 30);
    CHECK(id.starts_with("msg_"));
    for (char c : id.substr(4)) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
      if (!ok) FAIL("bad character in " << id);
    }
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

}  // namespace yb::connectors
