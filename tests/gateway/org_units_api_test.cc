// Org unit CSV import and tree browsing over real HTTP: BOM, CRLF, quotes, header; every bad
// line reported with its number and nothing imported; idempotent re-import and renames; the
// caller's subtree; oversized and binary input refused cleanly. Codes are 12-digit division
// codes under the demo county 130111 (the reference's 130111200201 南高村 is one of them).
#include <doctest/doctest.h>

#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

constexpr const char* kCountyY = "130222000000";

struct Api {
  TestGateway gw;
  std::string county, admin, cadre, auditor, county_y;
  Api() {
    auto& acc = gw.app().accounts();
    REQUIRE(acc.add_org_unit({kCountyY, "另一县", std::nullopt, "county"}).ok());
    REQUIRE(acc.add_user("county_y", test::kDemoPassword, admin::Role::kCountyAdmin,
                         std::string(kCountyY))
                .ok());
    county = gw.login("county1");
    admin = gw.login("admin", test::kAdminPassword);
    cadre = gw.login("cadre1");
    auditor = gw.login("auditor1");
    county_y = gw.login("county_y");
  }
  httplib::Result import(const std::string& csv, const std::string& token, bool dry = false) {
    auto c = gw.client();
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    return c.Post(std::string("/api/v1/admin/org-units/import") + (dry ? "?dry_run=1" : ""), h, csv,
                  "text/csv");
  }
  httplib::Result browse(const std::string& query, const std::string& token) {
    auto c = gw.client();
    return c.Get(("/api/v1/admin/org-units" + query).c_str(),
                 httplib::Headers{{"Authorization", "Bearer " + token}});
  }
  Json expect(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body.substr(0, 3000));
    REQUIRE(r->status == status);
    return Json::parse(r->body);
  }
  std::map<std::string, std::string> children(const std::string& parent) {
    std::map<std::string, std::string> out;
    const Json j = expect(browse("?parent=" + parent, county), 200);
    for (const auto& u : j["units"]) out[u["code"]] = u["name"];
    return out;
  }
};

const std::string kGood =
    "\xEF\xBB\xBF"
    "code,name,parent\r\n"
    "130111101000,冶河镇,\r\n"
    "130111101201,\"东营村\",\r\n"
    "130111101202,\"北屯村, 一组\",130111101000\r\n"
    "\r\n"
    "130111200203,\"小\"\"高\"\"村\"\r\n";

}  // namespace

TEST_CASE("org units: a CSV with BOM, CRLF and quotes imports once; re-import changes nothing") {
  Api a;
  auto dry = a.expect(a.import(kGood, a.county, true), 200);
  CHECK(dry["dry_run"] == true);
  CHECK(dry["applied"] == false);
  CHECK(dry["added"] == 4);
  CHECK(dry["changes"][0]["line"] == 2);
  CHECK(dry["changes"][0]["level"] == "township");
  CHECK(dry["changes"][0]["parent_code"] == "130111000000");
  a.expect(a.browse("?parent=130111101000", a.county), 404);  // nothing yet

  auto r = a.expect(a.import(kGood, a.county), 200);
  CHECK(r["applied"] == true);
  CHECK(r["added"] == 4);
  auto kids = a.children("130111101000");
  CHECK(kids == std::map<std::string, std::string>{{"130111101201", "东营村"},
                                                   {"130111101202", "北屯村, 一组"}});
  CHECK(a.children("130111200000").at("130111200203") == "小\"高\"村");
  // The new units are in scope at once: a cadre can be placed there.
  CHECK(a.gw.app().accounts().in_scope(std::string("130111000000"), "130111101202"));

  r = a.expect(a.import(kGood, a.admin), 200);
  CHECK(r["added"] == 0);
  CHECK(r["renamed"] == 0);
  CHECK(r["unchanged"] == 4);
  CHECK(r["applied"] == false);

  // A new name renames; a different parent is refused.
  r = a.expect(a.import("130111101201,东营社区\n", a.county), 200);
  CHECK(r["renamed"] == 1);
  CHECK(a.children("130111101000").at("130111101201") == "东营社区");
  auto err = a.expect(a.import("130111101201,东营社区,130111000000\n", a.county), 422);
  CHECK(err["error"]["errors"][0]["code"] == "parent_differs");

  // Browsing: the caller's own unit by default, children counted.
  auto top = a.expect(a.browse("", a.county), 200);
  CHECK(top["parent"]["code"] == "130111000000");
  bool found = false;
  for (const auto& u : top["units"]) {
    if (u["code"] == "130111101000") {
      found = true;
      CHECK(u["children"] == 2);
      CHECK(u["level"] == "township");
    }
  }
  CHECK(found);
  auto roots = a.expect(a.browse("", a.admin), 200);
  CHECK(roots["parent"].is_null());
  CHECK(roots["units"].size() >= 2);  // the demo county and county Y
  a.expect(a.browse("", a.auditor), 200);
  a.expect(a.browse("", a.cadre), 403);
  a.expect(a.browse("?parent=130111000000", a.county_y), 404);
  a.expect(a.browse("?parent=nope", a.county), 400);
  a.expect(a.browse("?parent=139999999999", a.county), 404);

  // Audited.
  auto recs = a.expect(a.gw.get("/api/v1/admin/audit?action=org_units.import", a.auditor), 200);
  CHECK(recs["records"].size() >= 2);
}

TEST_CASE("org units: every bad line is reported with its number and nothing is imported") {
  Api a;
  const std::string bad =
      "130111101000,冶河镇\n"                 // 1 fine
      "13011110120,短码\n"                    // 2 code
      "130111101201,\n"                       // 3 name
      "130111101202,北屯村,130111101000,x\n"  // 4 columns
      "130111101203,\"南屯村\n"               // 5 quote
      "130111101000,又一个\n"                 // 6 duplicate of line 1
      "130111300201,无乡之村\n"               // 7 parent missing (no township 130111300000)
      "130111101204,错上级,130111200000\n"    // 8 parent does not enclose it
      "130111101205,\xff\xfe\n"               // 9 not UTF-8
      "130111101206,东村,130111101206\n";     // 10 its own parent
  auto err = a.expect(a.import(bad, a.county), 422);
  std::map<std::string, std::string> by_line;
  for (const auto& e : err["error"]["errors"]) by_line[e["path"]] = e["code"];
  CHECK(by_line["line 2"] == "code");
  CHECK(by_line["line 3"] == "name");
  CHECK(by_line["line 4"] == "columns");
  CHECK(by_line["line 5"] == "quote");
  CHECK(by_line["line 6"] == "duplicate");
  CHECK(by_line["line 9"] == "encoding");
  CHECK(by_line["line 10"] == "parent");
  CHECK(by_line.count("line 1") == 0);
  // Lines 7 and 8 are checked against the tree once the file itself is well-formed.
  err = a.expect(
      a.import("130111101000,冶河镇\n130111300201,无乡之村\n130111101204,错上级,130111200000\n",
               a.county),
      422);
  by_line.clear();
  for (const auto& e : err["error"]["errors"]) by_line[e["path"]] = e["code"];
  CHECK(by_line["line 2"] == "parent_missing");
  CHECK(by_line["line 3"] == "parent_mismatch");
  a.expect(a.browse("?parent=130111101000", a.county), 404);  // line 1 was not imported either

  // Scope: a county admin cannot add under another county, nor a new root.
  err = a.expect(a.import("130222100000,乙镇\n", a.county), 403);
  CHECK(err["error"]["errors"][0]["code"] == "out_of_scope");
  err = a.expect(a.import("130333000000,新县\n", a.county), 403);
  CHECK(err["error"]["errors"][0]["code"] == "out_of_scope");
  a.expect(a.import("130222100000,乙镇\n", a.county_y), 200);
  a.expect(a.import("130333000000,新县\n", a.admin), 200);

  // Roles.
  a.expect(a.import(kGood, a.cadre), 403);
  a.expect(a.import(kGood, a.auditor), 403);

  // Hostile input: empty, binary, over the body limit, too many lines.
  a.expect(a.import("", a.county), 422);
  a.expect(a.import("\r\n\r\n", a.county), 422);
  a.expect(a.import(std::string("130111101000,a\0b\n", 17), a.county), 400);
  auto big = a.import(std::string(2 << 20, 'x'), a.county);
  REQUIRE(big);
  CHECK(big->status == 413);
  std::string many;
  for (size_t i = 0; i <= admin::kMaxOrgCsvLines; ++i) many += "\n";
  many += "130111101000,冶河镇\n";
  admin::User sys;
  sys.username = "admin";
  sys.role = admin::Role::kSystemAdmin;
  auto r = a.gw.app().org_units().import_csv({sys, "test"}, many, true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kTooLarge);
  r = a.gw.app().org_units().import_csv(
      {sys, "test"}, "130111101000," + std::string(admin::kMaxOrgCsvLineBytes, 'a') + "\n", true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().details.at(0).code == "line_too_long");
}

TEST_CASE("org units: levels and parents follow the division code") {
  CHECK(admin::org_level_of("130000000000") == "province");
  CHECK(admin::org_level_of("130100000000") == "city");
  CHECK(admin::org_level_of("130111000000") == "county");
  CHECK(admin::org_level_of("130111200000") == "township");
  CHECK(admin::org_level_of("130111200201") == "village");
  CHECK(admin::org_structural_parent("130111200201") == "130111200000");
  CHECK(admin::org_structural_parent("130111200000") == "130111000000");
  CHECK(admin::org_structural_parent("130111000000") == "130100000000");
  CHECK(admin::org_structural_parent("130100000000") == "130000000000");
  CHECK_FALSE(admin::org_structural_parent("130000000000").has_value());
}
