// Security over real HTTP: every role against every endpoint, org-subtree scope (a cadre of
// village A cannot read village B, a county admin of county X cannot touch county Y), the
// users API with hostile input, the audit trail of logins and changes, /metrics, the
// configuration API and the upstream host allowlist (at save and at send time).
#include <doctest/doctest.h>

#include <map>

#include "admin/demo.h"
#include "tests/support/fake_http.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::FakeHttp;
using test::TestGateway;

namespace {

constexpr const char* kCountyY = "130222000000";
constexpr const char* kVillageY = "130222100201";

struct Harness {
  FakeHttp* http;
  std::unique_ptr<TestGateway> gw;
  std::map<std::string, std::string> tok;  // role label -> token ("anon" -> "")
  Harness() {
    auto h = std::make_unique<FakeHttp>();
    http = h.get();
    gw = std::make_unique<TestGateway>(nullptr, std::move(h));
    auto& acc = gw->app().accounts();
    REQUIRE(acc.add_org_unit({kCountyY, "另一县", std::nullopt, "county"}).ok());
    REQUIRE(acc.add_org_unit({"130222100000", "乙镇", kCountyY, "township"}).ok());
    REQUIRE(acc.add_org_unit({kVillageY, "乙村", "130222100000", "village"}).ok());
    REQUIRE(acc.add_user("county_y", test::kDemoPassword, admin::Role::kCountyAdmin,
                         std::string(kCountyY))
                .ok());
    REQUIRE(
        acc.add_user("cadre_y", test::kDemoPassword, admin::Role::kCadre, std::string(kVillageY))
            .ok());
    REQUIRE(acc.add_user("sec1", test::kDemoPassword, admin::Role::kSecurityAdmin,
                         std::string("130111000000"))
                .ok());
    tok["anon"] = "";
    for (const char* u : {"cadre1", "county1", "county_y", "sec1", "auditor1"}) {
      tok[u] = gw->login(u);
    }
    tok["admin"] = gw->login("admin", test::kAdminPassword);
  }
  httplib::Result call(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& token) {
    auto c = gw->client();
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (method == "GET") return c.Get(path.c_str(), h);
    if (method == "PUT") return c.Put(path.c_str(), h, body, "application/json");
    return c.Post(path.c_str(), h, body, "application/json");
  }
  Json ok(const httplib::Result& r, int status = 200) {
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == status, r->body);
    return r->body.empty() ? Json() : Json::parse(r->body);
  }
  int64_t submit(const std::string& who, const std::string& cid, int seed) {
    Json v = admin::demo_sample_values(seed);
    auto j = ok(call("POST", "/api/v1/submissions",
                     Json{{"form", "resident_household"}, {"client_id", cid}, {"values", v}}.dump(),
                     tok.count(who) ? tok[who] : gw->login(who)),
                201);
    return j["id"].get<int64_t>();
  }
  Json audit(const std::string& query = "") {
    return ok(call("GET", "/api/v1/admin/audit" + query, "", tok["auditor1"]))["records"];
  }
};

bool refused(int status) { return status == 401 || status == 403 || status == 404; }

}  // namespace

TEST_CASE("every role against every endpoint: only the intended roles get through") {
  Harness h;
  const int64_t sub = h.submit("cadre1", "m-1", 1);
  const std::string subpath = "/api/v1/submissions/" + std::to_string(sub);
  const std::vector<std::string> roles = {"anon", "cadre1",   "county1", "county_y",
                                          "sec1", "auditor1", "admin"};
  // A = allowed through the gate (any answer but 401/403), R = refused (403, or 404 where
  // the target lies outside the caller's subtree and its existence is not revealed).
  struct Row {
    std::string method, path, body;
    std::string expect;  // one letter per role, in `roles` order (anon always 401)
  };
  const std::vector<Row> rows = {
      {"GET", "/api/v1/forms", "", "-AAAAAA"},
      {"POST", "/api/v1/submissions", "{}", "-AAAARA"},
      {"GET", subpath, "", "-AARAAA"},
      {"GET", "/api/v1/admin/connectors", "", "-RAARRA"},
      {"GET", "/api/v1/admin/connectors/civil_affairs", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/connectors/civil_affairs", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/connectors/civil_affairs/preview", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/connectors/nope_x/test", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/connectors/nope_x/pause", "", "-RAARRA"},
      {"POST", "/api/v1/admin/connectors/nope_x/resume", "", "-RAARRA"},
      {"POST", "/api/v1/admin/connectors/nope_x/export", "", "-RAARRR"},
      {"GET", "/api/v1/admin/deliveries", "", "-RAARRA"},
      {"GET", "/api/v1/admin/deliveries/msg_nothere", "", "-RAARRA"},
      {"POST", "/api/v1/admin/deliveries/msg_nothere/retry", "", "-RAARRA"},
      {"POST", "/api/v1/admin/deliveries/msg_nothere/rerender", "", "-RAARRA"},
      {"POST", "/api/v1/admin/deliveries/retry", R"({"status":"bogus"})", "-RAARRA"},
      {"GET", "/api/v1/admin/secrets", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/secrets/matrix_secret", R"({"value":"v-1234567890"})", "-RRRRRA"},
      {"GET", "/api/v1/admin/users", "", "-RAAAAA"},
      {"POST", "/api/v1/admin/users", "{}", "-RAAARA"},
      {"POST", "/api/v1/admin/users/cadre2/password", R"({"password":"weak"})", "-RARARR"},
      {"POST", "/api/v1/admin/users/cadre2/enable", "", "-RARARR"},
      {"GET", "/api/v1/admin/audit", "", "-RRRAAA"},
      {"GET", "/metrics", "", "-RAARRA"},
      {"GET", "/api/v1/admin/config", "", "-RRRRRA"},
      {"POST", "/api/v1/admin/config?dry_run=1", "{}", "-RRRRRA"},
      {"GET", "/api/v1/admin/upstream-hosts", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/upstream-hosts", "{}", "-RRRRRA"},
      {"GET", "/api/v1/admin/dictionary", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/dictionary", "{}", "-RAARRA"},
      {"GET", "/api/v1/admin/forms", "", "-RAARRA"},
      {"GET", "/api/v1/admin/forms/resident_household", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/forms/matrix_form", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/forms/nope_x/publish", "", "-RAARRA"},
      {"POST", "/api/v1/admin/forms/nope_x/close", "", "-RAARRA"},
      {"GET", "/api/v1/admin/forms/nope_x/draft", "", "-RAARRA"},
      {"GET", "/api/v1/admin/upstream-forms", "", "-RAARRA"},
      {"GET", "/api/v1/admin/upstream-forms/nope_x", "", "-RAARRA"},
      {"PUT", "/api/v1/admin/upstream-forms/nope_x", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/upstream-forms/suggest", "{}", "-RAARRA"},
      {"POST", "/api/v1/admin/upstream-forms/nope_x/connector", "{}", "-RAARRA"},
      {"GET", "/api/v1/admin/org-units", "", "-RAAAAA"},
      {"GET", "/api/v1/admin/org-units?parent=130111000000", "", "-RARAAA"},
      {"POST", "/api/v1/admin/org-units/import?dry_run=1", "130111101000,冶河镇\n", "-RARRRA"},
  };
  for (const auto& row : rows) {
    REQUIRE(row.expect.size() == roles.size());
    for (size_t i = 0; i < roles.size(); ++i) {
      auto r = h.call(row.method, row.path, row.body, h.tok[roles[i]]);
      REQUIRE(r);
      INFO(row.method << " " << row.path << " as " << roles[i] << " -> " << r->status << " "
                      << r->body.substr(0, 200));
      if (roles[i] == "anon") {
        CHECK(r->status == 401);
      } else if (row.expect[i] == 'A') {
        CHECK(r->status != 401);
        CHECK(r->status != 403);
      } else {
        CHECK(refused(r->status));
      }
    }
  }
}

TEST_CASE("scope: a cadre of village A cannot read village B; county X cannot touch county Y") {
  Harness h;
  const int64_t a = h.submit("cadre1", "s-a", 1);
  const int64_t b = h.submit("cadre2", "s-b", 2);
  const int64_t y = h.submit("cadre_y", "s-y", 3);
  auto get = [&](int64_t id, const std::string& who) {
    return h.call("GET", "/api/v1/submissions/" + std::to_string(id), "", h.tok[who])->status;
  };
  CHECK(get(a, "cadre1") == 200);
  CHECK(get(b, "cadre1") == 404);  // same county, other village
  CHECK(get(y, "county1") == 404);
  CHECK(get(a, "county_y") == 404);
  CHECK(get(y, "county_y") == 200);

  // Users: each county admin sees and manages only its own subtree.
  auto names = [&](const std::string& who) {
    std::set<std::string> out;
    const Json list = h.ok(h.call("GET", "/api/v1/admin/users", "", h.tok[who]));
    for (const auto& u : list["users"]) out.insert(u["username"].get<std::string>());
    return out;
  };
  auto x = names("county1");
  CHECK(x.count("cadre1") == 1);
  CHECK(x.count("cadre_y") == 0);
  CHECK(x.count("admin") == 0);  // whole-tree accounts are visible only to whole-tree callers
  auto yy = names("county_y");
  CHECK(yy.count("cadre_y") == 1);
  CHECK(yy.count("cadre1") == 0);
  CHECK(names("admin").count("cadre_y") == 1);
  CHECK(h.call("POST", "/api/v1/admin/users/cadre1/disable", "", h.tok["county_y"])->status == 404);
  CHECK(h.call("POST", "/api/v1/admin/users/cadre1/password", R"({"password":"Fresh-Pass-2026"})",
               h.tok["county_y"])
            ->status == 404);
  // Creating a user in the other county is refused even with a valid body.
  auto r = h.call("POST", "/api/v1/admin/users",
                  Json{{"username", "sneaky"},
                       {"password", "Fresh-Pass-2026"},
                       {"role", "cadre"},
                       {"org_unit", kVillageY}}
                      .dump(),
                  h.tok["county1"]);
  CHECK(r->status == 403);
  CHECK_FALSE(h.gw->app().accounts().find_user("sneaky"));

  // Deliveries: county Y's admin sees none of county X's.
  auto dx = h.ok(h.call("GET", "/api/v1/admin/deliveries", "", h.tok["county1"]));
  auto dy = h.ok(h.call("GET", "/api/v1/admin/deliveries", "", h.tok["county_y"]));
  for (const auto& d : dy["deliveries"]) CHECK(d["submission"] == y);
  CHECK(dx["deliveries"].size() > dy["deliveries"].size());
}

TEST_CASE("feed tokens reach only their own connector") {
  Harness h;
  const std::string sys = h.tok["admin"];
  for (const char* id : {"feed_a", "feed_b"}) {
    const std::string secret = std::string(id) + "_token";
    h.ok(h.call("PUT", "/api/v1/admin/secrets/" + secret,
                Json{{"value", std::string(id) + "-secret-0123456789"}}.dump(), sys),
         204);
    h.ok(h.call(
        "PUT", std::string("/api/v1/admin/connectors/") + id,
        Json{{"id", id},
             {"type", "feed"},
             {"name", {{"zh-CN", id}, {"en", id}}},
             {"token_secret", secret},
             {"mapping", {{"fields", Json::array({Json{{"to", "xm"}, {"from", "person.name"}}})}}}}
            .dump(),
        h.tok["county1"]));
  }
  auto c = h.gw->client();
  CHECK(c.Get("/api/v1/feeds/feed_a", {{"Authorization", "Bearer feed_a-secret-0123456789"}})
            ->status == 200);
  CHECK(c.Get("/api/v1/feeds/feed_b", {{"Authorization", "Bearer feed_a-secret-0123456789"}})
            ->status == 401);
  CHECK(c.Get("/api/v1/feeds/feed_a", {{"Authorization", "Bearer " + h.tok["admin"]}})->status ==
        401);
  // Pulls, granted or not, are in the audit log.
  auto pulls = h.audit("?action=feed.pull");
  REQUIRE(pulls.size() == 3);
  CHECK(pulls[1]["result"] == "denied");
}

TEST_CASE("users API: create, reset, disable and enable, with the password policy") {
  Harness h;
  const std::string county = h.tok["county1"];
  Json body = {{"username", "cadre9"},
               {"password", "Village-Work-2026"},
               {"role", "cadre"},
               {"org_unit", "130111200202"},
               {"display_name", "北高村 新干部"}};
  auto created = h.ok(h.call("POST", "/api/v1/admin/users", body.dump(), county), 201);
  CHECK(created["username"] == "cadre9");
  CHECK(created["role"] == "cadre");
  CHECK(created["org_unit"] == "130111200202");
  CHECK(created.contains("password") == false);
  CHECK(h.call("POST", "/api/v1/admin/users", body.dump(), county)->status == 409);

  const std::string t9 = h.gw->login("cadre9", "Village-Work-2026");
  CHECK(h.gw->get("/api/v1/forms", t9)->status == 200);

  // A reset ends the user's sessions and only the new password works.
  h.ok(h.call("POST", "/api/v1/admin/users/cadre9/password", R"({"password":"Second-Pass-2027"})",
              county),
       204);
  CHECK(h.gw->get("/api/v1/forms", t9)->status == 401);
  CHECK(h.gw->post("/api/v1/sessions", R"({"username":"cadre9","password":"Village-Work-2026"})")
            ->status == 401);
  const std::string t9b = h.gw->login("cadre9", "Second-Pass-2027");

  // Disabling ends the session at once; enabling lets the user log in again.
  auto dis = h.ok(h.call("POST", "/api/v1/admin/users/cadre9/disable", "", county));
  CHECK(dis["disabled"] == true);
  CHECK(h.gw->get("/api/v1/forms", t9b)->status == 401);
  CHECK(h.gw->post("/api/v1/sessions", R"({"username":"cadre9","password":"Second-Pass-2027"})")
            ->status == 401);
  h.ok(h.call("POST", "/api/v1/admin/users/cadre9/enable", "", county));
  h.gw->login("cadre9", "Second-Pass-2027");

  // Nobody acts on their own account here.
  CHECK(h.call("POST", "/api/v1/admin/users/county1/disable", "", county)->status == 403);
  // The security admin creates an auditor; the system admin creates a security admin.
  h.ok(h.call("POST", "/api/v1/admin/users",
              Json{{"username", "auditor2"},
                   {"password", "Read-Only-2026"},
                   {"role", "auditor"},
                   {"org_unit", "130111000000"}}
                  .dump(),
              h.tok["sec1"]),
       201);
  h.ok(h.call("POST", "/api/v1/admin/users",
              Json{{"username", "sec2"},
                   {"password", "Keys-Keeper-2026"},
                   {"role", "security_admin"},
                   {"org_unit", "130111000000"}}
                  .dump(),
              h.tok["admin"]),
       201);
}

TEST_CASE("users API: hostile and malformed input is refused with every problem named") {
  Harness h;
  const std::string sec = h.tok["sec1"];
  auto post = [&](const std::string& body, const std::string& token) {
    return h.call("POST", "/api/v1/admin/users", body, token);
  };
  auto codes_of = [](const httplib::Result& r) {
    std::set<std::string> out;
    const Json body = Json::parse(r->body);
    for (const auto& e : body["error"]["errors"]) out.insert(e["code"].get<std::string>());
    return out;
  };
  CHECK(post(R"({"username":)", sec)->status == 400);
  CHECK(post(R"([1,2])", sec)->status == 400);
  CHECK(post(std::string(100, '[') + std::string(100, ']'), sec)->status == 400);
  auto types = post(R"({"username":42,"password":["x"],"role":true,"org_unit":7})", sec);
  CHECK(types->status == 422);
  CHECK(codes_of(types).count("type") == 1);
  CHECK(Json::parse(types->body)["error"]["errors"].size() >= 4);
  auto unknown = post(R"({"username":"u1x","password":"Village-Work-2026","role":"root",)"
                      R"("org_unit":"130111000000","admin":true})",
                      sec);
  CHECK(unknown->status == 422);
  CHECK(codes_of(unknown).count("unknown_role") == 1);
  CHECK(codes_of(unknown).count("unknown_key") == 1);
  auto weak = post(R"({"username":"u2x","password":"password","role":"cadre",)"
                   R"("org_unit":"130111200201"})",
                   sec);
  CHECK(weak->status == 422);
  CHECK(codes_of(weak).count("length") == 1);
  auto bad_name = post(R"({"username":"../etc","password":"Village-Work-2026","role":"cadre",)"
                       R"("org_unit":"130111200201"})",
                       sec);
  CHECK(bad_name->status == 422);
  auto no_org = post(R"({"username":"u3x","password":"Village-Work-2026","role":"cadre",)"
                     R"("org_unit":"999999999999"})",
                     sec);
  CHECK(no_org->status == 422);
  // Escalation: a security admin cannot mint a system admin, a county admin no county admin.
  CHECK(post(R"({"username":"boss","password":"Village-Work-2026","role":"system_admin"})", sec)
            ->status == 403);
  CHECK(post(R"({"username":"boss2","password":"Village-Work-2026","role":"county_admin",)"
             R"("org_unit":"130111000000"})",
             h.tok["county1"])
            ->status == 403);
  // A path that is not a username does not route.
  CHECK(h.call("POST", "/api/v1/admin/users/Cadre1/password", "{}", sec)->status == 404);
  CHECK(h.call("POST", "/api/v1/admin/users/cadre1/password", R"({"password":1})", sec)->status ==
        422);
  CHECK(h.call("POST", "/api/v1/admin/users/nobody/disable", "", sec)->status == 404);
  CHECK_FALSE(h.gw->app().accounts().find_user("boss"));
}

TEST_CASE("audit: logins (both results), changes and refusals, with who, when and where") {
  Harness h;
  CHECK(h.gw->post("/api/v1/sessions", R"({"username":"cadre1","password":"wrong-one"})")->status ==
        401);
  h.ok(h.call("POST", "/api/v1/admin/users",
              Json{{"username", "cadre8"},
                   {"password", "Village-Work-2026"},
                   {"role", "cadre"},
                   {"org_unit", "130111200202"}}
                  .dump(),
              h.tok["county1"]),
       201);
  CHECK(h.call("POST", "/api/v1/admin/users", "{}", h.tok["cadre1"])->status == 403);
  const int64_t sub = h.submit("cadre1", "a-1", 1);
  h.ok(h.call("GET", "/api/v1/submissions/" + std::to_string(sub), "", h.tok["county1"]));
  h.ok(h.call("POST", "/api/v1/admin/connectors/civil_affairs/pause", "", h.tok["county1"]));

  auto logins = h.audit("?action=login");
  bool failed = false, ok = false;
  for (const auto& r : logins) {
    CHECK(r["remote_addr"] == "127.0.0.1");
    CHECK(r["at_ms"].get<int64_t>() == h.gw->clock().now_ms());
    if (r["target"] == "cadre1" && r["result"] == "failed") failed = true;
    if (r["actor"] == "admin" && r["result"] == "ok") ok = true;
  }
  CHECK(failed);
  CHECK(ok);
  auto created = h.audit("?action=user.create");
  REQUIRE(created.size() == 2);
  CHECK(created[0]["actor"] == "county1");
  CHECK(created[0]["actor_role"] == "county_admin");
  CHECK(created[0]["target"] == "cadre8");
  CHECK(created[0]["result"] == "ok");
  CHECK(created[1]["actor"] == "cadre1");
  CHECK(created[1]["result"] == "denied");
  auto view = h.audit("?action=submission.view&actor=county1");
  REQUIRE(view.size() == 1);
  CHECK(view[0]["target"] == std::to_string(sub));
  CHECK(h.audit("?action=connector.pause").size() == 1);
  // Filters: from/to windows, bad values.
  const int64_t now = h.gw->clock().now_ms();
  CHECK(h.audit("?from=" + std::to_string(now + 1)).empty());
  CHECK(h.audit("?to=" + std::to_string(now)).empty());
  CHECK_FALSE(h.audit("?from=2020-01-01").empty());
  CHECK(h.call("GET", "/api/v1/admin/audit?from=yesterday", "", h.tok["auditor1"])->status == 400);
  CHECK(h.call("GET", "/api/v1/admin/audit?limit=x", "", h.tok["auditor1"])->status == 400);
  // Nobody, the system admin included, has a way to erase records.
  auto c = h.gw->client();
  auto del = c.Delete("/api/v1/admin/audit", {{"Authorization", "Bearer " + h.tok["admin"]}});
  REQUIRE(del);
  CHECK(del->status == 404);
  // And the chain the requests produced verifies.
  auto rep = admin::AuditLog::verify(h.gw->app().database());
  REQUIRE(rep.ok());
  CHECK(rep->ok);
  CHECK(rep->records > 10);
}

TEST_CASE("metrics: Prometheus text for admins or the metrics token, nobody else") {
  test::FakeHttp* http = nullptr;
  auto fake = std::make_unique<FakeHttp>();
  http = fake.get();
  TestGateway gw([](gateway::AppConfig& c) { c.server.metrics_token = "scrape-token-0123456789"; },
                 std::move(fake));
  const std::string cadre = gw.login("cadre1");
  for (int i = 0; i < 2; ++i) {
    auto r = gw.post("/api/v1/submissions",
                     Json{{"form", "resident_household"},
                          {"client_id", "met-" + std::to_string(i)},
                          {"values", admin::demo_sample_values(i + 1)}}
                         .dump(),
                     cadre);
    REQUIRE(r->status == 201);
  }
  gw.app().engine().run_once();
  auto r = gw.get("/metrics", gw.login("admin", test::kAdminPassword));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain") == 0);
  const std::string& m = r->body;
  int types = 0;
  for (size_t p = m.find("# TYPE"); p != std::string::npos; p = m.find("# TYPE", p + 1)) ++types;
  CHECK(types >= 5);
  CHECK(m.find("yibiao_submissions_total 2\n") != std::string::npos);
  CHECK(m.find("yibiao_deliveries{connector=\"civil_affairs\",status=") != std::string::npos);
  CHECK(m.find("yibiao_delivery_attempt_duration_seconds_bucket{connector=") != std::string::npos);
  CHECK(m.find("le=\"+Inf\"") != std::string::npos);
  CHECK(m.find("yibiao_delivery_backlog{connector=\"rural_revitalisation\"}") != std::string::npos);
  CHECK(m.find("yibiao_delivery_oldest_pending_age_seconds{connector=") != std::string::npos);
  CHECK(m.find("yibiao_circuit_state{connector=\"civil_affairs\",state=\"closed\"} 1") !=
        std::string::npos);
  // This process's group-commit writer: both answers, the claims and results ran on it.
  auto figure = [&m](const std::string& name) {
    const size_t at = m.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(m.substr(at + name.size() + 2));
  };
  CHECK(figure("yibiao_writer_jobs_total") >= 2);
  CHECK(figure("yibiao_writer_batches_total") >= 1);
  CHECK(figure("yibiao_writer_batches_total") <= figure("yibiao_writer_jobs_total"));
  CHECK(figure("yibiao_writer_busy_seconds_total") > 0);
  CHECK(figure("yibiao_writer_cpu_seconds_total") > 0);
  CHECK(figure("yibiao_writer_queued") == 0);
  CHECK(m.find("# TYPE yibiao_writer_busy_seconds_total counter\n") != std::string::npos);
  // How long writes waited for their commit: a histogram over every job, cumulative buckets.
  CHECK(m.find("# TYPE yibiao_writer_wait_seconds histogram\n") != std::string::npos);
  CHECK(figure("yibiao_writer_wait_seconds_count") == figure("yibiao_writer_jobs_total"));
  CHECK(figure("yibiao_writer_wait_seconds_bucket{le=\"+Inf\"}") ==
        figure("yibiao_writer_jobs_total"));
  CHECK(figure("yibiao_writer_wait_seconds_sum") > 0);
  double below = 0;  // every bucket is there, and cumulative
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.02", "0.05", "0.1", "+Inf"}) {
    const double n = figure(std::string("yibiao_writer_wait_seconds_bucket{le=\"") + le + "\"}");
    CHECK(n >= below);
    below = n;
  }
  CHECK(gw.get("/metrics", "scrape-token-0123456789")->status == 200);
  CHECK(gw.get("/metrics", "scrape-token-wrong")->status == 401);
  CHECK(gw.get("/metrics", cadre)->status == 403);
  CHECK(gw.get("/metrics")->status == 401);
  (void)http;
}

TEST_CASE("config export: a draft being edited does not replace the published form") {
  Harness h;
  const std::string sys = h.tok["admin"];
  Json def = Json::parse(admin::demo_form_json());
  def["version"] = 2;
  def["title"]["zh-CN"] = "草稿：还没发布";
  auto draft = h.gw->app().catalog().put_form(def, forms::FormStatus::kDraft);
  REQUIRE_MESSAGE(draft.ok(), draft.error().message.en);
  const Json cfg = h.ok(h.call("GET", "/api/v1/admin/config", "", sys));
  REQUIRE(cfg["forms"].size() == 1);
  CHECK(cfg["forms"][0]["status"] == "published");
  CHECK(cfg["forms"][0]["definition"]["version"] == 1);
  CHECK(cfg.dump().find("草稿：还没发布") == std::string::npos);
}

TEST_CASE("config API: export, dry-run diff of a change, hostile documents refused") {
  Harness h;
  const std::string sys = h.tok["admin"];
  auto r = h.call("GET", "/api/v1/admin/config", "", sys);
  REQUIRE(r->status == 200);
  Json cfg = Json::parse(r->body);
  CHECK(cfg["format"] == "yibiao-config/1");
  CHECK(cfg["connectors"].size() >= 5);
  CHECK(cfg["forms"].size() == 1);
  CHECK(r->body.find("whsec_") == std::string::npos);  // no secret values
  CHECK_FALSE(cfg["secrets_referenced"].empty());
  // The same document: no changes.
  auto same = h.ok(h.call("POST", "/api/v1/admin/config?dry_run=1", cfg.dump(), sys));
  CHECK(same["changes"].empty());
  // A new village and a paused connector show in the diff and nothing is applied.
  Json changed = cfg;
  changed["org_units"].push_back({{"code", "130111200203"},
                                  {"name", "新村"},
                                  {"parent_code", "130111200000"},
                                  {"level", "village"}});
  for (auto& c : changed["connectors"])
    if (c["config"]["id"] == "civil_affairs") c["paused"] = true;
  auto diff = h.ok(h.call("POST", "/api/v1/admin/config?dry_run=1", changed.dump(), sys));
  CHECK(diff["changes"].size() == 2);
  CHECK(diff["text"].get<std::string>().find("+ org_units 130111200203") != std::string::npos);
  CHECK(diff["applied"] == false);
  CHECK_FALSE(h.gw->app().accounts().org_unit("130111200203"));
  // Applied for real.
  auto applied = h.ok(h.call("POST", "/api/v1/admin/config", changed.dump(), sys));
  CHECK(applied["applied"] == true);
  CHECK(h.gw->app().accounts().org_unit("130111200203"));
  CHECK(h.gw->app().connectors().get("civil_affairs")->paused);

  auto post = [&](const Json& doc) {
    return h.call("POST", "/api/v1/admin/config?dry_run=1", doc.dump(), sys);
  };
  CHECK(post(Json{{"format", "other"}})->status == 422);
  CHECK(post(Json{{"format", "yibiao-config/1"}, {"connectors", "all"}})->status == 422);
  Json bad_conn = cfg;
  bad_conn["connectors"][0]["config"]["url"] = "http://169.254.169.254/latest/meta-data";
  auto rb = post(bad_conn);
  CHECK(rb->status == 422);
  CHECK(rb->body.find("upstream_host_not_allowed") != std::string::npos);
  Json orphan = cfg;
  orphan["org_units"].push_back({{"code", "130999000001"},
                                 {"name", "孤儿"},
                                 {"parent_code", "130999000000"},
                                 {"level", "village"}});
  CHECK(post(orphan)->status == 422);
  Json rename = cfg;
  rename["org_units"][0]["name"] = "改名县";
  CHECK(post(rename)->status == 422);
  CHECK(h.call("POST", "/api/v1/admin/config", "[]", sys)->status == 400);
}

TEST_CASE("upstream hosts: connectors reach only allowed hosts, at save and at send time") {
  Harness h;
  const std::string county = h.tok["county1"];
  const std::string sys = h.tok["admin"];
  auto cfg = h.ok(h.call("GET", "/api/v1/admin/connectors/civil_affairs", "", county))["connector"];
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data", "http://10.0.0.1/x", "http://localhost:18080/x",
        "http://127.1:18080/x", "http://127.0.0.1@evil.example/x", "http://2130706433/x"}) {
    INFO(url);
    Json c = cfg;
    c["url"] = url;
    auto r = h.call("PUT", "/api/v1/admin/connectors/civil_affairs", c.dump(), county);
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->body.find("upstream_host_not_allowed") != std::string::npos);
  }
  // The system admin allows a host; county admins may not change the list.
  CHECK(h.call("PUT", "/api/v1/admin/upstream-hosts", R"({"hosts":["mz.example.gov.cn"]})", county)
            ->status == 403);
  CHECK(h.call("PUT", "/api/v1/admin/upstream-hosts", R"({"hosts":["http://x/"]})", sys)->status ==
        422);
  CHECK(h.call("PUT", "/api/v1/admin/upstream-hosts", R"({"hosts":[1]})", sys)->status == 422);
  auto set = h.ok(h.call("PUT", "/api/v1/admin/upstream-hosts",
                         R"({"hosts":["127.0.0.1","MZ.example.gov.cn:8443"]})", sys));
  CHECK(set["hosts"] == Json({"127.0.0.1", "mz.example.gov.cn:8443"}));
  Json ok_cfg = cfg;
  ok_cfg["url"] = "https://mz.example.gov.cn:8443/api";
  h.ok(h.call("PUT", "/api/v1/admin/connectors/civil_affairs", ok_cfg.dump(), county));
  ok_cfg["url"] = "https://mz.example.gov.cn/api";  // another port: not allowed
  CHECK(h.call("PUT", "/api/v1/admin/connectors/civil_affairs", ok_cfg.dump(), county)->status ==
        403);

  // Send time: once the host leaves the list, nothing goes out to it.
  h.ok(h.call("PUT", "/api/v1/admin/upstream-hosts", R"({"hosts":["mz.example.gov.cn:8443"]})",
              sys));
  h.gw->clock().advance_ms(5000);  // past the allowlist cache
  h.submit("cadre1", "h-1", 1);
  h.gw->app().engine().run_once();
  for (const auto& req : h.http->requests()) {
    CHECK(req.url.find("127.0.0.1") == std::string::npos);
  }
  auto dl =
      h.ok(h.call("GET", "/api/v1/admin/deliveries?connector=rural_revitalisation", "", county));
  REQUIRE_FALSE(dl["deliveries"].empty());
  CHECK(dl["deliveries"][0]["status"] != "delivered");
}

TEST_CASE("behind a trusted proxy the audit names the client from X-Forwarded-For; else not") {
  for (bool trusted : {true, false}) {
    CAPTURE(trusted);
    TestGateway gw([trusted](gateway::AppConfig& c) {
      if (trusted) c.server.trusted_proxies = {"127.0.0.1"};
    });
    auto c = gw.client();
    auto r = c.Post("/api/v1/sessions", {{"X-Forwarded-For", "198.51.100.9, 203.0.113.7"}},
                    R"({"username":"cadre1","password":"wrong-one"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    auto recs = gw.app().audit().query({.action = "login"});
    REQUIRE(recs.ok());
    REQUIRE(recs->size() == 1);
    CHECK((*recs)[0].entry.remote_addr == (trusted ? "203.0.113.7" : "127.0.0.1"));
  }
}
