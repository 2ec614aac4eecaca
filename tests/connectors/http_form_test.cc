// http_form: the same configuration as http_json, a form-encoded body.
#include <doctest/doctest.h>

#include "connectors/connector.h"
#include "connectors/http_form/http_form.h"
#include "tests/connectors/test_util.h"

using namespace yb;
using namespace yb::connectors;

namespace {

Json valid() {
  return Json::parse(R"({
    "id": "disabled_fed",
    "type": "http_form",
    "name": {"zh-CN": "残联"},
    "url": "http://127.0.0.1:18080/disabled_fed",
    "tls": {"allow_plain_http": true},
    "signing_secret": "disabled_fed_webhook",
    "mapping": {"fields": [{"to": "xm", "from": "person.name"}]}
  })");
}

using yb::connectors::test_util::has_error;
using yb::connectors::test_util::parse;

std::string header(const HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

}  // namespace

TEST_CASE("config: empty rejected, valid accepted, wrong types and unknown keys rejected") {
  auto empty = parse(Json{{"type", "http_form"}});
  REQUIRE_FALSE(empty.ok());
  CHECK(has_error(empty, "url", "required"));
  CHECK(has_error(empty, "mapping", "required"));

  auto ok = parse(valid());
  REQUIRE(ok.ok());
  CHECK(ok.value()->pushes());
  CHECK(ok.value()->type == "http_form");
  CHECK(ok.value()->signing_secret_name() == "disabled_fed_webhook");

  Json j = valid();
  j["method"] = 5;
  j["limits"] = {{"concurrency", 1000}, {"speed", 1}};
  j["tls"]["allow_plain_http"] = "true";  // not a boolean: plain http then refused too
  auto bad = parse(j);
  REQUIRE_FALSE(bad.ok());
  CHECK(has_error(bad, "method", "type"));
  CHECK(has_error(bad, "limits.concurrency", "out_of_range"));
  CHECK(has_error(bad, "limits.speed", "unknown_key"));
  CHECK(has_error(bad, "tls.allow_plain_http", "type"));
  CHECK(has_error(bad, "url", "plain_http"));
}

TEST_CASE("flatten_form: nested keys as a.b, arrays as a[0].b, scalars as text") {
  Json doc = Json::parse(R"({"xm": "王芳", "dz": {"qz": "乌鲁木齐", "yb": 830000},
    "cy": [{"xm": "张三", "gx": "配偶"}, {"xm": "李四"}], "fx": ["因病", "因学"],
    "cj": true, "kong": null})");
  auto pairs = flatten_form(doc);
  std::map<std::string, std::string> m(pairs.begin(), pairs.end());
  CHECK(m.at("xm") == "王芳");
  CHECK(m.at("dz.qz") == "乌鲁木齐");
  CHECK(m.at("dz.yb") == "830000");
  CHECK(m.at("cy[0].xm") == "张三");
  CHECK(m.at("cy[0].gx") == "配偶");
  CHECK(m.at("cy[1].xm") == "李四");
  CHECK(m.at("fx[0]") == "因病");
  CHECK(m.at("fx[1]") == "因学");
  CHECK(m.at("cj") == "true");
  CHECK(m.at("kong") == "");
  CHECK(pairs.size() == 10);
}

TEST_CASE("form_urlencode percent-encodes UTF-8, spaces as +, reserved characters") {
  CHECK(form_urlencode({{"xm", "王芳"}}) == "xm=%E7%8E%8B%E8%8A%B3");
  CHECK(form_urlencode({{"a b", "1+1=2&c"}, {"k", "x*y-z._~"}}) ==
        "a+b=1%2B1%3D2%26c&k=x*y-z._%7E");
  CHECK(form_urlencode({{"cy[0].xm", "阿卜杜拉·艾力"}}) ==
        "cy%5B0%5D.xm=%E9%98%BF%E5%8D%9C%E6%9D%9C%E6%8B%89%C2%B7%E8%89%BE%E5%8A%9B");
}

TEST_CASE("build_request: form body, content type, idempotency and webhook headers") {
  auto c = parse(valid());
  REQUIRE(c.ok());
  Json payload = Json::parse(R"({"xm": "王芳", "cy": [{"xm": "张 三"}]})");
  auto req = c.value()->build_request(payload, RequestContext{"msg_9", 1718000001, {}}, nullptr);
  REQUIRE(req.ok());
  CHECK(req->method == "POST");
  CHECK(req->url == "http://127.0.0.1:18080/disabled_fed");
  CHECK(req->content_type == "application/x-www-form-urlencoded");
  CHECK(req->body == "cy%5B0%5D.xm=%E5%BC%A0+%E4%B8%89&xm=%E7%8E%8B%E8%8A%B3");
  CHECK(header(*req, "Idempotency-Key") == "msg_9");
  CHECK(header(*req, "webhook-id") == "msg_9");
  CHECK(header(*req, "webhook-timestamp") == "1718000001");

  auto upd =
      c.value()->build_request(payload, RequestContext{"msg_9", 1, std::string("77")}, nullptr);
  REQUIRE(upd.ok());
  CHECK(upd->method == "PUT");
  CHECK(upd->url == "http://127.0.0.1:18080/disabled_fed/77");
}
