// Prefill and corrections over real HTTP (docs/dedupe.md): a known person's form comes back
// filled with provenance and freshness, household members included; scope, masking and
// hostile input; every prefill audited; answers accepted unchanged counted as prefilled by the
// server; corrections superseding an earlier submission (same form, scope, once), and a
// correction reaching a real upstream on loopback as an update of its one record — also when
// it fixes the ID number itself.
#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "admin/demo.h"
#include "forms/id_number.h"
#include "tests/support/test_gateway.h"
#include "tests/support/test_server.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

Json body_of(const httplib::Result& r) { return Json::parse(r->body); }

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

httplib::Result submit(TestGateway& gw, const std::string& tok, const std::string& client_id,
                       const Json& values, Json extra = Json::object()) {
  Json b{{"form", "resident_household"}, {"client_id", client_id}, {"values", values}};
  for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
  return gw.post("/api/v1/submissions", b.dump(), tok);
}

const char* kPrefill = "/api/v1/forms/resident_household/prefill";

int64_t main_subject(const Json& receipt) { return receipt["subjects"][0]["id"].get<int64_t>(); }

}  // namespace

TEST_CASE("prefill: a known person's form comes back filled, with provenance and members") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(1);
  auto r = submit(gw, tok, "p-1", v);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  const int64_t subject = main_subject(body_of(r));

  auto p = gw.get(std::string(kPrefill) + "?subject=" + std::to_string(subject), tok);
  REQUIRE(p);
  REQUIRE_MESSAGE(p->status == 200, p->body);
  auto j = body_of(p);
  CHECK(j["subject"]["id"] == subject);
  CHECK(j["values"]["person.name"] == v["person.name"]);
  CHECK(j["values"]["person.id_number"] == v["person.id_number"]);  // the form needs it whole
  CHECK(j["values"]["household.size"] == 2);
  CHECK(j["values"]["household.annual_income"] == v["household.annual_income"]);
  CHECK_FALSE(j["values"].contains("person.age"));         // calculated: the form computes it
  CHECK_FALSE(j["values"].contains("event.survey_date"));  // about the visit, not the person
  // Both members, the head (listed as a member) and the spouse, in the repeat group.
  REQUIRE(j["values"]["household.members"].size() == 2);
  CHECK(j["values"]["household.members"][0]["name"] == v["household.members"][0]["name"]);
  CHECK(j["values"]["household.members"][1]["relation"] == "10");
  CHECK(j["values"]["household.members"][1]["id_number"] == v["household.members"][1]["id_number"]);
  const Json& f = j["fields"]["person.phone"];
  CHECK(f["fresh"] == true);
  CHECK(f["source"]["author"] == "cadre1");
  CHECK(f["source"]["submission"] == body_of(r)["id"]);
  CHECK(f["source"]["form_title"] == "居民及家庭信息采集表（一表通）");
  CHECK(j["fields"].contains("household.members[1].name"));

  // By ID number, in another spelling: the same person.
  const std::string id = v["person.id_number"];
  auto by_id = gw.get(
      std::string(kPrefill) + "?id_number=" + enc(full_width(id.substr(0, 6)) + " " + id.substr(6)),
      tok);
  REQUIRE(by_id);
  REQUIRE_MESSAGE(by_id->status == 200, by_id->body);
  CHECK(body_of(by_id)["subject"]["id"] == subject);

  // A year and a day later: the phone (fresh for 365 days) is stale, the name is not.
  gw.clock().advance_ms(366LL * 86'400'000);
  tok = gw.login("cadre1");
  auto later = body_of(gw.get(std::string(kPrefill) + "?subject=" + std::to_string(subject), tok));
  CHECK(later["fields"]["person.phone"]["fresh"] == false);
  CHECK(later["fields"]["person.name"]["fresh"] == true);
  CHECK(later["values"]["person.phone"] == v["person.phone"]);  // filled, to be confirmed
}

TEST_CASE("prefill: other villages, unknown and malformed references are refused; all audited") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto r = submit(gw, tok, "h-1", admin::demo_sample_values(4));
  REQUIRE(r->status == 201);
  const Json receipt = body_of(r);
  const int64_t subject = main_subject(receipt);
  const std::string sid = std::to_string(subject);
  int64_t household = 0;
  for (const auto& s : receipt["subjects"]) {
    if (s["kind"] == "household") household = s["id"];
  }
  REQUIRE(household != 0);

  auto status = [&](const std::string& query, const std::string& t) {
    auto x = gw.get(std::string(kPrefill) + query, t);
    REQUIRE(x);
    return x->status;
  };
  CHECK(status("?subject=" + sid, gw.login("cadre2")) == 404);     // another township's cadre
  CHECK(status("?subject=" + sid, gw.login("township1")) == 200);  // the village's township
  CHECK(status("?subject=999999", tok) == 404);
  CHECK(status("?subject=" + std::to_string(household), tok) == 404);  // a household, not a person
  CHECK(status("?subject=abc", tok) == 400);
  CHECK(status("?subject=-1", tok) == 400);
  CHECK(status("?subject=%27%20OR%20%271", tok) == 400);
  CHECK(status("?subject=" + std::string(40, '9'), tok) == 400);
  CHECK(status("?id_number=12345", tok) == 400);
  CHECK(status("?id_number=" + enc("' OR 1=1 --"), tok) == 400);
  CHECK(status("", tok) == 400);                        // neither
  CHECK(status("?subject=1&id_number=1", tok) == 400);  // both
  CHECK(status("?subject=" + sid, "") == 401);          // no session
  CHECK(gw.get("/api/v1/forms/no_such_form/prefill?subject=" + sid, tok)->status == 404);

  // The village list: masked, scoped, paged; hostile paging refused.
  auto list = body_of(gw.get("/api/v1/subjects/village?per_page=1", tok));
  REQUIRE(list["people"].size() == 1);
  CHECK(list["has_next"] == true);
  CHECK(list["people"][0]["id_number"].get<std::string>().find("**********") != std::string::npos);
  auto page2 = body_of(gw.get("/api/v1/subjects/village?per_page=1&page=2", tok));
  REQUIRE(page2["people"].size() == 1);
  CHECK(page2["people"][0]["id"] != list["people"][0]["id"]);
  CHECK(body_of(gw.get("/api/v1/subjects/village", gw.login("cadre2")))["people"].empty());
  CHECK(gw.get("/api/v1/subjects/village?page=-1", tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects/village?per_page=x", tok)->status == 400);
  CHECK(gw.get("/api/v1/subjects/village?q=%FF%FE", tok)->status == 400);

  // Auditors read prefill masked: no sensitive values, the ID number masked.
  auto seen = body_of(gw.get(std::string(kPrefill) + "?subject=" + sid, gw.login("auditor1")));
  CHECK(seen["masked"] == true);
  CHECK(seen["values"]["household.annual_income"].is_null());
  CHECK(seen["values"]["person.id_number"].get<std::string>().find("****") != std::string::npos);

  // Every prefill lookup is in the audit log, the refused ones too.
  auto log =
      body_of(gw.get("/api/v1/admin/audit?action=subject.prefill&limit=100", gw.login("auditor1")));
  int ok = 0, refused = 0;
  for (const auto& rec : log["records"]) {
    if (rec["result"] == "ok") {
      ++ok;
      CHECK(rec["target"] == "subject:" + sid);
    } else {
      ++refused;
    }
  }
  CHECK(ok == 2);  // township1 and auditor1
  CHECK(refused >= 6);
}

TEST_CASE("burden: answers accepted unchanged from the registry count as prefilled") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(2);
  auto first = body_of(submit(gw, tok, "b-1", v));
  const int64_t subject = main_subject(first);
  const int answers = first["burden"]["typed"];  // nothing was known the first time
  CHECK(first["burden"]["prefilled"] == 0);

  // The same answer again, opened from the registry: all but the visit date were known.
  auto same = submit(gw, tok, "b-2", v, {{"prefill_subject", subject}});
  REQUIRE_MESSAGE(same->status == 201, same->body);
  auto b2 = body_of(same)["burden"];
  CHECK(b2["typed"].get<int>() + b2["prefilled"].get<int>() == answers);
  CHECK(b2["typed"] == 1);  // event.survey_date: about this visit, never prefilled
  CHECK(b2["message"].get<std::string>().find("预填 " + std::to_string(answers - 1) + " 项") !=
        std::string::npos);

  // One change: one more typed.
  v["person.phone"] = "13900002222";
  auto changed = body_of(submit(gw, tok, "b-3", v, {{"prefill_subject", subject}}));
  CHECK(changed["burden"]["typed"] == 2);
  CHECK(changed["burden"]["prefilled"] == answers - 2);

  // Without prefill_subject nothing is compared (the plain ingest path).
  auto plain = body_of(submit(gw, tok, "b-4", v));
  CHECK(plain["burden"]["prefilled"] == 0);

  // Stale values (past fresh_days) are not "known": they count as typed.
  gw.clock().advance_ms(366LL * 86'400'000);
  tok = gw.login("cadre1");
  auto stale = body_of(submit(gw, tok, "b-5", v, {{"prefill_subject", subject}}));
  CHECK(stale["burden"]["prefilled"].get<int>() < answers - 2);
  CHECK(stale["burden"]["typed"].get<int>() + stale["burden"]["prefilled"].get<int>() == answers);

  // A subject outside the caller's area, unknown or malformed: refused, nothing stored.
  auto other = gw.login("cadre2");
  auto r = submit(gw, other, "x-1", admin::demo_sample_values(7),
                  {{"org_unit", "130111100201"}, {"prefill_subject", subject}});
  CHECK(r->status == 422);
  CHECK(body_of(r)["error"]["errors"][0]["path"] == "prefill_subject");
  CHECK(submit(gw, tok, "x-2", v, {{"prefill_subject", 999999}})->status == 422);
  CHECK(submit(gw, tok, "x-3", v, {{"prefill_subject", "1"}})->status == 422);
  CHECK(submit(gw, tok, "x-4", v, {{"prefill_subject", -3}})->status == 422);
}

TEST_CASE("corrections: supersede once, same form, within scope; receipts name both sides") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(3);
  auto first = body_of(submit(gw, tok, "c-1", v));
  const int64_t n = first["id"];
  v["person.phone"] = "13900003333";
  auto fix = submit(gw, tok, "c-2", v, {{"supersedes", n}});
  REQUIRE(fix);
  REQUIRE_MESSAGE(fix->status == 201, fix->body);
  const Json fixed = body_of(fix);
  CHECK(fixed["supersedes"] == n);
  // The earlier one names its correction; the registry holds the corrected value.
  auto old = body_of(gw.get("/api/v1/submissions/" + std::to_string(n), tok));
  CHECK(old["superseded_by"] == fixed["id"]);
  auto now = body_of(gw.get(
      "/api/v1/subjects/lookup?id_number=" + enc(v["person.id_number"].get<std::string>()), tok));
  CHECK(now["fields"]["person.phone"]["value"] == "13900003333");

  // A second correction of the same submission: 409 naming the newer one.
  auto again = submit(gw, tok, "c-3", v, {{"supersedes", n}});
  CHECK(again->status == 409);
  CHECK(body_of(again)["error"]["code"] == "already_superseded");
  CHECK(body_of(again)["error"]["message"].get<std::string>().find(
            std::to_string(fixed["id"].get<int64_t>())) != std::string::npos);
  // The same request replayed (same client id): the first receipt, not a conflict.
  auto replay = submit(gw, tok, "c-2", v, {{"supersedes", n}});
  CHECK(replay->status == 200);
  // Unknown, another area's, malformed.
  CHECK(submit(gw, tok, "c-4", v, {{"supersedes", 999999}})->status == 404);
  CHECK(submit(gw, gw.login("cadre2"), "c-5", admin::demo_sample_values(8),
               {{"org_unit", "130111100201"}, {"supersedes", fixed["id"]}})
            ->status == 404);
  CHECK(submit(gw, tok, "c-6", v, {{"supersedes", "17"}})->status == 422);
  CHECK(submit(gw, tok, "c-7", v, {{"supersedes", 0}})->status == 422);
  CHECK(submit(gw, tok, "c-8", v, {{"supersedes", 1.5}})->status == 422);
}

namespace {

// A small upstream system on loopback holding records: POST creates one (answering its id),
// PUT /medical_insurance/{id} replaces it.
struct Upstream {
  std::mutex mu;
  std::map<std::string, Json> records;
  std::vector<std::string> calls;  // "POST /medical_insurance", "PUT /medical_insurance/R1"
  int next = 1;
  void setup(httplib::Server& s) {
    s.Post("/medical_insurance", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lk(mu);
      const std::string id = "R" + std::to_string(next++);
      records[id] = Json::parse(req.body, nullptr, false);
      calls.push_back("POST " + req.path);
      res.set_content(Json{{"code", 0}, {"data", {{"id", id}}}}.dump(), "application/json");
    });
    s.Put(R"(/medical_insurance/([A-Za-z0-9]+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lk(mu);
            calls.push_back("PUT " + req.path);
            auto it = records.find(req.matches[1]);
            if (it == records.end()) {
              res.status = 404;
              return;
            }
            it->second = Json::parse(req.body, nullptr, false);
            res.set_content(R"({"code":0})", "application/json");
          });
    // Other demo upstreams: accepted, not kept.
    s.Post(R"(/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"code":0})", "application/json");
    });
  }
};

}  // namespace

TEST_CASE("a correction of the ID number reaches the upstream as an update of its one record") {
  Upstream up;
  test::TestServer server([&](httplib::Server& s) { up.setup(s); });
  TestGateway gw;  // the real HTTP client; the engine runs when the test says
  auto admin = gw.login("admin", test::kAdminPassword);
  auto cfg = body_of(gw.get("/api/v1/admin/connectors/medical_insurance", admin))["connector"];
  cfg["url"] = server.url("http", "/medical_insurance");
  {
    auto c = gw.client();
    auto put = c.Put("/api/v1/admin/connectors/medical_insurance",
                     {{"Authorization", "Bearer " + admin}}, cfg.dump(), "application/json");
    REQUIRE(put);
    REQUIRE_MESSAGE(put->status == 200, put->body);
  }
  gw.clock().advance_s(5);  // the connector snapshot refreshes

  auto tok = gw.login("cadre1");
  Json v = admin::demo_sample_values(6);
  // A typo in the ID number that still passes the check: another valid number.
  const std::string right = v["person.id_number"];
  std::string typo = right.substr(0, 14) + (right[14] == '0' ? "1" : "0") + right.substr(15, 2);
  typo += forms::id_check_char(typo);
  REQUIRE(typo != right);
  v["person.id_number"] = typo;
  v["household.members"][0]["id_number"] = typo;
  if (v.contains("disability.cert_number")) v["disability.cert_number"] = typo + "42";
  auto first_r = submit(gw, tok, "up-1", v);
  REQUIRE_MESSAGE(first_r->status == 201, first_r->body);
  auto first = body_of(first_r);
  for (int i = 0; i < 5 && gw.app().engine().run_once() > 0; ++i) {
  }
  {
    std::lock_guard lk(up.mu);
    INFO(gw.get("/api/v1/submissions/" + std::to_string(first["id"].get<int64_t>()), tok)->body);
    REQUIRE(up.records.size() == 1);
    CHECK(up.records.begin()->second["insured"]["idNo"] == typo);
  }
  auto d =
      body_of(gw.get("/api/v1/submissions/" + std::to_string(first["id"].get<int64_t>()), tok));
  bool captured = false;
  for (const auto& x : d["deliveries"]) {
    if (x["connector"] == "medical_insurance") captured = x["upstream_id"] == "R1";
  }
  CHECK(captured);

  // The correction fixes the ID number itself.
  v["person.id_number"] = right;
  v["household.members"][0]["id_number"] = right;
  if (v.contains("disability.cert_number")) v["disability.cert_number"] = right + "42";
  auto fix = submit(gw, tok, "up-2", v, {{"supersedes", first["id"]}});
  REQUIRE_MESSAGE(fix->status == 201, fix->body);
  for (int i = 0; i < 5 && gw.app().engine().run_once() > 0; ++i) {
  }
  std::lock_guard lk(up.mu);
  REQUIRE(up.calls.size() == 2);
  CHECK(up.calls[0] == "POST /medical_insurance");
  CHECK(up.calls[1] == "PUT /medical_insurance/R1");
  REQUIRE(up.records.size() == 1);  // exactly one record upstream, with the corrected values
  CHECK(up.records["R1"]["insured"]["idNo"] == right);
}
