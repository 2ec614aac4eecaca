// Burden accounting: answers typed vs entries the upstream systems receive, counted from the
// real demo form and connectors, stored with the submission and shown on its receipt.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "intake/burden.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;

TEST_CASE("answers count once each; members' fields one by one; calculated fields not at all") {
  test::TestGateway gw;
  auto form = gw.app().catalog().published_form("resident_household");
  REQUIRE(form);
  Json v = {{"person.name", "张三"},
            {"person.phone", ""},
            {"person.age", 80},            // calculated: not typed
            {"person.age_80_plus", true},  // calculated: not typed
            {"risk.type", Json::array({"1", "2"})},
            {"disability.type", Json::array()},
            {"person.id_number", nullptr},
            {"household.members", Json::array({{{"name", "李四"}, {"sex", "1"}},
                                               {{"name", "王五"}, {"relation", ""}}})}};
  CHECK(intake::count_answers(**form, v) == 5);  // name, risk.type, 李四 x2, 王五
  CHECK(intake::count_answers(**form, Json::object()) == 0);
}

TEST_CASE("entries delivered are the pending payloads' non-empty leaves; skipped ones count 0") {
  CHECK(connectors::count_entries(Json{{"a", 1}, {"b", {{"c", "x"}, {"d", ""}}}, {"e", nullptr}}) ==
        2);
  CHECK(connectors::count_entries(Json{{"list", Json::array({1, 2, 3})}}) == 3);
  std::vector<connectors::PlannedDelivery> planned(3);
  planned[0].status = "pending";
  planned[0].entries = 7;
  planned[1].status = "skipped";
  planned[1].entries = 0;
  planned[2].status = "pending";
  planned[2].entries = 5;
  test::TestGateway gw;
  auto form = gw.app().catalog().published_form("resident_household");
  REQUIRE(form);
  Json three = {{"person.name", "张三"}, {"person.phone", "13800000000"}, {"household.size", 2}};
  auto b = intake::count_burden(**form, three, planned, 1);
  CHECK(b.typed == 2);
  CHECK(b.prefilled == 1);
  CHECK(b.delivered == 12);
  CHECK(b.systems == 2);
  CHECK(b.to_json()["message"] == "本次填写 2 项，预填 1 项，代替了 2 个系统中的 12 项");
  CHECK(intake::count_burden(**form, three, planned).to_json()["message"] ==
        "本次填写 3 项，代替了 2 个系统中的 12 项");
  // more "prefilled" than answers cannot make typed negative
  CHECK(intake::count_burden(**form, three, {}, 5).typed == 0);
}

TEST_CASE("the receipt and the stored submission say what the answer saved") {
  test::TestGateway gw;
  auto tok = gw.login("cadre1");
  Json values = admin::demo_sample_values(3);
  values["welfare.low_income_status"] = "1";
  values["risk.type"] = Json::array({"1"});
  const std::string body =
      Json{{"form", "resident_household"}, {"client_id", "b-1"}, {"values", values}}.dump();
  auto r = gw.post("/api/v1/submissions", body, tok);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  Json receipt = Json::parse(r->body);
  const Json& b = receipt["burden"];
  REQUIRE(b.is_object());
  auto form = gw.app().catalog().published_form("resident_household");
  REQUIRE(form);
  CHECK(b["typed"].get<int>() == intake::count_answers(**form, values));
  int pending = 0;
  for (const auto& d : receipt["deliveries"]) pending += d["status"] == "pending";
  CHECK(b["systems"].get<int>() == pending);
  CHECK(pending >= 4);
  CHECK(b["delivered"].get<int>() > b["typed"].get<int>());  // the point of the gateway
  CHECK(b["message"].get<std::string>().find("本次填写") == 0);

  auto replay = gw.post("/api/v1/submissions", body, tok);
  REQUIRE(replay);
  CHECK(Json::parse(replay->body)["burden"] == b);
  auto got = gw.get("/api/v1/submissions/" + std::to_string(receipt["id"].get<int64_t>()), tok);
  REQUIRE(got);
  CHECK(Json::parse(got->body)["burden"] == b);
}
