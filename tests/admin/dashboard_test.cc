// The county dashboard over real HTTP: figures per place and per upstream system for the
// caller's subtree, SVG charts with their numbers as text, and no figure about any one cadre.
#include <doctest/doctest.h>

#include "admin/dashboard.h"
#include "admin/demo.h"
#include "core/markup.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;

namespace {

int submit(test::TestGateway& gw, const std::string& tok, const std::string& cid, int seed,
           const std::string& org) {
  Json body = {{"form", "resident_household"},
               {"client_id", cid},
               {"org_unit", org},
               {"values", admin::demo_sample_values(seed)}};
  auto r = gw.post("/api/v1/submissions", body.dump(), tok);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  return Json::parse(r->body)["burden"]["delivered"].get<int>();
}

}  // namespace

TEST_CASE("the dashboard sums the burden removed per township and the health per system") {
  test::TestGateway gw;
  const auto c1 = gw.login("cadre1"), c2 = gw.login("cadre2");
  int delivered = submit(gw, c1, "d-1", 1, "130111200201");
  delivered += submit(gw, c1, "d-2", 2, "130111200201");
  delivered += submit(gw, c2, "d-3", 3, "130111100201");
  gw.clock().advance_s(600);
  const auto admin = gw.login("county1");

  auto r = gw.get("/api/v1/admin/dashboard?days=7", admin);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  Json d = Json::parse(r->body);
  CHECK(d["org_unit"]["code"] == "130111000000");
  REQUIRE(d["days"].size() == 7);
  const Json& today = d["days"].back();
  CHECK(today["date"] == "2026-11-27");
  CHECK(today["submissions"] == 3);
  CHECK(today["delivered"] == delivered);
  std::map<std::string, int> by_place;
  for (const auto& p : d["places"]) by_place[p["name"]] = p["submissions"];
  CHECK(by_place["南高乡"] == 2);
  CHECK(by_place["城关镇"] == 1);
  CHECK(d["connectors"].size() == 5);
  int64_t backlog = 0;
  for (const auto& c : d["connectors"]) {
    backlog += c["backlog"].get<int64_t>();
    if (c["backlog"] > 0) CHECK(c["oldest_backlog_age_s"] == 600);
  }
  CHECK(backlog > 0);
  CHECK(d["forms"][0]["form"] == "resident_household");
  CHECK(d["forms"][0]["upstream_systems"] == 5);
  // places and systems only: nothing names or counts a cadre
  CHECK(r->body.find("cadre") == std::string::npos);
  CHECK(r->body.find("村干部") == std::string::npos);

  // A township's view is narrower; here the demo's township user is a cadre: no dashboard.
  CHECK(gw.get("/api/v1/admin/dashboard", c1)->status == 403);
  CHECK(gw.get("/api/v1/admin/dashboard")->status == 401);
  CHECK(gw.get("/api/v1/admin/dashboard", gw.login("auditor1"))->status == 200);
  for (const char* bad : {"0", "367", "abc", "-1", "1e3", ""}) {
    INFO(bad);
    CHECK(gw.get(std::string("/api/v1/admin/dashboard?days=") + bad, admin)->status == 422);
  }
}

TEST_CASE("charts are SVG with a title, a description and every number as text") {
  test::TestGateway gw;
  const auto c1 = gw.login("cadre1");
  submit(gw, c1, "s-1", 1, "130111200201");
  const auto admin = gw.login("county1");
  for (const char* name : {"saved", "prefill", "places", "health"}) {
    INFO(name);
    auto r = gw.get(std::string("/api/v1/admin/dashboard/charts/") + name + ".svg", admin);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Content-Type").find("image/svg+xml") == 0);
    CHECK(r->body.rfind("<svg ", 0) == 0);
    CHECK(r->body.find("role=\"img\"") != std::string::npos);
    CHECK(r->body.find("<title id=\"t\">") != std::string::npos);
    CHECK(r->body.find("<desc id=\"d\">") != std::string::npos);
  }
  auto places = gw.get("/api/v1/admin/dashboard/charts/places.svg", admin);
  CHECK(places->body.find("南高乡") != std::string::npos);
  CHECK(places->body.find("1 份") != std::string::npos);
  auto health = gw.get("/api/v1/admin/dashboard/charts/health.svg", admin);
  CHECK(health->body.find("积压") != std::string::npos);
  CHECK(gw.get("/api/v1/admin/dashboard/charts/pie.svg", admin)->status == 404);
  CHECK(gw.get("/api/v1/admin/dashboard/charts/saved.svg", c1)->status == 403);
}

TEST_CASE("text in charts is escaped") {
  CHECK(xml_escape("<script>&\"'") == "&lt;script&gt;&amp;&quot;&#39;");
  CHECK(xml_escape(std::string("a\x01"
                               "b")) == "ab");
  admin::DashboardData d;
  d.places.push_back({{1, 1, 0, 5}, "1", "<b>村</b>"});
  auto svg = admin::dashboard_chart(d, "places");
  REQUIRE(svg);
  CHECK(svg->find("<b>") == std::string::npos);
  CHECK(svg->find("&lt;b&gt;村") != std::string::npos);
}
