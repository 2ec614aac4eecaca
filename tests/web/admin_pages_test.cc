// The admin console's HTML pages over real HTTP against the real gateway (TestGateway, demo
// county): which role may open which page (the server refuses, whatever the links say), CSRF
// refusal on every kind of state-changing form, validation errors listed per problem, hostile
// input escaped, and the pages doing what the JSON admin API does (pause, preview, retry,
// merge, create users) with the same audit records.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "forms/id_number.h"
#include "tests/support/test_gateway.h"
#include "tests/support/web_browser.h"

using namespace yb;
using Json = nlohmann::json;
using test::Browser;
using test::form_body;
using test::hidden;
using test::TestGateway;

namespace {

bool has(const std::string& html, const std::string& s) {
  return html.find(s) != std::string::npos;
}

Json body_of(const httplib::Result& r) { return Json::parse(r->body); }

const char* kAllPages[] = {
    "/admin",       "/admin/connectors", "/admin/deliveries", "/admin/duplicates",
    "/admin/audit", "/admin/users"};

}  // namespace

TEST_CASE("admin pages: each role opens only its pages; the server refuses the others") {
  TestGateway gw;
  {
    Browser anon{gw};
    auto r = anon.get("/admin/connectors");
    CHECK(r->status == 303);
    CHECK(r->get_header_value("Location") == "/?next=/admin/connectors");
    CHECK(anon.get("/admin/charts/saved.svg")->status == 401);
  }
  // role -> the pages it may open (the rest are 403)
  const std::vector<std::pair<std::string, std::set<std::string>>> expect = {
      {"cadre1", {}},
      {"county1",
       {"/admin", "/admin/connectors", "/admin/deliveries", "/admin/duplicates", "/admin/users"}},
      {"auditor1", {"/admin", "/admin/audit", "/admin/users"}},
      {"admin",
       {kAllPages[0], kAllPages[1], kAllPages[2], kAllPages[3], kAllPages[4], kAllPages[5]}}};
  for (const auto& [user, allowed] : expect) {
    CAPTURE(user);
    Browser b{gw};
    b.login(user, user == "admin" ? test::kAdminPassword : test::kDemoPassword);
    auto dash = b.get("/admin");
    for (const char* p : kAllPages) {
      CAPTURE(p);
      auto r = b.get(p);
      CHECK(r->status == (allowed.count(p) ? 200 : 403));
      CHECK(r->get_header_value("Content-Security-Policy").find("script-src 'self'") !=
            std::string::npos);
      CHECK_FALSE(has(r->body, " style="));  // nothing inline for the CSP to block
      CHECK_FALSE(has(r->body, "<script>"));
      // The navigation offers exactly the pages the role may open.
      if (dash->status == 200 && std::string(p) != "/admin") {
        CHECK(has(dash->body, std::string("href=\"") + p + "\"") == (allowed.count(p) > 0));
      }
    }
    CHECK(b.get("/admin/charts/health.svg")->status == (allowed.empty() ? 403 : 200));
  }
  // The auditor reads the user list but is offered no change, and a forged change is refused.
  Browser aud{gw};
  aud.login("auditor1");
  auto users = aud.get("/admin/users");
  CHECK(has(users->body, "cadre1"));
  CHECK_FALSE(has(users->body, "id=\"create-user\""));
  CHECK_FALSE(has(users->body, "/disable\""));
  auto forced = aud.submit("/admin/users/cadre1/disable");
  CHECK(forced->status == 403);
  CHECK_FALSE(body_of(gw.get("/api/v1/admin/users", gw.login("county1")))["users"].empty());
  Browser cadre{gw};
  cadre.login("cadre1");  // still works: nothing was disabled
  CHECK(cadre.submit("/admin/connectors/civil_affairs/pause")->status == 403);
}

TEST_CASE("admin pages: every state-changing form needs the session's CSRF token") {
  TestGateway gw;
  Browser b{gw};
  b.login("admin", test::kAdminPassword);
  const std::string tok = gw.login("admin", test::kAdminPassword);
  const std::vector<std::string> posts = {"/admin/connectors/civil_affairs/pause",
                                          "/admin/connectors/civil_affairs",
                                          "/admin/connectors/civil_affairs/preview",
                                          "/admin/connectors/civil_affairs/test",
                                          "/admin/deliveries/retry",
                                          "/admin/deliveries/msg_abc/retry",
                                          "/admin/deliveries/msg_abc/rerender",
                                          "/admin/duplicates/1/merge",
                                          "/admin/users",
                                          "/admin/users/cadre1/disable",
                                          "/admin/users/cadre1/password"};
  for (const auto& p : posts) {
    CAPTURE(p);
    CHECK(b.post(p, "")->status == 403);
    CHECK(b.post(p, "_csrf=" + std::string(32, 'a'))->status == 403);
  }
  auto st = body_of(gw.get("/api/v1/admin/connectors/civil_affairs", tok));
  CHECK(st["status"]["paused"] == false);
  // With the token: paused, the page says so, the audit log has it; then resumed.
  auto r = b.submit("/admin/connectors/civil_affairs/pause");
  CHECK(r->status == 303);
  CHECK(r->get_header_value("Location") == "/admin/connectors/civil_affairs?done=paused");
  CHECK(body_of(gw.get("/api/v1/admin/connectors/civil_affairs", tok))["status"]["paused"] == true);
  auto audit = body_of(gw.get("/api/v1/admin/audit?action=connector.pause", tok));
  REQUIRE(audit["records"].size() == 1);
  CHECK(audit["records"][0]["actor"] == "admin");
  CHECK(b.submit("/admin/connectors/civil_affairs/resume")->status == 303);
  CHECK(body_of(gw.get("/api/v1/admin/connectors/civil_affairs", tok))["status"]["paused"] ==
        false);
}

TEST_CASE("connector page: fields it receives, config errors per problem, hostile input escaped") {
  TestGateway gw;
  Browser b{gw};
  b.login("county1");
  auto list = b.get("/admin/connectors");
  REQUIRE(list->status == 200);
  CHECK(has(list->body, "person.id_number"));
  CHECK(has(list->body, "class=\"sensitive\""));  // the demo's sensitive fields are marked
  auto page = b.get("/admin/connectors/civil_affairs");
  REQUIRE(page->status == 200);
  CHECK(has(page->body, "id=\"config\""));

  // Not JSON: one clear problem, what was typed kept (escaped).
  const std::string hostile = "{\"name\": \"</textarea><script>alert(1)</script>\"";
  auto bad = b.submit("/admin/connectors/civil_affairs", {{"config", hostile}});
  CHECK(bad->status == 422);
  CHECK(has(bad->body, "JSON"));
  CHECK_FALSE(has(bad->body, "<script>alert(1)"));
  CHECK(has(bad->body, "&lt;/textarea&gt;&lt;script&gt;"));

  // JSON with several problems: every one listed, nothing changed.
  const std::string tok = gw.login("county1");
  auto before = body_of(gw.get("/api/v1/admin/connectors/civil_affairs", tok));
  Json cfg = before["connector"];
  cfg["bogus_key"] = 1;
  cfg["mapping"] = "not an object";
  auto many = b.submit("/admin/connectors/civil_affairs", {{"config", cfg.dump()}});
  CHECK(many->status == 422);
  CHECK(has(many->body, "bogus_key"));
  const auto items = [](const std::string& html) {
    size_t n = 0;
    for (size_t p = html.find("<ul class=\"problems\">"); p != std::string::npos;) {
      p = html.find("<li>", p + 1);
      if (p == std::string::npos || p > html.find("</ul>", html.find("<ul class=\"problems\">"))) {
        break;
      }
      ++n;
    }
    return n;
  };
  CHECK(items(many->body) >= 2);
  auto after = body_of(gw.get("/api/v1/admin/connectors/civil_affairs", tok));
  CHECK(after["status"]["version"] == before["status"]["version"]);

  // Preview on the built-in sample: the exact request, secrets as placeholders, nothing sent.
  auto prev = b.submit("/admin/connectors/civil_affairs/preview", {{"values", ""}});
  CHECK(prev->status == 200);
  CHECK(has(prev->body, "id=\"preview-result\""));
  CHECK(has(prev->body, "<strong>POST</strong>"));
  // A sample answer that is not JSON, and one that fails validation.
  auto nj = b.submit("/admin/connectors/civil_affairs/preview", {{"values", "[1,"}});
  CHECK(nj->status == 422);
  auto inv = b.submit("/admin/connectors/civil_affairs/preview",
                      {{"values", "{\"person.name\": \"<b>x</b>\"}"}});
  CHECK(inv->status == 422);
  CHECK_FALSE(has(inv->body, "<b>x</b>"));

  // Unknown connector: 404 page, not a crash.
  CHECK(b.get("/admin/connectors/no_such_thing")->status == 404);

  // A new connector from the list page: bad id, taken id, then created (demo allows 127.0.0.1).
  Json fresh = before["connector"];
  fresh.erase("id");
  CHECK(b.submit("/admin/connectors", {{"id", "Bad Id"}, {"config", fresh.dump()}})->status == 422);
  auto taken = b.submit("/admin/connectors", {{"id", "civil_affairs"}, {"config", fresh.dump()}});
  CHECK(taken->status == 422);
  CHECK(has(taken->body, "value=\"civil_affairs\""));
  auto made = b.submit("/admin/connectors", {{"id", "civil_copy"}, {"config", fresh.dump()}});
  CHECK(made->status == 303);
  CHECK(made->get_header_value("Location") == "/admin/connectors/civil_copy?done=saved");
  CHECK(has(b.get("/admin/connectors")->body, "/admin/connectors/civil_copy"));
}

TEST_CASE("deliveries page: filter, attempts, retry one, bulk retry; hostile filters ignored") {
  TestGateway gw;
  const std::string cadre = gw.login("cadre1");
  Json body{{"form", "resident_household"},
            {"client_id", "adm-1"},
            {"values", admin::demo_sample_values(3)}};
  auto sub = gw.post("/api/v1/submissions", body.dump(), cadre);
  REQUIRE(sub);
  REQUIRE(sub->status == 201);
  Browser b{gw};
  b.login("county1");
  auto all = b.get("/admin/deliveries");
  REQUIRE(all->status == 200);
  CHECK(has(all->body, "msg_"));
  auto one = b.get("/admin/deliveries?connector=civil_affairs");
  CHECK(has(one->body, "civil_affairs"));
  // By org unit (the village's subtree, or another one) and by day (China time).
  CHECK(has(b.get("/admin/deliveries?org_unit=130111200201")->body, "msg_"));
  CHECK_FALSE(
      has(b.get("/admin/deliveries?org_unit=130111100201")->body, "href=\"/admin/deliveries/msg_"));
  CHECK_FALSE(
      has(b.get("/admin/deliveries?from=2099-01-01")->body, "href=\"/admin/deliveries/msg_"));
  auto bad_date = b.get("/admin/deliveries?from=%3Cb%3E");
  CHECK(bad_date->status == 422);
  CHECK_FALSE(has(bad_date->body, "<b>"));
  auto hostile = b.get("/admin/deliveries?status=%3Cscript%3E&connector=%22%3E%3Cx");
  CHECK(hostile->status == 200);
  CHECK_FALSE(has(hostile->body, "<script>"));
  CHECK_FALSE(has(hostile->body, "\"><x"));
  // One delivery's page.
  auto p = all->body.find("href=\"/admin/deliveries/msg_");
  REQUIRE(p != std::string::npos);
  p += std::string("href=\"/admin/deliveries/").size();
  const std::string id = all->body.substr(p, all->body.find('"', p) - p);
  auto d = b.get("/admin/deliveries/" + id);
  CHECK(d->status == 200);
  CHECK(has(d->body, id));
  // A pending delivery cannot be retried (the service says why); bulk retry of dead ones works.
  auto r = b.submit("/admin/deliveries/" + id + "/retry");
  CHECK(r->status == 409);
  auto bulk = b.submit("/admin/deliveries/retry", {{"status", "dead"}});
  CHECK(bulk->status == 303);
  CHECK(bulk->get_header_value("Location").find("done=requeued&n=0") != std::string::npos);
  auto shown = b.get(bulk->get_header_value("Location"));
  CHECK(has(shown->body, "class=\"notice\""));
  CHECK(b.get("/admin/deliveries/msg_doesnotexist")->status == 404);
}

TEST_CASE("duplicates page: the evidence side by side; merge, undo, keep") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(7);
  v["household.size"] = 3;
  v["household.members"].push_back(
      Json{{"name", "孙小明"}, {"sex", "1"}, {"relation", "20"}, {"birth_date", "2015-03-03"}});
  Json b1{{"form", "resident_household"}, {"client_id", "q-1"}, {"values", v}};
  REQUIRE(gw.post("/api/v1/submissions", b1.dump(), tok)->status == 201);
  Json h = admin::demo_sample_values(8);
  std::string id17 = "13011120150303011";
  const std::string id = id17 + forms::id_check_char(id17);
  h["person.name"] = "孫小明";
  h["person.id_number"] = id;
  h["person.birth_date"] = "2015-03-03";
  h["person.sex"] = "1";
  h["household.size"] = 1;
  h["household.members"] =
      Json::array({Json{{"name", "孙小明"}, {"id_number", id}, {"sex", "1"}, {"relation", "02"}}});
  Json b2{{"form", "resident_household"}, {"client_id", "q-2"}, {"values", h}};
  REQUIRE(gw.post("/api/v1/submissions", b2.dump(), tok)->status == 201);

  Browser b{gw};
  b.login("county1");
  auto q = b.get("/admin/duplicates");
  REQUIRE(q->status == 200);
  CHECK(has(q->body, "孙小明"));
  CHECK(has(q->body, id));  // county admins see the evidence in full
  auto p = q->body.find("data-pair=\"");
  REQUIRE(p != std::string::npos);
  const std::string pid = q->body.substr(p + 11, q->body.find('"', p + 11) - p - 11);
  auto m = b.submit("/admin/duplicates/" + pid + "/merge");
  CHECK(m->status == 303);
  CHECK(m->get_header_value("Location") == "/admin/duplicates?status=merged&done=merge");
  CHECK_FALSE(has(b.get("/admin/duplicates")->body, "data-pair=\"" + pid + "\""));
  CHECK(has(b.get("/admin/duplicates?status=merged")->body, "data-pair=\"" + pid + "\""));
  // Merging twice: the service's 409, shown as a page.
  CHECK(b.submit("/admin/duplicates/" + pid + "/merge")->status == 409);
  CHECK(b.submit("/admin/duplicates/" + pid + "/undo")->status == 303);
  CHECK(has(b.get("/admin/duplicates?status=kept")->body, "data-pair=\"" + pid + "\""));
  CHECK(b.submit("/admin/duplicates/99999/merge")->status == 404);
  // Looking at the queue and every decision are in the audit log.
  const std::string admin = gw.login("admin", test::kAdminPassword);
  auto merged = body_of(gw.get("/api/v1/admin/audit?action=duplicate.merge", admin));
  REQUIRE(merged["records"].size() == 3);  // the merge, a second one, an unknown pair
  CHECK(merged["records"][0]["target"] == pid);
  CHECK(merged["records"][0]["result"] == "ok");
  CHECK(merged["records"][1]["result"] == "failed");
  CHECK(merged["records"][2]["target"] == "99999");
  CHECK(
      body_of(gw.get("/api/v1/admin/audit?action=duplicates.view&actor=county1", admin))["records"]
          .size() >= 3);
  CHECK(b.get("/admin/duplicates?status=%3Cscript%3E")->status == 200);
}

TEST_CASE("audit page: filters, read-only, its own viewing recorded; bad dates listed") {
  TestGateway gw;
  Browser b{gw};
  b.login("auditor1");
  auto all = b.get("/admin/audit");
  REQUIRE(all->status == 200);
  CHECK(has(all->body, "login"));
  auto mine = b.get("/admin/audit?actor=auditor1&action=login");
  CHECK(has(mine->body, "auditor1"));
  CHECK_FALSE(has(mine->body, ">county1"));
  // Nothing on the page changes anything: no form posts there.
  CHECK_FALSE(has(all->body, "method=\"post\" action=\"/admin/audit"));
  auto bad = b.get("/admin/audit?from=yesterday&actor=%3Cimg%20src%3Dx%3E");
  CHECK(bad->status == 422);
  CHECK_FALSE(has(bad->body, "<img src=x>"));
  CHECK(has(bad->body, "2026-11-28"));  // the message says how to write a date
  const std::string tok = gw.login("admin", test::kAdminPassword);
  auto views = body_of(gw.get("/api/v1/admin/audit?action=audit.view&actor=auditor1", tok));
  CHECK(views["records"].size() >= 2);
}

TEST_CASE("users page: create a cadre, every problem listed, reset password, disable") {
  TestGateway gw;
  Browser b{gw};
  b.login("county1");
  auto page = b.get("/admin/users");
  REQUIRE(page->status == 200);
  CHECK(has(page->body, "id=\"create-user\""));
  // A county admin may create cadres only: the role list offers nothing else.
  CHECK(has(page->body, "value=\"cadre\""));
  CHECK_FALSE(has(page->body, "value=\"system_admin\""));
  auto weak = b.submit("/admin/users", {{"username", "cadre9"},
                                        {"password", "short"},
                                        {"role", "cadre"},
                                        {"org_unit", "<script>x</script>"},
                                        {"display_name", "王五"}});
  CHECK(weak->status == 422);
  CHECK(has(weak->body, "class=\"problems\""));
  CHECK_FALSE(has(weak->body, "<script>x</script>"));
  CHECK(has(weak->body, "value=\"王五\""));  // what was typed is kept
  auto ok = b.submit("/admin/users", {{"username", "cadre9"},
                                      {"password", "Village-pass-99"},
                                      {"role", "cadre"},
                                      {"org_unit", "130111200201"},
                                      {"display_name", "王五"}});
  CHECK(ok->status == 303);
  CHECK(has(b.get("/admin/users")->body, "cadre9"));
  Browser nine{gw};
  nine.login("cadre9", "Village-pass-99");
  CHECK(b.submit("/admin/users/cadre9/password", {{"password", "Another-pass-77"}})->status == 303);
  CHECK(nine.get("/home")->status == 303);  // the reset ended its session
  CHECK(b.submit("/admin/users/cadre9/disable")->status == 303);
  auto login_page = nine.get("/");
  auto denied = nine.post("/login", form_body({{"_csrf", hidden(login_page->body, "_csrf")},
                                               {"username", "cadre9"},
                                               {"password", "Another-pass-77"}}));
  CHECK(denied->status != 303);
  // A county admin may not touch another admin.
  CHECK(b.submit("/admin/users/admin/disable")->status >= 403);
}

TEST_CASE("dashboard page: charts from the server, the numbers in tables, no cadre named") {
  TestGateway gw;
  const std::string cadre = gw.login("cadre1");
  Json body{{"form", "resident_household"},
            {"client_id", "dash-1"},
            {"values", admin::demo_sample_values(5)}};
  REQUIRE(gw.post("/api/v1/submissions", body.dump(), cadre)->status == 201);
  Browser b{gw};
  b.login("county1");
  auto d = b.get("/admin?days=7");
  REQUIRE(d->status == 200);
  for (const char* c : {"saved", "prefill", "places", "health", "coverage"}) {
    CHECK(has(d->body, std::string("/admin/charts/") + c + ".svg?days=7"));
    auto svg = b.get(std::string("/admin/charts/") + c + ".svg?days=7");
    CHECK(svg->status == 200);
    CHECK(svg->get_header_value("Content-Type").rfind("image/svg+xml", 0) == 0);
    CHECK(has(svg->body, "<svg"));
  }
  CHECK(has(d->body, "<table"));
  CHECK(has(d->body, "民政"));  // the demo civil affairs system in the health table
  CHECK_FALSE(has(d->body, "cadre1"));
  // Out-of-range or hostile days fall back to 30.
  CHECK(b.get("/admin?days=9999")->status == 200);
  CHECK(has(b.get("/admin?days=%3Cb%3E")->body, ".svg?days=30"));
  CHECK(b.get("/admin/charts/nope.svg")->status == 404);
}

TEST_CASE("forms pages: draft, preview exactly as a cadre sees it, publish, close") {
  TestGateway gw;
  Browser cadre{gw};
  cadre.login("cadre1");
  CHECK(cadre.get("/admin/forms")->status == 403);
  Browser b{gw};
  b.login("county1");
  auto list = b.get("/admin/forms");
  REQUIRE(list->status == 200);
  CHECK(has(list->body, "/admin/forms/resident_household"));
  CHECK(b.get("/admin/forms?open=resident_household")->get_header_value("Location") ==
        "/admin/forms/resident_household");
  auto page = b.get("/admin/forms/resident_household");
  REQUIRE(page->status == 200);
  CHECK(has(page->body, "id=\"definition\""));

  // Not JSON, then a definition with problems: each one listed, what was typed kept.
  auto nj = b.submit("/admin/forms/resident_household", {{"definition", "{\"<b>\": "}});
  CHECK(nj->status == 422);
  CHECK_FALSE(has(nj->body, "<b>"));
  const std::string tok = gw.login("county1");
  auto api = body_of(gw.get("/api/v1/admin/forms/resident_household", tok));
  Json def = api["published"];
  REQUIRE(def.is_object());
  Json broken = def;
  broken["sections"][0]["fields"].push_back(Json{{"key", "no.such_field"}});
  auto bad = b.submit("/admin/forms/resident_household", {{"definition", broken.dump()}});
  CHECK(bad->status == 422);
  CHECK(has(bad->body, "no.such_field"));
  CHECK(has(bad->body, "class=\"problems\""));

  // A draft with a new title: the preview is the cadre's form page, posting back to itself.
  // Sent as the page sends it: multipart, and larger than a url-encoded body may be (8 KB).
  def["title"]["zh-CN"] = "居民及家庭信息采集表（新版）";
  def["description"]["zh-CN"] = std::string(3000, 'x') + "。";
  REQUIRE(def.dump(2).size() > 8192);
  CHECK(b.submit_multipart("/admin/forms/resident_household", {{"definition", def.dump(2)}})
            ->status == 303);
  // Without the token, multipart is refused like any other post.
  httplib::MultipartFormDataItems forged = {{"definition", def.dump(), "", ""}};
  CHECK(gw.client().Post("/admin/forms/resident_household", b.headers(), forged)->status == 403);
  auto saved = b.submit_multipart("/admin/forms/resident_household", {{"definition", def.dump()}});
  REQUIRE(saved->status == 303);
  CHECK(saved->get_header_value("Location") == "/admin/forms/resident_household?done=draft");
  auto prev = b.get("/admin/forms/resident_household/preview");
  REQUIRE(prev->status == 200);
  CHECK(has(prev->body, "（新版）"));
  CHECK(has(prev->body, "action=\"/admin/forms/resident_household/preview\" data-preview=\"1\""));
  CHECK_FALSE(has(prev->body, "action=\"/forms/resident_household\""));
  CHECK(has(prev->body, "name=\"person.id_number\""));
  CHECK(has(prev->body, "id=\"preview-notice\""));  // said to be a preview, not an error
  // Checking an empty answer shows the errors and stores nothing; without the token, 403.
  auto checked = b.submit("/admin/forms/resident_household/preview", {{"_action", "submit"}});
  CHECK(checked->status == 422);
  CHECK(b.post("/admin/forms/resident_household/preview", "_action=submit")->status == 403);
  CHECK_FALSE(has(cadre.get("/forms/resident_household")->body, "（新版）"));  // not yet

  // Publish: cadres get the new version. Close: cadres are no longer offered it.
  auto pub = b.submit("/admin/forms/resident_household/publish");
  CHECK(pub->status == 303);
  CHECK(has(cadre.get("/forms/resident_household")->body, "（新版）"));
  CHECK(b.submit("/admin/forms/resident_household/publish")->status == 409);  // no draft left
  CHECK(b.submit("/admin/forms/resident_household/close")->status == 303);
  CHECK(cadre.get("/forms/resident_household")->status == 404);
  CHECK(b.get("/admin/dictionary")->status == 200);
  auto dict_bad = b.submit("/admin/dictionary", {{"definition", "[]"}});
  CHECK(dict_bad->status == 422);
}

TEST_CASE("upstream forms pages: register from a field list, coverage, map, make its connector") {
  TestGateway gw;
  Browser b{gw};
  b.login("county1");
  CHECK(b.get("/admin/upstream-forms")->status == 200);
  auto bad = b.submit("/admin/upstream-forms", {{"id", "<x>"}, {"fields", "xm,姓名"}});
  CHECK(bad->status == 422);
  CHECK_FALSE(has(bad->body, "value=\"<x>\""));
  auto reg = b.submit("/admin/upstream-forms",
                      {{"id", "cl_test"},
                       {"name", "残联 残疾人信息采集表"},
                       {"system", "残联"},
                       {"fields", "xm,姓名\r\nsfzh,公民身份号码\nyzgm,养殖规模（头）\n"}});
  REQUIRE(reg->status == 303);
  auto page = b.get("/admin/upstream-forms/cl_test");
  REQUIRE(page->status == 200);
  CHECK(has(page->body, "id=\"covered-n\">2<"));
  CHECK(has(page->body, "id=\"missing-n\">1<"));
  CHECK(has(page->body, "<code class=\"missing\">yzgm</code>"));
  // Map only the name: coverage follows.
  auto mapped = b.submit("/admin/upstream-forms/cl_test",
                         {{"map.xm", "person.name"}, {"map.sfzh", ""}, {"map.yzgm", ""}});
  CHECK(mapped->status == 303);
  CHECK(has(b.get("/admin/upstream-forms/cl_test")->body, "id=\"covered-n\">1<"));
  auto wrong = b.submit("/admin/upstream-forms/cl_test", {{"map.xm", "no.such_field"}});
  CHECK(wrong->status == 422);
  // Its connector: a host off the allowlist is refused, naming it; an allowed one is created.
  auto off = b.submit("/admin/upstream-forms/cl_test/connector", {{"conn_id", "cl_test"},
                                                                  {"type", "http_json"},
                                                                  {"url", "http://10.9.9.9/x"},
                                                                  {"allow_plain_http", "1"}});
  CHECK(off->status == 403);
  CHECK(has(off->body, "10.9.9.9"));
  const std::string admin_tok = gw.login("admin", test::kAdminPassword);
  REQUIRE(gw.client()
              .Put("/api/v1/admin/upstream-hosts", {{"Authorization", "Bearer " + admin_tok}},
                   R"({"hosts": ["127.0.0.1"]})", "application/json")
              ->status == 200);
  auto made = b.submit("/admin/upstream-forms/cl_test/connector", {{"conn_id", "cl_test"},
                                                                   {"type", "http_json"},
                                                                   {"url", "http://127.0.0.1:9/x"},
                                                                   {"allow_plain_http", "1"}});
  REQUIRE(made->status == 303);
  CHECK(made->get_header_value("Location") == "/admin/connectors/cl_test?done=saved");
  auto conn = b.get("/admin/connectors/cl_test");
  CHECK(conn->status == 200);
  CHECK(has(conn->body, "person.name"));
}

TEST_CASE("org units page: browse the tree; CSV import checked first, every bad line listed") {
  TestGateway gw;
  Browser cadre{gw};
  cadre.login("cadre1");
  CHECK(cadre.get("/admin/org-units")->status == 403);
  Browser aud{gw};
  aud.login("auditor1");
  auto ap = aud.get("/admin/org-units");
  CHECK(ap->status == 200);
  CHECK_FALSE(has(ap->body, "id=\"import\""));
  CHECK(aud.submit("/admin/org-units/import", {{"csv", "130111200203,新村"}})->status == 403);
  Browser b{gw};
  b.login("county1");
  auto top = b.get("/admin/org-units");
  REQUIRE(top->status == 200);
  CHECK(has(top->body, "南高乡"));
  auto down = b.get("/admin/org-units?parent=130111200000");
  CHECK(has(down->body, "南高村"));
  CHECK(b.get("/admin/org-units?parent=%3Cscript%3E")->status == 200);
  // A dry run changes nothing; the real import adds the village.
  auto dry = b.submit("/admin/org-units/import",
                      {{"csv", "code,name\n130111200203,新高村\n"}, {"dry_run", "1"}});
  CHECK(dry->status == 200);
  CHECK(has(dry->body, "id=\"import-result\""));
  CHECK_FALSE(has(b.get("/admin/org-units?parent=130111200000")->body, "新高村"));
  auto real = b.submit("/admin/org-units/import", {{"csv", "code,name\n130111200203,新高村\n"}});
  CHECK(real->status == 200);
  CHECK(has(b.get("/admin/org-units?parent=130111200000")->body, "新高村"));
  // Bad lines: each named by its number, nothing imported.
  auto bad = b.submit("/admin/org-units/import",
                      {{"csv", "130111200204,好村\n12345,<b>坏</b>\n130111200205\n"}});
  CHECK(bad->status == 422);
  CHECK_FALSE(has(bad->body, "<b>坏</b>"));
  CHECK_FALSE(has(b.get("/admin/org-units?parent=130111200000")->body, "好村"));
}
