// The connector and delivery admin API over real HTTP: role gates, config round trip and
// validation, preview and test, paging, retry, bulk retry, re-render after a mapping fix,
// secrets that never come back out.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "admin/demo.h"
#include "tests/support/fake_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::FakeHttp;
using test::TestGateway;

namespace {

struct Harness {
  FakeHttp* http;
  std::unique_ptr<TestGateway> gw;
  std::string admin, cadre;
  Harness() {
    auto h = std::make_unique<FakeHttp>();
    http = h.get();
    gw = std::make_unique<TestGateway>(nullptr, std::move(h));
    admin = gw->login("county1");
    cadre = gw->login("cadre1");
  }
  httplib::Result put(const std::string& path, const Json& body, const std::string& tok) {
    auto c = gw->client();
    return c.Put(path.c_str(), {{"Authorization", "Bearer " + tok}}, body.dump(),
                 "application/json");
  }
  Json ok(const httplib::Result& r, int status = 200) {
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == status, r->body);
    return r->body.empty() ? Json() : Json::parse(r->body);
  }
  Json submit(const std::string& cid, int seed) {
    Json v = admin::demo_sample_values(seed);
    return ok(
        gw->post("/api/v1/submissions",
                 Json{{"form", "resident_household"}, {"client_id", cid}, {"values", v}}.dump(),
                 cadre),
        201);
  }
};

}  // namespace

TEST_CASE("only county and system admins reach the admin API") {
  Harness h;
  for (const char* path : {"/api/v1/admin/connectors", "/api/v1/admin/deliveries",
                           "/api/v1/admin/connectors/civil_affairs", "/api/v1/admin/secrets"}) {
    INFO(path);
    CHECK(h.gw->get(path)->status == 401);
    CHECK(h.gw->get(path, h.cadre)->status == 403);
    CHECK(h.gw->get(path, h.gw->login("auditor1"))->status == 403);
    CHECK(h.gw->get(path, h.admin)->status == 200);
  }
  CHECK(h.gw->post("/api/v1/admin/connectors/civil_affairs/pause", "", h.cadre)->status == 403);
}

TEST_CASE(
    "connectors: list, read, change the url, and invalid configs are refused with every problem") {
  Harness h;
  auto list = h.ok(h.gw->get("/api/v1/admin/connectors", h.admin));
  REQUIRE(list["connectors"].size() >= 5);
  std::set<std::string> types;
  for (const auto& c : list["connectors"]) types.insert(c["type"].get<std::string>());
  CHECK(types.count("http_json") == 1);
  CHECK(types.count("http_form") == 1);
  CHECK(types.count("spreadsheet") == 1);

  auto got = h.ok(h.gw->get("/api/v1/admin/connectors/civil_affairs", h.admin));
  Json cfg = got["connector"];
  CHECK(cfg.contains("url"));
  cfg["url"] = "http://127.0.0.1:9/new-place";
  auto put = h.ok(h.put("/api/v1/admin/connectors/civil_affairs", cfg, h.admin));
  CHECK(put["connector"]["url"] == "http://127.0.0.1:9/new-place");
  CHECK(put["status"]["version"] == 2);

  Json bad = cfg;
  bad["url"] = "ftp://x";
  bad["colour"] = "blue";
  bad["method"] = "DELETE";
  auto r = h.put("/api/v1/admin/connectors/civil_affairs", bad, h.admin);
  REQUIRE(r);
  CHECK(r->status == 422);
  auto errs = Json::parse(r->body)["error"]["errors"];
  CHECK(errs.size() >= 3);
  // nothing changed
  CHECK(h.ok(h.gw->get("/api/v1/admin/connectors/civil_affairs", h.admin))["connector"]["url"] ==
        "http://127.0.0.1:9/new-place");
  CHECK(h.put("/api/v1/admin/connectors/civil_affairs", Json::array(), h.admin)->status == 400);
  CHECK(h.gw->get("/api/v1/admin/connectors/nope", h.admin)->status == 404);
}

TEST_CASE("preview shows the exact request without secrets; test sends it marked as a test") {
  Harness h;
  Json body = {{"values", admin::demo_sample_values(3)}};
  body["values"]["person.has_disability"] = true;
  auto p = h.ok(h.gw->post("/api/v1/admin/connectors/disabled_fed/preview", body.dump(), h.admin));
  CHECK(p["skipped"] == false);
  CHECK(p["request"]["content_type"].get<std::string>().find("x-www-form-urlencoded") !=
        std::string::npos);
  CHECK(p["request"]["headers"].contains("Idempotency-Key"));
  const std::string secret = Json::parse(
      admin::demo_asset_for_tests("demo/secrets.json"))["secrets"]["disabled_fed_webhook"];
  CHECK(p.dump().find(secret) == std::string::npos);
  CHECK(h.http->requests().empty());  // a preview sends nothing

  auto t = h.ok(h.gw->post("/api/v1/admin/connectors/disabled_fed/test", body.dump(), h.admin));
  CHECK(t["test"]["ok"] == true);
  auto reqs = h.http->requests();
  REQUIRE(reqs.size() == 1);
  bool marked = false;
  for (const auto& [k, v] : reqs[0].headers) marked = marked || (k == "X-Yibiao-Test" && v == "1");
  CHECK(marked);

  Json none = {{"values", admin::demo_sample_values(1)}};
  none["values"]["person.has_disability"] = false;
  for (const char* k : {"disability.type", "disability.grade", "disability.cert_number"})
    none["values"].erase(k);
  CHECK(h.ok(h.gw->post("/api/v1/admin/connectors/disabled_fed/preview", none.dump(),
                        h.admin))["skipped"] == true);
}

TEST_CASE("deliveries: filter, page, look at attempts, retry one and retry in bulk") {
  Harness h;
  h.http->script("/medical_insurance", {{400, R"({"msg":"rejected"})"}});
  for (int i = 0; i < 5; ++i) h.submit("dl-" + std::to_string(i), 3 * i + 1);
  h.gw->app().engine().run_once();
  auto dead =
      h.ok(h.gw->get("/api/v1/admin/deliveries?status=dead&connector=medical_insurance", h.admin));
  REQUIRE(dead["deliveries"].size() == 5);
  auto page1 = h.ok(h.gw->get("/api/v1/admin/deliveries?limit=2", h.admin));
  REQUIRE(page1["deliveries"].size() == 2);
  REQUIRE(page1.contains("next"));
  auto page2 = h.ok(h.gw->get(
      "/api/v1/admin/deliveries?limit=2&after=" + page1["next"].get<std::string>(), h.admin));
  CHECK(page2["deliveries"][0]["id"] != page1["deliveries"][0]["id"]);
  CHECK(h.gw->get("/api/v1/admin/deliveries?status=lost", h.admin)->status == 422);

  const std::string id = dead["deliveries"][0]["id"];
  auto one = h.ok(h.gw->get("/api/v1/admin/deliveries/" + id, h.admin));
  REQUIRE(one["attempt_log"].size() == 1);
  CHECK(one["attempt_log"][0]["http_status"] == 400);
  CHECK(one["attempt_log"][0]["response_excerpt"].get<std::string>().find("rejected") !=
        std::string::npos);

  h.http->script("/medical_insurance", {{200}});
  CHECK(h.ok(h.gw->post("/api/v1/admin/deliveries/" + id + "/retry", "", h.admin))["status"] ==
        "pending");
  h.gw->app().engine().run_once();
  CHECK(h.ok(h.gw->get("/api/v1/admin/deliveries/" + id, h.admin))["status"] == "delivered");
  CHECK(h.gw->post("/api/v1/admin/deliveries/" + id + "/retry", "", h.admin)->status == 409);

  auto bulk = h.ok(h.gw->post("/api/v1/admin/deliveries/retry",
                              R"({"status":"dead","connector":"medical_insurance"})", h.admin));
  CHECK(bulk["requeued"] == 4);
  h.gw->app().engine().run_once();
  CHECK(h.ok(h.gw->get("/api/v1/admin/deliveries?status=dead&connector=medical_insurance",
                       h.admin))["deliveries"]
            .empty());
}

TEST_CASE("a dead delivery from a broken mapping is re-rendered after the fix") {
  Harness h;
  // A mapping broken after it was stored (the dictionary gained a code the table lacks):
  // written straight into the store, as validation would refuse it through the API.
  auto cfg = h.ok(h.gw->get("/api/v1/admin/connectors/medical_insurance", h.admin))["connector"];
  Json broken = cfg;
  broken["mapping"]["fields"].push_back(
      {{"to", "mz"}, {"from", "person.ethnicity"}, {"codes", {{"99", "x"}}}});
  auto s = h.gw->app().database().with_conn([&](db::Conn& c) {
    auto q = c.prepare("UPDATE connectors SET config = ? WHERE id = 'medical_insurance'");
    q->bind(1, broken.dump());
    return q->run();
  });
  REQUIRE(s.ok());
  h.gw->clock().advance_s(5);
  auto receipt = h.submit("mx-1", 4);
  std::string id;
  for (const auto& d : receipt["deliveries"]) {
    if (d["connector"] == "medical_insurance") {
      CHECK(d["status"] == "dead");
      CHECK(d["last_error"].get<std::string>().find("mapping") != std::string::npos);
      id = d["id"];
    }
  }
  REQUIRE(!id.empty());
  CHECK(h.gw->post("/api/v1/admin/deliveries/" + id + "/retry", "", h.admin)->status == 409);
  h.ok(h.put("/api/v1/admin/connectors/medical_insurance", cfg, h.admin));
  auto rr = h.ok(h.gw->post("/api/v1/admin/deliveries/" + id + "/rerender", "", h.admin));
  CHECK(rr["status"] == "pending");
  h.gw->app().engine().run_once();
  CHECK(h.ok(h.gw->get("/api/v1/admin/deliveries/" + id, h.admin))["status"] == "delivered");
}

TEST_CASE("secrets: only a system admin sets them, and values never come back") {
  Harness h;
  CHECK(
      h.put("/api/v1/admin/secrets/new_token", {{"value", "s3cret-value-xyz"}}, h.admin)->status ==
      403);
  auto sys = h.gw->login("admin", test::kAdminPassword);
  CHECK(h.put("/api/v1/admin/secrets/new_token", {{"value", "s3cret-value-xyz"}}, sys)->status ==
        204);
  auto names = h.gw->get("/api/v1/admin/secrets", sys);
  REQUIRE(names);
  CHECK(names->body.find("new_token") != std::string::npos);
  CHECK(names->body.find("s3cret-value-xyz") == std::string::npos);
  CHECK(h.gw->get("/api/v1/admin/connectors/civil_affairs", sys)->body.find("whsec_") ==
        std::string::npos);
}

TEST_CASE(
    "a feed: the upstream pulls pages with its own token, resumes from a cursor, acks by reading "
    "on") {
  Harness h;
  auto sys = h.gw->login("admin", test::kAdminPassword);
  CHECK(h.put("/api/v1/admin/secrets/stats_feed_token", {{"value", "feed-token-0123456789"}}, sys)
            ->status == 204);
  Json cfg = {
      {"id", "stats_feed"},
      {"type", "feed"},
      {"name", {{"zh-CN", "统计 报表订阅"}, {"en", "Statistics feed"}}},
      {"token_secret", "stats_feed_token"},
      {"page_size", 2},
      {"mapping", {{"fields", Json::array({Json{{"to", "xm"}, {"from", "person.name"}}})}}}};
  h.ok(h.put("/api/v1/admin/connectors/stats_feed", cfg, h.admin));
  h.gw->clock().advance_s(5);
  h.cadre = h.gw->login("cadre1");
  h.admin = h.gw->login("county1");
  for (int i = 0; i < 3; ++i) h.submit("feed-" + std::to_string(i), i + 1);

  auto c = h.gw->client();
  CHECK(c.Get("/api/v1/feeds/stats_feed")->status == 401);
  CHECK(c.Get("/api/v1/feeds/stats_feed", {{"Authorization", "Bearer wrong"}})->status == 401);
  CHECK(c.Get("/api/v1/feeds/civil_affairs", {{"Authorization", "Bearer feed-token-0123456789"}})
            ->status == 401);
  CHECK(c.Get("/api/v1/feeds/stats_feed", {{"Authorization", "Bearer " + h.cadre}})->status == 401);
  httplib::Headers auth = {{"Authorization", "Bearer feed-token-0123456789"}};
  auto p1 = h.ok(c.Get("/api/v1/feeds/stats_feed", auth));
  REQUIRE(p1["items"].size() == 2);
  CHECK(p1["items"][0]["payload"].contains("xm"));
  CHECK(p1["items"][0]["payload"].size() == 1);  // only what the mapping gives
  CHECK(p1["more"] == true);
  auto p2 = h.ok(
      c.Get(("/api/v1/feeds/stats_feed?after=" + p1["next"].get<std::string>()).c_str(), auth));
  REQUIRE(p2["items"].size() == 1);
  CHECK(p2["items"][0]["delivery_id"] != p1["items"][0]["delivery_id"]);
  // the first page is acknowledged by asking for the second
  auto delivered =
      h.ok(h.gw->get("/api/v1/admin/deliveries?status=delivered&connector=stats_feed", h.admin));
  CHECK(delivered["deliveries"].size() == 2);
  // resuming from the same cursor gives the same page again (at-least-once, same ids)
  auto again = h.ok(
      c.Get(("/api/v1/feeds/stats_feed?after=" + p1["next"].get<std::string>()).c_str(), auth));
  CHECK(again["items"][0]["delivery_id"] == p2["items"][0]["delivery_id"]);
  CHECK(c.Get("/api/v1/feeds/stats_feed?after=garbage", auth)->status == 400);
}

TEST_CASE(
    "a spreadsheet upstream: export the pending answers once, in its columns, as CSV or XLSX") {
  Harness h;
  for (int i = 0; i < 3; ++i) h.submit("xl-" + std::to_string(i), i + 1);
  auto r =
      h.gw->post("/api/v1/admin/connectors/population_register/export?format=csv", "", h.admin);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  CHECK(r->get_header_value("X-Rows") == "3");
  CHECK(r->get_header_value("Content-Type").find("text/csv") == 0);
  CHECK(r->body.find("姓名") != std::string::npos);
  auto second =
      h.gw->post("/api/v1/admin/connectors/population_register/export?format=csv", "", h.admin);
  CHECK(second->get_header_value("X-Rows") == "0");  // already exported
  auto x = h.gw->post("/api/v1/admin/connectors/population_register/export?format=xlsx&again=1", "",
                      h.admin);
  REQUIRE(x);
  CHECK(x->status == 200);
  CHECK(x->get_header_value("X-Rows") == "3");
  CHECK(x->body.rfind("PK", 0) == 0);  // an XLSX is a zip
  CHECK(h.gw->post("/api/v1/admin/connectors/population_register/export?format=pdf", "", h.admin)
            ->status == 422);
  CHECK(h.gw->post("/api/v1/admin/connectors/civil_affairs/export", "", h.admin)->status == 422);
  CHECK(h.gw->post("/api/v1/admin/connectors/population_register/export", "", h.cadre)->status ==
        403);
}

TEST_CASE(
    "a spreadsheet upstream with a folder gets one file per closed period, written once, and "
    "admins can download any period") {
  Harness h;
  test::TempDir out;
  auto got = h.ok(h.gw->get("/api/v1/admin/connectors/population_register", h.admin));
  Json cfg = got["connector"];
  REQUIRE(cfg["period"] == "month");
  cfg["folder"] = out.path() + "/sheets";
  h.ok(h.put("/api/v1/admin/connectors/population_register", cfg, h.admin));
  const std::string dir = out.path() + "/sheets/";

  h.submit("p-1", 1);  // 2026-11-27 (China time)
  h.submit("p-2", 2);
  auto& engine = h.gw->app().engine();
  engine.run_once();  // November is still running: nothing written, nothing delivered
  CHECK_FALSE(std::filesystem::exists(dir + "population_register-2026-11.csv"));

  h.gw->clock().set_ms(1'796'054'400'000);  // 2026-11-30T16:00Z = 2026-12-01 00:00 China time
  h.admin = h.gw->login("county1");         // (the sessions expired meanwhile)
  h.cadre = h.gw->login("cadre1");
  h.submit("p-3", 3);  // a December answer waits for December to close
  engine.run_once();
  REQUIRE(std::filesystem::exists(dir + "population_register-2026-11.csv"));
  REQUIRE(std::filesystem::exists(dir + "population_register-2026-11.xlsx"));
  std::ifstream in(dir + "population_register-2026-11.csv");
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(csv.find("姓名") != std::string::npos);
  size_t lines = 0;
  for (char ch : csv) lines += ch == '\n';
  CHECK(lines == 3);  // header + the two November answers
  CHECK_FALSE(std::filesystem::exists(dir + "population_register-2026-12.csv"));

  // Written once: the November rows are delivered, a later round writes nothing new.
  auto delivered = h.ok(h.gw->get(
      "/api/v1/admin/deliveries?connector=population_register&status=delivered", h.admin));
  CHECK(delivered["deliveries"].size() == 2);
  std::filesystem::remove(dir + "population_register-2026-11.csv");
  h.gw->clock().advance_s(120);
  engine.run_once();
  CHECK_FALSE(std::filesystem::exists(dir + "population_register-2026-11.csv"));

  // Downloads by period: November again (already delivered), December still pending.
  auto nov = h.gw->post(
      "/api/v1/admin/connectors/population_register/export?format=csv&again=1&period=2026-11", "",
      h.admin);
  REQUIRE(nov);
  CHECK(nov->status == 200);
  CHECK(nov->get_header_value("X-Rows") == "2");
  CHECK(nov->get_header_value("Content-Disposition").find("population_register-2026-11.csv") !=
        std::string::npos);
  auto dec = h.gw->post(
      "/api/v1/admin/connectors/population_register/export?format=csv&period=2026-12", "", h.admin);
  CHECK(dec->get_header_value("X-Rows") == "1");
  for (const char* bad : {"november", "2026-11-27%27%3B", "2026-11-27-2026-11-28-2026"}) {
    INFO(bad);
    auto r =
        h.gw->post(std::string("/api/v1/admin/connectors/population_register/export?period=") + bad,
                   "", h.admin);
    CHECK(r->status == 422);
  }
}

TEST_CASE("a spreadsheet folder that cannot be written leaves the rows pending") {
  Harness h;
  test::TempDir out;
  const std::string blocker = out.file("not-a-dir");
  std::ofstream(blocker) << "x";
  Json cfg = h.ok(h.gw->get("/api/v1/admin/connectors/population_register", h.admin))["connector"];
  cfg["folder"] = blocker + "/sheets";  // a file is in the way
  cfg["period"] = "batch";
  h.ok(h.put("/api/v1/admin/connectors/population_register", cfg, h.admin));
  h.submit("b-1", 1);
  h.gw->app().engine().run_once();
  auto pending = h.ok(
      h.gw->get("/api/v1/admin/deliveries?connector=population_register&status=pending", h.admin));
  CHECK(pending["deliveries"].size() == 1);
  CHECK(h.gw->log_text().find("Cannot create the folder") != std::string::npos);
}

TEST_CASE("an older answer is not resent over a newer one already delivered for the same person") {
  Harness h;
  h.http->script("/medical_insurance", {{400}, {200, R"({"code":0,"data":{"id":"M-9"}})"}});
  Json v = admin::demo_sample_values(4);
  auto first = h.ok(
      h.gw->post("/api/v1/submissions",
                 Json{{"form", "resident_household"}, {"client_id", "old-1"}, {"values", v}}.dump(),
                 h.cadre),
      201);
  h.gw->app().engine().run_once();  // the first is rejected (dead)
  v["person.phone"] = "13900001111";
  h.ok(
      h.gw->post("/api/v1/submissions",
                 Json{{"form", "resident_household"}, {"client_id", "old-2"}, {"values", v}}.dump(),
                 h.cadre),
      201);
  h.gw->app().engine().run_once();  // the correction is delivered
  std::string id;
  for (const auto& d : first["deliveries"]) {
    if (d["connector"] == "medical_insurance") id = d["id"];
  }
  REQUIRE(!id.empty());
  auto r = h.gw->post("/api/v1/admin/deliveries/" + id + "/retry", "", h.admin);
  REQUIRE(r);
  CHECK(r->status == 409);
  CHECK(Json::parse(r->body)["error"]["code"] == "superseded");
  CHECK(h.http->requests_to("/medical_insurance").size() == 2);
}

TEST_CASE("a stored connector config that no longer parses takes only itself out") {
  Harness h;
  auto s = h.gw->app().database().with_conn([](db::Conn& c) {
    return c.exec(
        "UPDATE connectors SET config = '{\"id\":\"civil_affairs\",\"type\":\"gone\"}' "
        "WHERE id = 'civil_affairs'");
  });
  REQUIRE(s.ok());
  h.gw->clock().advance_s(5);
  h.cadre = h.gw->login("cadre1");
  auto receipt = h.submit("broken-1", 3);
  std::set<std::string> got;
  for (const auto& d : receipt["deliveries"]) got.insert(d["connector"].get<std::string>());
  CHECK(got.count("civil_affairs") == 0);
  CHECK(got.count("medical_insurance") == 1);
}
