// The outbox and the delivery engine through the real gateway (App on port 0, temporary
// database, demo connectors) with a scripted upstream and a manual clock: fan-out, retries on
// the schedule, dead letters, pause, Retry-After, updates instead of second records.
#include <doctest/doctest.h>

#include "admin/demo.h"
#include "connectors/delivery/signing.h"
#include "tests/support/fake_http.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::FakeHttp;
using test::TestGateway;

namespace {

struct Harness {
  FakeHttp* http;
  std::unique_ptr<TestGateway> gw;
  std::string token;
  Harness() {
    auto h = std::make_unique<FakeHttp>();
    http = h.get();
    gw = std::make_unique<TestGateway>(nullptr, std::move(h));
    token = gw->login("cadre1");
  }
  // A household with a disabled head on low income: every demo connector takes it.
  Json answer(int seed = 3) {
    Json v = admin::demo_sample_values(seed);
    v["welfare.low_income_status"] = "1";
    v["risk.type"] = Json::array({"1"});
    v["person.has_disability"] = true;
    v["disability.type"] = "4";
    v["disability.grade"] = "2";
    v["disability.cert_number"] = v["person.id_number"].get<std::string>() + "42";
    v["person.bank_account"] = "6222020200112233445";
    return v;
  }
  Json submit(const std::string& client_id, const Json& values) {
    token = gw->login("cadre1");
    auto r = gw->post(
        "/api/v1/submissions",
        Json{{"form", "resident_household"}, {"client_id", client_id}, {"values", values}}.dump(),
        token);
    REQUIRE(r);
    REQUIRE_MESSAGE((r->status == 201 || r->status == 200), r->body);
    return Json::parse(r->body);
  }
  Json delivery_for(const Json& receipt, const std::string& connector) {
    // A fresh login: the test moves the clock by hours, past the session's idle timeout.
    auto got = gw->get("/api/v1/submissions/" + std::to_string(receipt["id"].get<int64_t>()),
                       gw->login("cadre1"));
    REQUIRE(got);
    const Json body = Json::parse(got->body);
    for (const auto& d : body["deliveries"]) {
      if (d["connector"] == connector) return d;
    }
    FAIL("no delivery to " << connector);
    return {};
  }
  size_t run() { return gw->app().engine().run_once(); }
};

std::string header(const connectors::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("an answer fans out once to every matching upstream, signed, in its own format") {
  Harness h;
  auto receipt = h.submit("fan-1", h.answer());
  std::map<std::string, std::string> status;
  for (const auto& d : receipt["deliveries"]) status[d["connector"]] = d["status"];
  CHECK(status["civil_affairs"] == "pending");
  CHECK(status["disabled_fed"] == "pending");
  CHECK(status["medical_insurance"] == "pending");
  CHECK(status.count("population_register") == 1);
  CHECK(h.http->requests().empty());  // nothing is sent inside the request

  const size_t pushes =
      std::count_if(receipt["deliveries"].begin(), receipt["deliveries"].end(), [](const Json& d) {
        return d["status"] == "pending" && d["connector"] != "population_register";
      });
  CHECK(h.run() == pushes);
  auto reqs = h.http->requests();
  REQUIRE(reqs.size() == pushes);
  std::set<std::string> bodies;
  auto secrets = Json::parse(admin::demo_asset_for_tests("demo/secrets.json"))["secrets"];
  for (const auto& r : reqs) {
    const std::string id = header(r, "webhook-id");
    CHECK(id.rfind("msg_", 0) == 0);
    CHECK(header(r, "Idempotency-Key") == id);
    const std::string path = FakeHttp::path_of(r.url).substr(1);
    auto sig = connectors::webhook_signature(secrets[path + "_webhook"].get<std::string>(), id,
                                             std::stoll(header(r, "webhook-timestamp")), r.body);
    REQUIRE(sig.ok());
    CHECK(header(r, "webhook-signature") == *sig);
    bodies.insert(r.body);
    // data minimisation: only upstreams whose mapping reads the bank account receive it
    auto c = h.gw->app().connectors().get(path);
    REQUIRE(c.ok());
    const bool allowed = c->connector->mapping.reads().count("person.bank_account") > 0;
    CHECK((r.body.find("6222020200112233445") != std::string::npos) == allowed);
  }
  CHECK(bodies.size() == pushes);  // each upstream its own payload
  for (const char* c : {"civil_affairs", "disabled_fed", "medical_insurance"}) {
    auto d = h.delivery_for(receipt, c);
    CHECK(d["status"] == "delivered");
    CHECK(d["attempts"] == 1);
  }
  CHECK(h.run() == 0);  // nothing is sent twice
}

TEST_CASE("a resend is answered with the deliveries' progress as it is now") {
  Harness h;
  const Json values = h.answer();
  auto first = h.submit("resend-1", values);
  h.run();
  // The resend (same client_id, same content) is answered from what was stored: the same
  // submission, its burden, and every delivery's current status, not the one at first answer.
  auto again = h.submit("resend-1", values);
  CHECK(again["id"] == first["id"]);
  CHECK(again["received_at"] == first["received_at"]);
  CHECK(again["burden"] == first["burden"]);
  REQUIRE(again["deliveries"].size() == first["deliveries"].size());
  for (const auto& d : again["deliveries"]) {
    if (d["connector"] == "population_register") continue;  // a spreadsheet: waits for export
    CHECK_MESSAGE(d["status"] == "delivered", d.dump());
  }
  // The same client_id with other content is still refused.
  Json changed = values;
  changed["person.phone"] = "13900000000";
  auto clash = h.gw->post(
      "/api/v1/submissions",
      Json{{"form", "resident_household"}, {"client_id", "resend-1"}, {"values", changed}}.dump(),
      h.token);
  REQUIRE(clash);
  CHECK(clash->status == 409);
}

TEST_CASE("500 twice then 200: retried on the schedule, delivered once, one delivery id") {
  Harness h;
  h.http->script("/medical_insurance", {{500}, {500}, {200, R"({"code":0,"data":{"id":"M1"}})"}});
  auto receipt = h.submit("r-1", h.answer());
  h.run();
  CHECK(h.delivery_for(receipt, "medical_insurance")["status"] == "retrying");
  h.gw->clock().advance_s(3);  // the second try is due 5 s (±20 %) later
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 1);
  h.gw->clock().advance_s(4);
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 2);
  h.gw->clock().advance_s(200);  // the third is due 5 min (±20 %) later
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 2);
  h.gw->clock().advance_s(200);
  h.run();
  auto reqs = h.http->requests_to("/medical_insurance");
  REQUIRE(reqs.size() == 3);
  CHECK(header(reqs[0], "Idempotency-Key") == header(reqs[2], "Idempotency-Key"));
  auto d = h.delivery_for(receipt, "medical_insurance");
  CHECK(d["status"] == "delivered");
  CHECK(d["attempts"] == 3);
  CHECK(d["upstream_id"] == "M1");
  h.gw->clock().advance_s(86400);
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 3);
}

TEST_CASE("work waiting behind a retrying delivery is not claimed over and over, nor forgotten") {
  Harness h;
  h.http->script("/medical_insurance", {{500}, {200, "{}"}, {200, "{}"}, {200, "{}"}});
  Json p = h.answer(3);
  h.submit("b-1", p);
  h.run();  // the first answer about P fails: retrying, due again in about 5 s
  p["person.phone"] = "13911112222";
  h.submit("b-2", p);  // a second answer about P waits behind it
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 1);
  // An answer about someone else, at the same instant: the upstream's lane is known to be
  // blocked, so this round does not scan it again; the answer goes at the next poll.
  h.submit("b-3", h.answer(7));
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 1);
  h.gw->clock().advance_ms(250);  // past the poll interval
  h.run();
  auto reqs = h.http->requests_to("/medical_insurance");
  REQUIRE(reqs.size() == 2);  // the other person's answer, not P's second one
  CHECK(reqs[1].body.find("13911112222") == std::string::npos);
  // When P's first answer is retried and delivered, the second follows at the next round.
  h.gw->clock().advance_s(10);
  h.run();
  h.run();
  reqs = h.http->requests_to("/medical_insurance");
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[3].body.find("13911112222") != std::string::npos);
}

TEST_CASE("400 is dead at once; connection refused and timeouts are retried") {
  Harness h;
  h.http->script("/civil_affairs", {{400, R"({"msg":"bad field"})"}});
  h.http->script("/disabled_fed", {{0, "", {}, "connection refused"}, {200}});
  h.http->script("/medical_insurance", {{0, "", {}, "timeout"}, {200}});
  auto receipt = h.submit("d-1", h.answer());
  h.run();
  auto dead = h.delivery_for(receipt, "civil_affairs");
  CHECK(dead["status"] == "dead");
  CHECK(dead["attempts"] == 1);
  CHECK(h.delivery_for(receipt, "disabled_fed")["status"] == "retrying");
  CHECK(h.delivery_for(receipt, "medical_insurance")["status"] == "retrying");
  h.gw->clock().advance_s(10);
  h.run();
  CHECK(h.delivery_for(receipt, "disabled_fed")["status"] == "delivered");
  // after a timeout, at least 60 s
  CHECK(h.delivery_for(receipt, "medical_insurance")["status"] == "retrying");
  h.gw->clock().advance_s(60);
  h.run();
  CHECK(h.delivery_for(receipt, "medical_insurance")["status"] == "delivered");
  h.gw->clock().advance_s(86400 * 3);
  h.run();
  CHECK(h.http->requests_to("/civil_affairs").size() == 1);
}

TEST_CASE("429 with Retry-After waits at least that long") {
  Harness h;
  h.http->script("/medical_insurance", {{429, "", {{"Retry-After", "300"}}}, {200}});
  auto receipt = h.submit("t-1", h.answer());
  h.run();
  h.gw->clock().advance_s(200);
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 1);
  h.gw->clock().advance_s(101);
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 2);
  CHECK(h.delivery_for(receipt, "medical_insurance")["status"] == "delivered");
}

TEST_CASE("410 pauses the connector; nothing goes to it until it is resumed") {
  Harness h;
  h.http->script("/civil_affairs", {{410}, {200}});
  auto first = h.submit("p-1", h.answer(3));
  h.run();
  auto admin = h.gw->login("county1");
  auto c = Json::parse(h.gw->get("/api/v1/admin/connectors/civil_affairs", admin)->body);
  CHECK(c["status"]["paused"] == true);
  auto second = h.submit("p-2", h.answer(6));
  h.gw->clock().advance_s(3600);
  h.run();
  CHECK(h.http->requests_to("/civil_affairs").size() == 1);
  CHECK(h.delivery_for(second, "medical_insurance")["status"] == "delivered");  // others flow on
  admin = h.gw->login("county1");  // the first session expired while the clock moved on
  auto r = h.gw->post("/api/v1/admin/connectors/civil_affairs/resume", "", admin);
  REQUIRE(r);
  CHECK(r->status == 200);
  h.gw->clock().advance_s(10);
  h.run();
  CHECK(h.delivery_for(first, "civil_affairs")["status"] == "delivered");
  CHECK(h.delivery_for(second, "civil_affairs")["status"] == "delivered");
}

TEST_CASE("a later answer about the same person goes out as an update, never a second record") {
  Harness h;
  h.http->script("/medical_insurance", {{200, R"({"code":0,"data":{"id":"REC-7"}})"}, {200, "{}"}});
  Json v = h.answer();
  h.submit("u-1", v);
  h.run();
  v["person.phone"] = "13911112222";  // a correction
  h.submit("u-2", v);
  h.run();
  auto reqs = h.http->requests_to("/medical_insurance");
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[1].method == "PUT");
  CHECK(reqs[1].url.find("REC-7") != std::string::npos);
  CHECK(header(reqs[0], "webhook-id") != header(reqs[1], "webhook-id"));
}

TEST_CASE("the rate limit defers deliveries without counting attempts") {
  Harness h;
  auto admin = h.gw->login("county1");
  auto cfg = Json::parse(
      h.gw->get("/api/v1/admin/connectors/medical_insurance", admin)->body)["connector"];
  cfg["limits"] = {{"rate_per_s", 1}, {"burst", 1}, {"concurrency", 1}};
  auto put = h.gw->post("/api/v1/admin/connectors/medical_insurance", "", admin);  // wrong verb
  REQUIRE(put);
  CHECK(put->status == 404);
  auto c = h.gw->client();
  auto r = c.Put("/api/v1/admin/connectors/medical_insurance",
                 {{"Authorization", "Bearer " + admin}}, cfg.dump(), "application/json");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  h.gw->clock().advance_s(5);  // the connector snapshot refreshes
  std::vector<Json> receipts;
  for (int i = 0; i < 3; ++i)
    receipts.push_back(h.submit("rl-" + std::to_string(i), h.answer(3 + 3 * i)));
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 1);
  int waiting = 0;
  for (const auto& rc : receipts) {
    auto d = h.delivery_for(rc, "medical_insurance");
    if (d["status"] == "pending") {
      CHECK(d["attempts"] == 0);
      ++waiting;
    }
  }
  CHECK(waiting == 2);
  h.gw->clock().advance_s(1);
  h.run();
  CHECK(h.http->requests_to("/medical_insurance").size() == 2);
}

TEST_CASE("deliveries claimed by a process that died are sent again with the same id") {
  Harness h;
  auto receipt = h.submit("c-1", h.answer());
  // what a kill -9 between claim and send leaves behind
  auto s = h.gw->app().database().with_conn([&](db::Conn& c) {
    return c.exec("UPDATE deliveries SET status = 'sending', lease_until = 99999999999999");
  });
  REQUIRE(s.ok());
  h.gw->app().engine().start();
  h.gw->app().engine().stop();
  auto d = h.delivery_for(receipt, "medical_insurance");
  CHECK((d["status"] == "pending" || d["status"] == "delivered"));
  h.run();
  d = h.delivery_for(receipt, "medical_insurance");
  CHECK(d["status"] == "delivered");
  std::set<std::string> ids;
  for (const auto& r : h.http->requests_to("/medical_insurance"))
    ids.insert(header(r, "webhook-id"));
  CHECK(ids.size() == 1);
  CHECK(*ids.begin() == d["id"]);
}
