// The built mock-upstream binary (path in MOCK_UPSTREAM_BIN), driven over loopback with the
// real HTTP client: scripted failures, Retry-After, delays, dropped connections, signature
// verification, the control API, the log file and the demo page.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "connectors/delivery/signing.h"
#include "connectors/http.h"
#include "tests/connectors/delivery/process.h"
#include "tests/support/temp_dir.h"

#ifndef MOCK_UPSTREAM_BIN
#error "MOCK_UPSTREAM_BIN must name the mock-upstream executable"
#endif

namespace yb::connectors {
namespace {

using Json = nlohmann::json;
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A running mock-upstream and clients for it.
struct Mock {
  explicit Mock(std::vector<std::string> extra) : proc(args(std::move(extra))) {
    const std::string line = proc.read_line();
    std::smatch m;
    static const std::regex re(R"(^mock-upstream listening on http://127\.0\.0\.1:(\d+)$)");
    REQUIRE_MESSAGE(std::regex_match(line, m, re), "first line: " << line);
    port = std::stoi(m[1]);
    control = std::make_unique<httplib::Client>("127.0.0.1", port);
    control->set_tcp_nodelay(true);
  }
  static std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a = {MOCK_UPSTREAM_BIN, "--listen", "127.0.0.1:0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  HttpResponse post(const std::string& path, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    int read_timeout_ms = 5000) {
    HttpRequest req;
    req.url = url(path);
    req.body = body;
    req.content_type = "application/json; charset=utf-8";
    req.headers = std::move(headers);
    SendOptions o;
    o.tls.allow_plain_http = true;
    o.read_timeout_ms = read_timeout_ms;
    return client->send(req, o);
  }
  Json get_json(const std::string& path) {
    auto r = control->Get(path.c_str());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return Json::parse(r->body);
  }
  int post_control(const std::string& path, const std::string& body) {
    auto r = control->Post(path.c_str(), body, "application/json");
    REQUIRE(r);
    return r->status;
  }

  test::Process proc;
  int port = 0;
  std::unique_ptr<httplib::Client> control;
  std::unique_ptr<HttpClient> client = make_http_client();
};

std::vector<std::pair<std::string, std::string>> signed_headers(const std::string& secret,
                                                                const std::string& id,
                                                                const std::string& body) {
  const int64_t ts = 1'795'737'600;
  auto sig = webhook_signature(secret, id, ts, body);
  REQUIRE(sig.ok());
  return {{"webhook-id", id},
          {"webhook-timestamp", std::to_string(ts)},
          {"webhook-signature", *sig},
          {"Idempotency-Key", id}};
}

}  // namespace

TEST_CASE("mock-upstream: 500 twice then 200, recorded in order, with log and stats") {
  test::TempDir dir;
  {
    std::ofstream(dir.file("script.json"))
        << R"({"/flaky": [{"status": 500}, {"status": 500}, {"status": 200}]})";
  }
  Mock m({"--script", dir.file("script.json"), "--log", dir.file("log.jsonl")});
  CHECK(m.post("/flaky", R"({"n":1})").status == 500);
  CHECK(m.post("/flaky", R"({"n":1})").status == 500);
  auto ok = m.post("/flaky", R"({"n":1})");
  CHECK(ok.status == 200);
  const Json body = Json::parse(ok.body);
  CHECK(body["data"]["id"] == "flaky-3");
  CHECK(ok.header("Location") == "/flaky/flaky-3");
  CHECK(m.post("/flaky", "{}").status == 200);  // the last answer repeats
  // Unscripted paths get the default answer.
  auto other = m.post("/other", "{}");
  CHECK(other.status == 200);
  CHECK(Json::parse(other.body)["data"]["id"] == "other-1");

  const Json reqs = m.get_json("/_mock/requests?path=/flaky");
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0]["method"] == "POST");
  CHECK(reqs[0]["body"] == R"({"n":1})");
  CHECK(reqs[0]["status"] == 500);
  CHECK(reqs[2]["status"] == 200);
  CHECK(reqs[0]["signature_valid"].is_null());
  CHECK(m.get_json("/_mock/requests").size() == 5);

  const Json stats = m.get_json("/_mock/stats");
  CHECK(stats["total"] == 5);
  CHECK(stats["paths"]["/flaky"]["statuses"]["500"] == 2);
  CHECK(stats["paths"]["/flaky"]["statuses"]["200"] == 2);

  std::ifstream log(dir.file("log.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    CHECK(Json::parse(line)["path"].is_string());
    ++lines;
  }
  CHECK(lines == 5);

  CHECK(m.post_control("/_mock/reset", "") == 200);
  CHECK(m.get_json("/_mock/requests").empty());
  CHECK(m.get_json("/_mock/stats")["total"] == 0);
  CHECK(m.proc.stop() == 0);  // SIGTERM ends it cleanly
}

TEST_CASE("mock-upstream: Retry-After, delay and a dropped connection via a runtime script") {
  Mock m({});
  REQUIRE(m.post_control("/_mock/script", R"({
      "/busy": [{"status": 429, "headers": {"Retry-After": "2"}}, {"status": 201}],
      "/slow": [{"delay_ms": 400}],
      "/drop": [{"close": true}, {"status": 200}]})") == 200);
  auto busy = m.post("/busy", "{}");
  CHECK(busy.status == 429);
  CHECK(busy.header("retry-after") == "2");
  CHECK(m.post("/busy", "{}").status == 201);

  auto slow = m.post("/slow", "{}", {}, 150);
  CHECK(slow.timed_out);
  CHECK(slow.error == "timeout");
  auto patient = m.post("/slow", "{}", {}, 2000);
  CHECK(patient.status == 200);
  CHECK(patient.duration_ms >= 390);

  auto dropped = m.post("/drop", "{}");
  CHECK(dropped.status == 0);
  CHECK(dropped.error == "connection closed without a response");
  CHECK(m.post("/drop", "{}").status == 200);

  // A malformed script is refused and the old one stays.
  CHECK(m.post_control("/_mock/script", R"({"/x": [{"stauts": 500}]})") == 400);
  CHECK(m.post_control("/_mock/script", "not json") == 400);
}

TEST_CASE("mock-upstream: signatures verified and recorded; bad ones rejected on request") {
  Mock m({"--secret", kSecret});
  const std::string body = R"({"xm":"张三"})";
  CHECK(m.post("/civil", body, signed_headers(kSecret, "msg_good", body)).status == 200);
  auto tampered = signed_headers(kSecret, "msg_bad", body);
  CHECK(m.post("/civil", body + " ", tampered).status == 200);
  CHECK(m.post("/civil", body).status == 200);  // unsigned
  const Json reqs = m.get_json("/_mock/requests?path=/civil");
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]["signature_valid"] == true);
  CHECK(reqs[0]["headers"]["webhook-id"] == "msg_good");
  CHECK(reqs[1]["signature_valid"] == false);
  CHECK(reqs[2]["signature_valid"] == false);

  // Per-path secret from the script, and rejection of bad signatures.
  const std::string other = new_webhook_secret();
  REQUIRE(m.post_control(
              "/_mock/script",
              Json{{"secrets", {{"/medical", other}}}, {"reject_bad_signature", true}}.dump()) ==
          200);
  CHECK(m.post("/medical", body, signed_headers(other, "msg_m1", body)).status == 200);
  auto wrong = m.post("/medical", body, signed_headers(kSecret, "msg_m2", body));
  CHECK(wrong.status == 401);
  const Json med = m.get_json("/_mock/requests?path=/medical");
  REQUIRE(med.size() == 2);
  CHECK(med[0]["signature_valid"] == true);
  CHECK(med[1]["signature_valid"] == false);
  CHECK(med[1]["status"] == 401);
}

TEST_CASE("mock-upstream --demo: four systems and an escaped page") {
  test::TempDir dir;
  { std::ofstream(dir.file("secrets.json")) << Json{{"civil_affairs", kSecret}}.dump(); }
  Mock m({"--demo", "--secrets-file", dir.file("secrets.json"), "--max-records", "3"});
  const std::string evil = R"({"xm":"<script>alert(1)</script>"})";
  CHECK(m.post("/civil_affairs", evil, signed_headers(kSecret, "msg_demo", evil)).status == 200);
  CHECK(m.post("/disabled_fed", R"({"name":"李四"})").status == 200);
  auto page = m.control->Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type").starts_with("text/html"));
  for (const char* name :
       {"/civil_affairs", "/disabled_fed", "/medical_insurance", "/rural_revitalisation"})
    CHECK(page->body.find(name) != std::string::npos);
  CHECK(page->body.find("<script>") == std::string::npos);
  CHECK(page->body.find("&lt;script&gt;") != std::string::npos);
  CHECK(page->body.find("李四") != std::string::npos);
  CHECK(page->body.find("msg_demo") != std::string::npos);
  const Json reqs = m.get_json("/_mock/requests?path=/civil_affairs");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["system"] == "civil_affairs");
  CHECK(reqs[0]["signature_valid"] == true);
  CHECK(m.get_json("/_mock/requests?path=/disabled_fed")[0]["signature_valid"].is_null());
  // --max-records bounds memory.
  for (int i = 0; i < 5; ++i) m.post("/medical_insurance", "{}");
  CHECK(m.get_json("/_mock/requests").size() == 3);
}

}  // namespace yb::connectors
