// Subjects over real HTTP: prefill lookup under any spelling of the ID number, provenance and
// freshness, scope and masking by role, name search, while-typing match, the duplicate review
// queue (merge, keep, undo, never re-asked), and malformed, hostile and out-of-scope input.
#include <doctest/doctest.h>

#include <tuple>
#include <vector>

#include "admin/demo.h"
#include "forms/id_number.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

Json body_of(const httplib::Result& r) { return Json::parse(r->body); }

std::string make_id(const std::string& birth8, int seq3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "130111%s%03d", birth8.c_str(), seq3);
  std::string id(buf, 17);
  return id + forms::id_check_char(id);
}

std::string full_width(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out += static_cast<char>(0x90 + (c - '0'));
    } else {
      out += c;
    }
  }
  return out;
}

std::string enc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    char buf[4];
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

httplib::Result submit(TestGateway& gw, const std::string& tok, const std::string& client_id,
                       const Json& values, const std::string& org = "") {
  Json b{{"form", "resident_household"}, {"client_id", client_id}, {"values", values}};
  if (!org.empty()) b["org_unit"] = org;
  return gw.post("/api/v1/submissions", b.dump(), tok);
}

httplib::Result lookup(TestGateway& gw, const std::string& tok, const std::string& id) {
  return gw.get("/api/v1/subjects/lookup?id_number=" + enc(id), tok);
}

}  // namespace

TEST_CASE("lookup: every spelling of the ID number finds the one subject, with provenance") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(1);
  const std::string id = v["person.id_number"];
  auto r = submit(gw, tok, "s-1", v);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  auto receipt = body_of(r);
  REQUIRE(receipt["subjects"].is_array());
  CHECK(receipt["subjects"].size() == 4);  // head, household, head as member, spouse
  CHECK(receipt["subjects"][0]["role"] == "main");
  CHECK(receipt["subjects"][0]["linked"] == "new");
  CHECK(receipt["subjects"][2]["linked"] == "id");  // the head again, among the members
  CHECK(receipt["subjects"][2]["id"] == receipt["subjects"][0]["id"]);

  auto a = lookup(gw, tok, id);
  REQUIRE(a);
  REQUIRE_MESSAGE(a->status == 200, a->body);
  auto s = body_of(a);
  CHECK(s["id"] == receipt["subjects"][0]["id"]);
  CHECK(s["kind"] == "person");
  CHECK(s["id_number"] == id);
  CHECK(s["fields"]["person.name"]["value"] == v["person.name"]);
  CHECK(s["fields"]["person.phone"]["fresh"] == true);
  CHECK(s["fields"]["person.phone"]["source"]["submission"] == receipt["id"]);
  CHECK(s["fields"]["person.phone"]["source"]["author"] == "cadre1");
  CHECK(s["fields"]["person.phone"]["source"]["form"] == "resident_household");
  CHECK(s["household"]["fields"]["household.size"]["value"] == 2);
  // Full-width digits, spaces and hyphens.
  auto b =
      lookup(gw, tok, full_width(id.substr(0, 6)) + " " + id.substr(6, 8) + "-" + id.substr(14));
  REQUIRE(b);
  CHECK(b->status == 200);
  CHECK(body_of(b)["id"] == s["id"]);

  // Unknown number: 404 (also when its check character is wrong); not an ID number at all:
  // 400; missing parameter: 400; no token: 401.
  CHECK(lookup(gw, tok, make_id("19500101", 1))->status == 404);
  std::string wrong_check = id;
  wrong_check[17] = wrong_check[17] == '1' ? '2' : '1';
  CHECK(lookup(gw, tok, wrong_check)->status == 404);
  CHECK(lookup(gw, tok, "12345")->status == 400);
  CHECK(gw.get("/api/v1/subjects/lookup", tok)->status == 400);
  CHECK(lookup(gw, "", id)->status == 401);
  CHECK(lookup(gw, tok, "' OR 1=1 --")->status == 400);
  CHECK(lookup(gw, tok, std::string(5000, '1'))->status == 400);
}

TEST_CASE("a later submission about the same person updates fields and their provenance") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(2);
  const std::string id = v["person.id_number"];
  REQUIRE(submit(gw, tok, "u-1", v)->status == 201);
  auto before = body_of(lookup(gw, tok, id));
  // A year and a day later: the phone (fresh for a year in the demo dictionary) is stale.
  gw.clock().advance_ms(366LL * 86'400'000);
  tok = gw.login("cadre1");  // the old session expired meanwhile
  auto stale = body_of(lookup(gw, tok, id));
  CHECK(stale["fields"]["person.phone"]["fresh"] == false);
  CHECK(stale["fields"]["person.name"]["fresh"] == true);  // a name stays fresh

  v["person.phone"] = "13900001111";
  auto r = submit(gw, gw.login("township1"), "u-2", v, "130111200201");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  auto after = body_of(lookup(gw, tok, id));
  CHECK(after["id"] == before["id"]);
  CHECK(after["fields"]["person.phone"]["value"] == "13900001111");
  CHECK(after["fields"]["person.phone"]["fresh"] == true);
  CHECK(after["fields"]["person.phone"]["source"]["author"] == "township1");
  CHECK(after["fields"]["person.phone"]["source"]["submission"] == body_of(r)["id"]);
}

TEST_CASE(
    "scope and masking: other villages get 404, lists mask ID numbers, auditors see no "
    "sensitive values") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(4);
  const std::string id = v["person.id_number"];
  const std::string name = v["person.name"];
  REQUIRE(submit(gw, tok, "m-1", v)->status == 201);

  auto other = gw.login("cadre2");  // 东关村, another township
  CHECK(lookup(gw, other, id)->status == 404);
  auto none = body_of(gw.get("/api/v1/subjects?name=" + enc(name), other));
  CHECK(none["subjects"].empty());

  auto mine = body_of(gw.get("/api/v1/subjects?name=" + enc(name), tok));
  REQUIRE(mine["subjects"].size() >= 1);
  const std::string shown = mine["subjects"][0]["id_number"];
  CHECK(shown == id.substr(0, 4) + "**********" + id.substr(14));
  // The name's first character is enough (prefix search).
  auto prefix = body_of(gw.get("/api/v1/subjects?name=" + enc(name.substr(0, 3)), tok));
  CHECK(prefix["subjects"].size() >= 1);

  auto county = gw.login("county1");
  auto full = body_of(gw.get("/api/v1/subjects?name=" + enc(name), county));
  CHECK(full["subjects"][0]["id_number"] == id);

  auto auditor = gw.login("auditor1");
  auto seen = body_of(lookup(gw, auditor, id));
  REQUIRE(seen.contains("household"));
  CHECK(seen["household"]["fields"]["household.annual_income"]["masked"] == true);
  CHECK(seen["household"]["fields"]["household.annual_income"]["value"].is_null());
  auto cadre_view = body_of(lookup(gw, tok, id));
  CHECK(cadre_view["household"]["fields"]["household.annual_income"]["value"].is_number());

  // Hostile and malformed name searches.
  CHECK(gw.get("/api/v1/subjects", tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects?name=%20%20", tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects?name=" + enc(std::string(300, 'a')), tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects?name=%FF%FE", tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects?name=x&limit=abc", tok)->status == 400);
  auto sql = gw.get("/api/v1/subjects?name=" + enc("' OR '1'='1"), tok);
  CHECK(sql->status == 200);
  CHECK(body_of(sql)["subjects"].empty());
}

TEST_CASE("match while typing: a warning names the likely duplicate; bad input is refused") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(5);
  const std::string id = v["person.id_number"];
  REQUIRE(submit(gw, tok, "w-1", v)->status == 201);
  // The name in traditional characters with a spelled-out date, no ID yet.
  Json probe{{"name", std::string(v["person.name"])},
             {"birth_date", std::string(v["person.birth_date"])},
             {"sex", "1"}};
  auto r = gw.post("/api/v1/subjects/match", probe.dump(), tok);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  auto c = body_of(r)["candidates"];
  REQUIRE(c.size() >= 1);
  const std::string warn = c[0]["warning"]["zh-CN"];
  CHECK(warn ==
        "可能与 " + std::string(v["person.name"]) + " (身份证 …" + id.substr(14) + ") 重复");
  CHECK(c[0]["id_number"] == id.substr(0, 4) + "**********" + id.substr(14));

  // An ID number with two digits swapped still finds the person.
  std::string swapped = id;
  std::swap(swapped[10], swapped[11]);
  if (swapped != id) {
    auto t = body_of(gw.post("/api/v1/subjects/match", Json{{"id_number", swapped}}.dump(), tok));
    REQUIRE(t["candidates"].size() >= 1);
    CHECK(t["candidates"][0]["id"] == c[0]["id"]);
  }
  // Nothing typed yet: no candidates.
  CHECK(body_of(gw.post("/api/v1/subjects/match", "{}", tok))["candidates"].empty());

  // Another village's cadre sees nothing of it; naming a village outside scope is 403.
  auto other = gw.login("cadre2");
  CHECK(body_of(gw.post("/api/v1/subjects/match", probe.dump(), other))["candidates"].empty());
  auto far = probe;
  far["org_unit"] = "130111200201";
  CHECK(gw.post("/api/v1/subjects/match", far.dump(), other)->status == 403);

  CHECK(gw.post("/api/v1/subjects/match", R"({"name": 5})", tok)->status == 422);
  CHECK(gw.post("/api/v1/subjects/match", R"({"nmae": "x"})", tok)->status == 422);
  CHECK(gw.post("/api/v1/subjects/match", "[1,2]", tok)->status == 400);
  CHECK(gw.post("/api/v1/subjects/match", "{not json", tok)->status == 400);
  CHECK(gw.post("/api/v1/subjects/match", probe.dump(), "")->status == 401);
}

TEST_CASE("review queue: a likely duplicate is queued once; merge, undo and keep are remembered") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  // A child recorded as a member without an ID number...
  Json v = admin::demo_sample_values(7);
  v["household.size"] = 3;
  v["household.members"].push_back(
      Json{{"name", "孙小明"}, {"sex", "1"}, {"relation", "20"}, {"birth_date", "2015-03-03"}});
  auto r1 = submit(gw, tok, "q-1", v);
  REQUIRE(r1);
  REQUIRE_MESSAGE(r1->status == 201, r1->body);
  // ...and later as the head of a household, with an ID number and another phone.
  Json h = admin::demo_sample_values(8);
  const std::string id = make_id("20150303", 11);
  h["person.name"] = "孫小明";  // traditional characters
  h["person.id_number"] = id;
  h["person.birth_date"] = "2015-03-03";
  h["person.sex"] = "1";
  h["household.size"] = 1;
  h["household.members"] =
      Json::array({Json{{"name", "孙小明"}, {"id_number", id}, {"sex", "1"}, {"relation", "02"}}});
  auto r2 = submit(gw, tok, "q-2", h);
  REQUIRE(r2);
  REQUIRE_MESSAGE(r2->status == 201, r2->body);
  CHECK(body_of(r2)["subjects"][0]["linked"] == "review");

  auto county = gw.login("county1");
  CHECK(gw.get("/api/v1/admin/duplicates", tok)->status == 403);  // cadres do not review
  auto q = body_of(gw.get("/api/v1/admin/duplicates", county));
  REQUIRE(q["duplicates"].size() == 1);
  auto pair = q["duplicates"][0];
  CHECK(pair["a"]["name"] == "孙小明");
  CHECK(pair["b"]["name"] == "孙小明");
  CHECK(pair["b"]["id_number"] == id);  // county admins see full numbers
  CHECK(pair["reasons"].size() >= 3);
  const std::string pid = std::to_string(pair["id"].get<int64_t>());

  // A third submission about the same two does not ask again.
  REQUIRE(submit(gw, tok, "q-3", h)->status == 201);
  CHECK(body_of(gw.get("/api/v1/admin/duplicates", county))["duplicates"].size() == 1);

  auto m = gw.post("/api/v1/admin/duplicates/" + pid + "/merge", "", county);
  REQUIRE(m);
  REQUIRE_MESSAGE(m->status == 200, m->body);
  CHECK(body_of(m)["status"] == "merged");
  auto merged = body_of(lookup(gw, tok, id));
  CHECK(merged["merged"].size() == 1);
  // The member's fields (relation from the first household) now show on the person.
  CHECK(merged["fields"].contains("household.relation"));
  CHECK(gw.post("/api/v1/admin/duplicates/" + pid + "/merge", "", county)->status == 409);
  CHECK(body_of(gw.get("/api/v1/admin/duplicates", county))["duplicates"].empty());

  auto u = gw.post("/api/v1/admin/duplicates/" + pid + "/undo", "", county);
  REQUIRE(u);
  CHECK(u->status == 200);
  CHECK(body_of(u)["status"] == "kept");
  CHECK(body_of(lookup(gw, tok, id))["merged"].empty());
  CHECK(gw.post("/api/v1/admin/duplicates/" + pid + "/undo", "", county)->status == 409);
  CHECK(gw.post("/api/v1/admin/duplicates/" + pid + "/keep", "", county)->status == 409);
  CHECK(body_of(gw.get("/api/v1/admin/duplicates?status=kept", county))["duplicates"].size() == 1);

  CHECK(gw.post("/api/v1/admin/duplicates/999999/merge", "", county)->status == 404);
  CHECK(gw.post("/api/v1/admin/duplicates/abc/merge", "", county)->status == 404);
  CHECK(gw.post("/api/v1/admin/duplicates/" + pid + "/explode", "", county)->status == 404);
  CHECK(gw.get("/api/v1/admin/duplicates?status=everything", county)->status == 400);
  CHECK(gw.get("/api/v1/admin/duplicates?limit=-1", county)->status == 400);
  CHECK(gw.post("/api/v1/admin/duplicates/" + pid + "/merge", "", "")->status == 401);
}

TEST_CASE("a member listed twice is observed once, with what the answer said last") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(1);
  Json again = v["household.members"][1];
  const std::string spouse_id = again["id_number"];
  again["birth_date"] = "1960-02-03";  // a correction further down the same list
  v["household.members"].push_back(again);
  v["household.size"] = 3;
  auto r = submit(gw, tok, "twice-1", v);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  const Json receipt = body_of(r);
  REQUIRE(receipt["subjects"].size() == 5);  // head, household, head as member, spouse twice
  CHECK(receipt["subjects"][4]["id"] == receipt["subjects"][3]["id"]);
  const int64_t spouse = receipt["subjects"][3]["id"];
  const int64_t head = receipt["subjects"][0]["id"];
  auto rows = gw.app().database().with_conn([&](db::Conn& c) {
    auto q = c.prepare(
        "SELECT subject_id, role, fields FROM subject_observations WHERE submission_id = ? "
        "ORDER BY subject_id, role");
    REQUIRE(q.ok());
    q->bind(1, receipt["id"].get<int64_t>());
    std::vector<std::tuple<int64_t, std::string, std::string>> out;
    for (;;) {
      auto s = q->step();
      REQUIRE(s.ok());
      if (!*s) break;
      out.emplace_back(q->get_int(0), q->get_text(1), q->get_text(2));
    }
    return out;
  });
  // One row per subject and role: the head as main and as member, the household, the spouse.
  REQUIRE(rows.size() == 4);
  int spouse_rows = 0, head_rows = 0;
  for (const auto& [subject, role, fields] : rows) {
    if (subject == spouse) {
      ++spouse_rows;
      CHECK(role == "member");
      CHECK(Json::parse(fields)["person.birth_date"] == "1960-02-03");
    }
    if (subject == head) ++head_rows;
  }
  CHECK(spouse_rows == 1);
  CHECK(head_rows == 2);
  auto s = body_of(lookup(gw, tok, spouse_id));
  CHECK(s["fields"]["person.birth_date"]["value"] == "1960-02-03");
}
