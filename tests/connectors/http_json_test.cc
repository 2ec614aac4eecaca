// http_json: configuration parsing (shared with http_form) and request building.
#include <doctest/doctest.h>

#include "connectors/connector.h"
#include "connectors/http_json/http_json.h"
#include "tests/connectors/test_util.h"

using namespace yb;
using namespace yb::connectors;

namespace {

Json valid() {
  return Json::parse(R"({
    "id": "civil",
    "type": "http_json",
    "name": {"zh-CN": "民政", "en": "Civil affairs"},
    "url": "https://mz.example.gov.cn/api/申请",
    "mapping": {"fields": [{"to": "姓名", "from": "person.name"},
                           {"to": "jt.rks", "from": "household.size"}]}
  })");
}

using yb::connectors::test_util::has_error;
using yb::connectors::test_util::parse;

std::string dump_errors(const Result<ConnectorPtr>& r) {
  std::string s;
  if (r.ok()) return s;
  for (const auto& d : r.error().details) s += d.path + " " + d.code + "; ";
  return s;
}

std::string header(const HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

}  // namespace

TEST_CASE("an empty config is rejected with every required key named") {
  auto r = parse(Json{{"type", "http_json"}});
  REQUIRE_FALSE(r.ok());
  INFO(dump_errors(r));
  CHECK(r.error().kind == ErrorKind::kValidation);
  CHECK(has_error(r, "id", "required"));
  CHECK(has_error(r, "name", "required"));
  CHECK(has_error(r, "url", "required"));
  CHECK(has_error(r, "mapping", "required"));
}

TEST_CASE("a valid config is accepted with the documented defaults") {
  auto r = parse(valid());
  REQUIRE_MESSAGE(r.ok(), dump_errors(r));
  const Connector& c = *r.value();
  CHECK(c.pushes());
  CHECK(c.id == "civil");
  CHECK(c.name.zh == "民政");
  CHECK(c.subject_field == "person.id_number");
  REQUIRE(c.retry());
  CHECK(c.retry()->schedule_s.size() == 10);
  CHECK(c.retry()->pause_statuses == std::vector<int>{410});
  REQUIRE(c.limits());
  CHECK(c.limits()->concurrency == 4);
  REQUIRE(c.send_options());
  CHECK(c.send_options()->connect_timeout_ms == 5000);
  CHECK(c.send_options()->read_timeout_ms == 15000);
  CHECK(c.send_options()->tls.verify);
  CHECK_FALSE(c.send_options()->tls.allow_plain_http);
  REQUIRE(c.auth());
  CHECK(c.auth()->type == "none");
  REQUIRE(c.response_id());
  CHECK(c.response_id()->json_path.empty());
  CHECK(c.signing_secret_name().empty());
  CHECK(c.mapping.writes() == std::vector<std::string>{"姓名", "jt.rks"});
}

TEST_CASE("every key is read: a full config") {
  Json j = valid();
  j.merge_patch(Json::parse(R"({
    "method": "PATCH",
    "update": {"method": "PATCH", "url": "{url}?id={upstream_id}"},
    "headers": {"X-Region": "650102"},
    "auth": {"type": "oauth2", "token_url": "https://auth.example.gov.cn/token",
             "client_id": "yibiao", "secret": "civil_client_secret", "scope": "write"},
    "tls": {"verify": true, "ca_bundle": "/etc/yibiao/gov-ca.pem"},
    "timeouts": {"connect_ms": 2000, "read_ms": 30000},
    "retry": {"schedule_s": [0, 10, 60], "jitter": 0.1, "permanent_statuses": [400, 422],
              "pause_statuses": [410, 403], "min_after_throttle_s": 120},
    "limits": {"concurrency": 2, "rate_per_s": 5.5, "burst": 10, "breaker_failures": 3,
               "breaker_open_s": 60},
    "signing_secret": "civil_webhook",
    "response_id": {"json_path": "data.id", "location": true},
    "envelope": {"data": "$payload", "source": "yibiao"},
    "description": "民政低保系统",
    "forms": ["resident_household"],
    "when": "${welfare.low_income_status} != '0'",
    "subject_field": "person.id_number"
  })"));
  auto r = parse(j);
  REQUIRE_MESSAGE(r.ok(), dump_errors(r));
  const Connector& c = *r.value();
  CHECK(c.retry()->schedule_s == std::vector<int64_t>{0, 10, 60});
  CHECK(c.retry()->jitter == doctest::Approx(0.1));
  CHECK(c.retry()->permanent_statuses == std::vector<int>{400, 422});
  CHECK(c.retry()->min_after_throttle_s == 120);
  CHECK(c.limits()->rate_per_s == doctest::Approx(5.5));
  CHECK(c.limits()->breaker_open_s == 60);
  CHECK(c.send_options()->tls.ca_bundle_path == "/etc/yibiao/gov-ca.pem");
  CHECK(c.send_options()->read_timeout_ms == 30000);
  CHECK(c.auth()->type == "oauth2");
  CHECK(c.auth()->secret == "civil_client_secret");
  CHECK(c.response_id()->json_path == "data.id");
  CHECK(c.response_id()->location);
  CHECK(c.signing_secret_name() == "civil_webhook");
  CHECK(c.forms == std::vector<std::string>{"resident_household"});
  CHECK(c.when_expr != nullptr);
}

TEST_CASE("wrong types and out-of-range numbers are rejected with paths, all at once") {
  Json j = valid();
  j.merge_patch(Json::parse(R"({
    "method": "GET",
    "update": {"method": 1, "url": "{url}/{id}"},
    "headers": {"Authorization": "Bearer x", "Bad Header": "x", "X-Ok": 5},
    "auth": "bearer",
    "tls": {"verify": "yes", "ca_bundle": "relative.pem"},
    "timeouts": {"connect_ms": 0, "read_ms": "15s"},
    "retry": {"schedule_s": [0, -1, "x"], "jitter": 2, "permanent_statuses": [200],
              "min_after_throttle_s": 1.5},
    "limits": {"concurrency": 0, "rate_per_s": -1, "burst": 1.5, "breaker_failures": "x"},
    "signing_secret": "whsec_AAAA",
    "response_id": {"json_path": "data..id", "location": "yes"},
    "envelope": {"data": "payload"}
  })"));
  auto r = parse(j);
  REQUIRE_FALSE(r.ok());
  INFO(dump_errors(r));
  CHECK(has_error(r, "method", "bad_value"));
  CHECK(has_error(r, "update.method", "type"));
  CHECK(has_error(r, "update.url", "bad_template"));
  CHECK(has_error(r, "headers.Authorization", "reserved_header"));
  CHECK(has_error(r, "headers.Bad Header", "bad_header"));
  CHECK(has_error(r, "headers.X-Ok", "type"));
  CHECK(has_error(r, "auth", "type"));
  CHECK(has_error(r, "tls.verify", "type"));
  CHECK(has_error(r, "tls.ca_bundle", "bad_path"));
  CHECK(has_error(r, "timeouts.connect_ms", "out_of_range"));
  CHECK(has_error(r, "timeouts.read_ms", "type"));
  CHECK(has_error(r, "retry.schedule_s[1]", "out_of_range"));
  CHECK(has_error(r, "retry.schedule_s[2]", "type"));
  CHECK(has_error(r, "retry.jitter", "out_of_range"));
  CHECK(has_error(r, "retry.permanent_statuses[0]", "out_of_range"));
  CHECK(has_error(r, "retry.min_after_throttle_s", "type"));
  CHECK(has_error(r, "limits.concurrency", "out_of_range"));
  CHECK(has_error(r, "limits.rate_per_s", "out_of_range"));
  CHECK(has_error(r, "limits.burst", "type"));
  CHECK(has_error(r, "limits.breaker_failures", "type"));
  CHECK(has_error(r, "signing_secret", "bad_secret_name"));
  CHECK(has_error(r, "response_id.json_path", "bad_path"));
  CHECK(has_error(r, "response_id.location", "type"));
  CHECK(has_error(r, "envelope", "bad_envelope"));
  for (const auto& d : r.error().details) {
    CHECK_FALSE(d.message.zh.empty());
    CHECK_FALSE(d.message.en.empty());
  }
}

TEST_CASE("unknown keys are rejected at every level") {
  Json j = valid();
  j.merge_patch(Json::parse(R"({
    "urll": "x",
    "auth": {"type": "bearer", "secret": "t", "pasword": "x"},
    "tls": {"verfy": false},
    "timeouts": {"write_ms": 1},
    "retry": {"max": 3},
    "limits": {"qps": 3},
    "update": {"verb": "PUT"},
    "response_id": {"header": "Location"}
  })"));
  auto r = parse(j);
  REQUIRE_FALSE(r.ok());
  INFO(dump_errors(r));
  for (const char* p : {"urll", "auth.pasword", "tls.verfy", "timeouts.write_ms", "retry.max",
                        "limits.qps", "update.verb", "response_id.header"}) {
    CHECK_MESSAGE(has_error(r, p, "unknown_key"), p);
  }
}

TEST_CASE("plain http is refused unless tls.allow_plain_http is true") {
  Json j = valid();
  j["url"] = "http://127.0.0.1:18080/civil";
  auto r = parse(j);
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r, "url", "plain_http"));
  CHECK(r.error().details[0].message.zh.find("tls.allow_plain_http") != std::string::npos);
  j["tls"] = {{"allow_plain_http", true}};
  CHECK(parse(j).ok());
  for (const char* bad : {"ftp://x/y", "https://", "https://user:pw@host/x", "https://h:99999/x",
                          "mz.example.gov.cn/api"}) {
    j["url"] = bad;
    CHECK_MESSAGE(has_error(parse(j), "url", "bad_url"), bad);
  }
}

TEST_CASE("auth: per-type required keys, keys of other types refused, names not values") {
  auto with_auth = [](const char* auth) {
    Json j = valid();
    j["auth"] = Json::parse(auth);
    return parse(j);
  };
  CHECK(with_auth(R"({"type": "none"})").ok());
  CHECK(with_auth(R"({"type": "basic", "username": "u", "secret": "civil_pw"})").ok());
  CHECK(with_auth(R"({"type": "bearer", "secret": "civil_token"})").ok());
  CHECK(with_auth(R"({"type": "api_key", "secret": "k", "header": "X-Key"})").ok());
  CHECK(has_error(with_auth(R"({"type": "basic"})"), "auth.username", "required"));
  CHECK(has_error(with_auth(R"({"type": "basic"})"), "auth.secret", "required"));
  CHECK(has_error(with_auth(R"({"type": "bearer"})"), "auth.secret", "required"));
  auto o = with_auth(R"({"type": "oauth2", "secret": "s"})");
  CHECK(has_error(o, "auth.token_url", "required"));
  CHECK(has_error(o, "auth.client_id", "required"));
  CHECK(has_error(with_auth(R"({"type": "bearer", "secret": "t", "username": "u"})"),
                  "auth.username", "not_applicable"));
  CHECK(has_error(with_auth(R"({"type": "kerberos"})"), "auth.type", "bad_value"));
  CHECK(has_error(with_auth(R"({"type": "bearer", "secret": "eyJhbGciOi.JIUzI1NiJ9+/="})"),
                  "auth.secret", "bad_secret_name"));
  CHECK(has_error(with_auth(R"({"type": "oauth2", "secret": "s", "client_id": "c",
                                "token_url": "http://auth/token"})"),
                  "auth.token_url", "bad_url"));
}

TEST_CASE("build_request: compact UTF-8 JSON body, headers, idempotency and webhook ids") {
  Json j = valid();
  j["headers"] = {{"X-Region", "650102"}};
  auto r = parse(j);
  REQUIRE(r.ok());
  const Json payload = {{"姓名", "阿卜杜拉·艾力"}, {"jt", {{"rks", 3}}}};
  auto req =
      r.value()->build_request(payload, RequestContext{"msg_01ABC", 1718000000, {}}, nullptr);
  REQUIRE(req.ok());
  CHECK(req->method == "POST");
  // Unicode in the path is percent-encoded as UTF-8.
  CHECK(req->url == "https://mz.example.gov.cn/api/%E7%94%B3%E8%AF%B7");
  CHECK(req->content_type == "application/json; charset=utf-8");
  CHECK(req->body == R"({"jt":{"rks":3},"姓名":"阿卜杜拉·艾力"})");
  CHECK(Json::parse(req->body) == payload);
  CHECK(header(*req, "X-Region") == "650102");
  CHECK(header(*req, "Idempotency-Key") == "msg_01ABC");
  CHECK(header(*req, "webhook-id") == "msg_01ABC");
  CHECK(header(*req, "webhook-timestamp") == "1718000000");
  CHECK(header(*req, "webhook-signature") == "<none>");  // the engine signs
  CHECK(header(*req, "Authorization") == "<none>");      // the engine authenticates

  // The same delivery id on a retry gives the same request.
  auto again =
      r.value()->build_request(payload, RequestContext{"msg_01ABC", 1718000000, {}}, nullptr);
  REQUIRE(again.ok());
  CHECK(again->body == req->body);

  CHECK_FALSE(r.value()->build_request(payload, RequestContext{}, nullptr).ok());
}

TEST_CASE("build_request: a known upstream id sends an update to the URL template") {
  Json j = valid();
  j["url"] = "https://yb.example.gov.cn/insured";
  auto r = parse(j);
  REQUIRE(r.ok());
  RequestContext ctx{"msg_2", 5, std::string("YB-42")};
  auto req = r.value()->build_request(Json{{"a", 1}}, ctx, nullptr);
  REQUIRE(req.ok());
  CHECK(req->method == "PUT");
  CHECK(req->url == "https://yb.example.gov.cn/insured/YB-42");
  CHECK(header(*req, "Idempotency-Key") == "msg_2");

  j["update"] = {{"method", "PATCH"}, {"url", "{url}?id={upstream_id}"}};
  auto r2 = parse(j);
  REQUIRE(r2.ok());
  ctx.upstream_id = "a/b 档案";  // reserved characters and Unicode are escaped in the id
  auto req2 = r2.value()->build_request(Json{{"a", 1}}, ctx, nullptr);
  REQUIRE(req2.ok());
  CHECK(req2->method == "PATCH");
  CHECK(req2->url == "https://yb.example.gov.cn/insured?id=a%2Fb%20%E6%A1%A3%E6%A1%88");
}

TEST_CASE("build_request: the envelope wraps the payload") {
  Json j = valid();
  j["envelope"] = {{"data", "$payload"}, {"source", "yibiao"}, {"v", 1}};
  auto r = parse(j);
  REQUIRE(r.ok());
  auto req =
      r.value()->build_request(Json{{"xm", "王芳"}}, RequestContext{"msg_3", 1, {}}, nullptr);
  REQUIRE(req.ok());
  CHECK(Json::parse(req->body) == Json{{"data", {{"xm", "王芳"}}}, {"source", "yibiao"}, {"v", 1}});
}

TEST_CASE("build_request: invalid UTF-8 in a payload is an error, not an exception") {
  auto r = parse(valid());
  REQUIRE(r.ok());
  auto req = r.value()->build_request(Json{{"xm", std::string("\xff\xfe")}},
                                      RequestContext{"msg_4", 1, {}}, nullptr);
  CHECK_FALSE(req.ok());
}
