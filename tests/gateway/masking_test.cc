// Sensitive values in admin views, per role (admin/masking.h): the county admin sees delivery
// payloads in full within its subtree; the system admin sees them masked (by the connector's
// mapping and by shape); nobody reads identifiers in the audit log; only the county admin
// exports a spreadsheet (it hands the answers over in full).
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "admin/masking.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

TEST_CASE("masking: identifiers inside text, values by length") {
  CHECK(admin::mask_identifiers(
            "身份证11010519491231002X，电话13812345678，卡6222020200112233445。") ==
        "身份证110***********002X，电话138****5678，卡622************3445。");
  CHECK(admin::mask_identifiers("订单 12345，2026-11-27") == "订单 12345，2026-11-27");
  CHECK(admin::mask_identifiers("110105194912310") == "110********2310");  // 15-digit legacy ID
  CHECK(admin::mask_value("11010519491231002X") == "110***********002X");
  CHECK(admin::mask_value("视力") == "***");
  CHECK(admin::mask_value(12000.5) == "***");
  CHECK(admin::mask_value(true) == "***");
  CHECK(admin::mask_value(nullptr).is_null());
  CHECK(
      admin::mask_identifiers_in(Json{{"a", {"13912345678", 1}}, {"n", 6222020200112233445ULL}}) ==
      Json{{"a", {"139****5678", 1}}, {"n", "622************3445"}});

  // By the mapping: "to" paths whose "from" is masked, templates naming one, not derived values.
  const Json raw = Json::parse(R"({"mapping": {"fields": [
      {"to": "xm", "from": "person.name"},
      {"to": "jb.lb", "from": "disability.type", "codes": {"1": "视力"}},
      {"to": "nl", "from": "person.id_number", "derive": "age"},
      {"to": "bz", "template": "卡号 {person.bank_account}"},
      {"to": "cy", "from": "household.members", "each": [{"to": "zh", "from": "bank_account"}]}]}})");
  const std::set<std::string> keys = {"person.id_number", "disability.type", "person.bank_account",
                                      "household.members.bank_account"};
  Json payload{{"xm", "张三"},
               {"jb", {{"lb", "视力"}}},
               {"nl", 76},
               {"bz", "卡号 6222"},
               {"cy", {{{"zh", "A1"}}, {{"zh", "B2"}}}}};
  Json m = admin::mask_payload(payload, raw, keys);
  CHECK(m["xm"] == "张三");
  CHECK(m["jb"]["lb"] == "***");
  CHECK(m["nl"] == 76);
  CHECK(m["bz"] == "***");
  CHECK(m["cy"][0]["zh"] == "***");
  CHECK(m["cy"][1]["zh"] == "***");
}

TEST_CASE("masking: delivery payloads by role, audit log, spreadsheet export") {
  TestGateway gw;
  const std::string cadre = gw.login("cadre1");
  Json values = admin::demo_sample_values(1);
  const std::string id_number = values["person.id_number"];
  auto r = gw.post(
      "/api/v1/submissions",
      Json{{"form", "resident_household"}, {"client_id", "mask-1"}, {"values", values}}.dump(),
      cadre);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string county = gw.login("county1");
  const std::string sys = gw.login("admin", test::kAdminPassword);
  auto list = Json::parse(gw.get("/api/v1/admin/deliveries?limit=100", county)->body);
  int checked = 0;
  for (const auto& d : list["deliveries"]) {
    const std::string path = "/api/v1/admin/deliveries/" + d["id"].get<std::string>();
    auto full = gw.get(path, county);
    auto masked = gw.get(path, sys);
    REQUIRE(full);
    REQUIRE(masked);
    REQUIRE(full->status == 200);
    REQUIRE(masked->status == 200);
    const Json f = Json::parse(full->body), m = Json::parse(masked->body);
    if (!f.contains("payload") || f["payload"].is_null()) continue;
    CHECK_FALSE(f.contains("masked"));
    CHECK(m["masked"] == true);
    // The ID number (and anything derived in shape from it) never reaches the system admin.
    CHECK(m["payload"].dump().find(id_number) == std::string::npos);
    if (f["payload"].dump().find(id_number) != std::string::npos) {
      CHECK(m["payload"].dump().find(id_number.substr(0, 3) + "*") != std::string::npos);
      ++checked;
    }
    CHECK(m["payload"].size() == f["payload"].size());  // same keys, values masked
  }
  CHECK(checked >= 1);

  // Audit log: identifiers in targets and details are masked for every reader.
  REQUIRE(gw.app()
              .audit()
              .record({"county1", "county_admin", "subject.lookup", id_number, "127.0.0.1", "ok",
                       Json{{"query", "id " + id_number}}})
              .ok());
  auto recs = Json::parse(
      gw.get("/api/v1/admin/audit?action=subject.lookup", gw.login("auditor1"))->body)["records"];
  REQUIRE(recs.size() >= 1);
  const std::string shown = recs.back().dump();
  CHECK(shown.find(id_number) == std::string::npos);
  CHECK(shown.find(id_number.substr(0, 3) + "***********" + id_number.substr(14)) !=
        std::string::npos);
  CHECK(admin::AuditLog::verify(gw.app().database())->ok);  // stored records untouched

  // Spreadsheet export: a delivery in full, so the county admin's.
  auto ex =
      gw.client().Post("/api/v1/admin/connectors/population_register/export?format=csv",
                       httplib::Headers{{"Authorization", "Bearer " + sys}}, "", "text/plain");
  REQUIRE(ex);
  CHECK(ex->status == 403);
  ex = gw.client().Post("/api/v1/admin/connectors/population_register/export?format=csv",
                        httplib::Headers{{"Authorization", "Bearer " + county}}, "", "text/plain");
  REQUIRE(ex);
  CHECK(ex->status == 200);
  CHECK(ex->body.find(id_number) != std::string::npos);
}
