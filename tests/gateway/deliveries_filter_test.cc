// The admin deliveries list and bulk retry filtered by org unit (its subtree) and by the date a
// delivery was created (China time days), within the caller's own subtree.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

struct Api {
  TestGateway gw;
  Json expect(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body.substr(0, 2000));
    REQUIRE(r->status == status);
    return Json::parse(r->body);
  }
  int submit(const std::string& cadre, const std::string& cid, int seed) {
    Json body{{"form", "resident_household"},
              {"client_id", cid},
              {"values", admin::demo_sample_values(seed)}};
    auto r = expect(gw.post("/api/v1/submissions", body.dump(), gw.login(cadre)), 201);
    return static_cast<int>(r["deliveries"].size());
  }
  std::multiset<std::string> orgs(const std::string& query, const std::string& token) {
    std::multiset<std::string> out;
    const Json j = expect(gw.get("/api/v1/admin/deliveries?limit=500" + query, token), 200);
    for (const auto& d : j["deliveries"]) out.insert(d["org_unit"].get<std::string>());
    return out;
  }
};

}  // namespace

TEST_CASE("deliveries: filtered by org subtree and creation date; bulk retry by the same filter") {
  Api a;
  const int day1_south = a.submit("cadre1", "f-1", 1);  // 南高村, under 南高乡 130111200000
  const int day1_east = a.submit("cadre2", "f-2", 2);   // 东关村, under 城关镇 130111100000
  a.gw.clock().advance_s(86400);
  const int day2_south = a.submit("cadre1", "f-3", 3);
  REQUIRE(day1_south > 0);
  REQUIRE(day1_east > 0);
  REQUIRE(day2_south > 0);
  const std::string county = a.gw.login("county1");

  CHECK(a.orgs("", county).size() == static_cast<size_t>(day1_south + day1_east + day2_south));
  auto south = a.orgs("&org_unit=130111200000", county);
  CHECK(south.size() == static_cast<size_t>(day1_south + day2_south));
  CHECK(south.count("130111200201") == south.size());
  auto east = a.orgs("&org_unit=130111100201", county);  // a village itself
  CHECK(east.size() == static_cast<size_t>(day1_east));
  // Days in China time: the clock started at 2026-11-27 08:00 (+08:00).
  CHECK(a.orgs("&from=2026-11-28", county).size() == static_cast<size_t>(day2_south));
  CHECK(a.orgs("&to=2026-11-28", county).size() == static_cast<size_t>(day1_south + day1_east));
  CHECK(a.orgs("&org_unit=130111200000&to=2026-11-28", county).size() ==
        static_cast<size_t>(day1_south));
  CHECK(a.orgs("&from=2026-11-29", county).empty());

  // A township cadre is no admin; a unit outside the caller's subtree is not revealed.
  a.expect(a.gw.get("/api/v1/admin/deliveries?org_unit=130111200000", a.gw.login("township1")),
           403);
  a.expect(a.gw.get("/api/v1/admin/deliveries?org_unit=130222000000", county), 404);
  a.expect(a.gw.get("/api/v1/admin/deliveries?org_unit=%27%20OR%201=1", county), 404);
  a.expect(a.gw.get("/api/v1/admin/deliveries?from=yesterday", county), 400);
  a.expect(a.gw.get("/api/v1/admin/deliveries?to=2026-13-01", county), 400);

  // Bulk retry by the same filter: make everything dead, requeue only 南高乡 on day 1.
  REQUIRE(a.gw.app()
              .database()
              .with_conn([](db::Conn& c) -> Status {
                return c.exec("UPDATE deliveries SET status = 'dead' WHERE payload IS NOT NULL");
              })
              .ok());
  const int dead_total = static_cast<int>(a.orgs("&status=dead", county).size());
  const size_t east_dead = a.orgs("&status=dead&org_unit=130111100000", county).size();
  const size_t south2_dead = a.orgs("&status=dead&from=2026-11-28", county).size();
  REQUIRE(east_dead > 0);
  auto r = a.expect(
      a.gw.post("/api/v1/admin/deliveries/retry",
                R"({"status": "dead", "org_unit": "130111200000", "to": "2026-11-28"})", county),
      200);
  const int requeued = r["requeued"].get<int>();
  CHECK(requeued > 0);
  CHECK(requeued <= day1_south);
  CHECK(static_cast<int>(a.orgs("&status=dead", county).size()) == dead_total - requeued);
  CHECK(a.orgs("&status=dead&org_unit=130111100000", county).size() == east_dead);
  CHECK(a.orgs("&status=dead&from=2026-11-28", county).size() == south2_dead);
  auto err = a.expect(a.gw.post("/api/v1/admin/deliveries/retry",
                                R"({"status": "dead", "from": "soon", "to": 5.5})", county),
                      422);
  CHECK(err["error"]["errors"].size() == 2);
  a.expect(a.gw.post("/api/v1/admin/deliveries/retry",
                     R"({"status": "dead", "org_unit": "130222000000"})", county),
           404);
}
