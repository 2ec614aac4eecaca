// The JSON API over real HTTP against the real gateway (App on port 0, temporary database):
// every status code the foundation promises, and hostile input.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <thread>

#include "admin/demo.h"
#include "core/db.h"
#include "tests/support/fake_http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_gateway.h"

using namespace yb;
using Json = nlohmann::json;
using test::TestGateway;

namespace {

Json body_of(const httplib::Result& r) { return Json::parse(r->body); }

Json submission(const std::string& client_id, int seed = 1) {
  return Json{{"form", "resident_household"},
              {"client_id", client_id},
              {"values", admin::demo_sample_values(seed)}};
}

// Every error body has the one shape: {"error": {"code", "message", "message_en"}}.
void check_error_shape(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  CHECK(r->status == status);
  auto j = body_of(r);
  REQUIRE(j.contains("error"));
  CHECK(j["error"]["code"] == code);
  CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
  CHECK_FALSE(j["error"]["message_en"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("healthz answers 200 without a token") {
  TestGateway gw;
  auto r = gw.get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("login: good password gives a token; bad ones 401; malformed 400; missing 422") {
  TestGateway gw;
  auto ok = gw.post("/api/v1/sessions", R"({"username":"cadre1","password":"demo-Pass-2026"})");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(body_of(ok)["token"].get<std::string>().size() == 64);
  CHECK(body_of(ok)["user"]["role"] == "cadre");
  check_error_shape(gw.post("/api/v1/sessions", R"({"username":"cadre1","password":"nope"})"), 401,
                    "unauthenticated");
  check_error_shape(gw.post("/api/v1/sessions", R"({"username":"ghost","password":"nope"})"), 401,
                    "unauthenticated");
  check_error_shape(gw.post("/api/v1/sessions", R"({"username":)"), 400, "malformed_json");
  auto missing = gw.post("/api/v1/sessions", R"({"username":42})");
  check_error_shape(missing, 422, "invalid_login");
  CHECK(body_of(missing)["error"]["errors"].size() == 2);
}

TEST_CASE("failed logins are rate-limited with Retry-After, and the lock lifts later") {
  TestGateway gw([](gateway::AppConfig& c) { c.accounts.login_max_failures = 3; });
  for (int i = 0; i < 3; ++i) {
    (void)gw.post("/api/v1/sessions", R"({"username":"cadre1","password":"wrong"})");
  }
  auto locked = gw.post("/api/v1/sessions", R"({"username":"cadre1","password":"demo-Pass-2026"})");
  check_error_shape(locked, 429, "login_locked");
  CHECK(std::stoi(locked->get_header_value("Retry-After")) > 0);
  gw.clock().advance_s(16 * 60);
  CHECK(gw.login("cadre1").size() == 64);
}

TEST_CASE("forms: 401 without a token; the list and a self-describing form with one") {
  TestGateway gw;
  check_error_shape(gw.get("/api/v1/forms"), 401, "unauthenticated");
  check_error_shape(gw.get("/api/v1/forms", std::string(64, 'f')), 401, "unauthenticated");
  auto tok = gw.login("cadre1");
  auto list = gw.get("/api/v1/forms", tok);
  REQUIRE(list);
  REQUIRE(list->status == 200);
  auto forms = body_of(list)["forms"];
  REQUIRE(forms.size() >= 1);
  CHECK(forms[0]["id"] == "resident_household");
  CHECK(forms[0]["title"]["zh-CN"].get<std::string>().size() > 0);

  auto one = gw.get("/api/v1/forms/resident_household", tok);
  REQUIRE(one);
  REQUIRE(one->status == 200);
  auto f = body_of(one);
  CHECK(f["status"] == "published");
  CHECK(f["version"] == 1);
  bool saw_repeat = false, saw_relevant = false, saw_choices = false;
  for (const auto& sec : f["sections"]) {
    for (const auto& fld : sec["fields"]) {
      CHECK(fld.contains("key"));
      CHECK(fld.contains("type"));
      CHECK(fld.contains("required"));
      CHECK(fld["label"].contains("zh-CN"));
      CHECK(fld["label"].contains("en"));
      CHECK(fld["label"].contains("ug"));
      if (fld["type"] == "repeat") saw_repeat = fld["fields"].size() > 0;
      if (fld.contains("relevant")) saw_relevant = true;
      if (fld.contains("choices")) saw_choices = true;
    }
  }
  CHECK(saw_repeat);
  CHECK(saw_relevant);
  CHECK(saw_choices);
  check_error_shape(gw.get("/api/v1/forms/no_such_form", tok), 404, "form_not_found");
}

TEST_CASE("submit: 201 with an id, replay 200 with the same receipt, other content 409") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto body = submission("c-1");
  auto first = gw.post("/api/v1/submissions", body.dump(), tok);
  REQUIRE(first);
  REQUIRE_MESSAGE(first->status == 201, first->body);
  auto receipt = body_of(first);
  CHECK(receipt["id"].get<int64_t>() > 0);
  CHECK(receipt["org_unit"] == "130111200201");  // the cadre's village by default
  CHECK(receipt["form_version"] == 1);
  CHECK(receipt["deliveries"].is_array());

  auto replay = gw.post("/api/v1/submissions", body.dump(), tok);
  REQUIRE(replay);
  CHECK(replay->status == 200);
  CHECK(body_of(replay)["id"] == receipt["id"]);
  CHECK(body_of(replay)["received_at"] == receipt["received_at"]);

  auto changed = body;
  changed["values"]["person.name"] = "王秀英";
  check_error_shape(gw.post("/api/v1/submissions", changed.dump(), tok), 409, "client_id_conflict");

  // the same client_id from another cadre is that cadre's own submission
  auto other = gw.login("cadre2");
  auto theirs = body;
  theirs["org_unit"] = "130111100201";
  auto r = gw.post("/api/v1/submissions", theirs.dump(), other);
  REQUIRE(r);
  CHECK_MESSAGE(r->status == 201, gw.log_text());
  CHECK(body_of(r)["id"] != receipt["id"]);
}

TEST_CASE(
    "submit: a resend of the same bytes, or of the same content in other bytes, is a replay") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  const Json body = submission("bytes-1", 4);
  const std::string text = body.dump();
  auto first = gw.post("/api/v1/submissions", text, tok);
  REQUIRE(first);
  REQUIRE_MESSAGE(first->status == 201, first->body);
  const Json id = body_of(first)["id"];

  // The very bytes again (answered without decoding them), then the same content laid out
  // differently (indented, so decoded and compared by content), then the first bytes again.
  for (const std::string& resend : {text, body.dump(2), text}) {
    auto r = gw.post("/api/v1/submissions", resend, tok);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 200, r->body);
    CHECK(body_of(r)["id"] == id);
    CHECK(body_of(r)["deliveries"] == body_of(first)["deliveries"]);
  }
  // Under a new version of the form whose rules it no longer meets, the same bytes are still
  // the answer stored under version 1.
  Json def = Json::parse(admin::demo_form_json());
  for (auto& sec : def["sections"]) {
    for (auto& f : sec["fields"]) {
      if (f["field"] == "person.phone") f["required"] = true;
    }
  }
  def["version"] = 2;
  REQUIRE(gw.app().catalog().put_form(def, forms::FormStatus::kPublished).ok());
  Json no_phone = submission("bytes-3", 4);
  no_phone["values"].erase("person.phone");
  auto stored = gw.post("/api/v1/submissions", no_phone.dump(), tok);
  REQUIRE(stored);
  CHECK(stored->status == 422);  // a new answer must meet version 2
  auto under_v2 = gw.post("/api/v1/submissions", text, tok);
  REQUIRE(under_v2);
  CHECK_MESSAGE(under_v2->status == 200, under_v2->body);
  CHECK(body_of(under_v2)["id"] == id);
  CHECK(body_of(under_v2)["form_version"] == 1);

  // Other content under the client_id is still a conflict after all those replays.
  Json changed = body;
  changed["values"]["person.name"] = "王秀英";
  check_error_shape(gw.post("/api/v1/submissions", changed.dump(), tok), 409, "client_id_conflict");

  // The same bytes from another cadre are that cadre's own answer (in their own village).
  auto other = gw.post("/api/v1/submissions", text, gw.login("cadre2"));
  REQUIRE(other);
  CHECK_MESSAGE(other->status == 201, other->body);
  CHECK(body_of(other)["id"] != id);
  CHECK(body_of(other)["org_unit"] == "130111100201");

  // A refused body is refused again when resent as it was: nothing about it was remembered.
  Json bad = submission("bytes-2", 4);
  bad["values"]["person.id_number"] = "110101199003070000";
  for (int i = 0; i < 2; ++i) {
    auto r = gw.post("/api/v1/submissions", bad.dump(), tok);
    REQUIRE(r);
    CHECK(r->status == 422);
  }
  const int64_t rows = gw.app().database().with_conn([](db::Conn& c) -> int64_t {
    auto q = c.prepare("SELECT COUNT(*) FROM submissions WHERE client_id LIKE 'bytes-%'");
    return q && q->step().ok() ? q->get_int(0) : -1;
  });
  CHECK(rows == 2);
}

TEST_CASE("submit: a resend shows its deliveries as they are now, not as they were first sent") {
  auto fake = std::make_unique<test::FakeHttp>();
  TestGateway gw({}, std::move(fake));
  auto tok = gw.login("cadre1");
  const std::string body = submission("fresh-1", 2).dump();
  auto statuses = [](const Json& receipt) {
    std::map<std::string, std::string> out;
    for (const auto& d : receipt["deliveries"]) out[d["connector"]] = d["status"];
    return out;
  };
  auto count = [](const std::map<std::string, std::string>& m, const std::string& status) {
    return std::count_if(m.begin(), m.end(), [&](const auto& kv) { return kv.second == status; });
  };
  auto first = gw.post("/api/v1/submissions", body, tok);
  REQUIRE(first);
  REQUIRE(first->status == 201);
  const auto at_first = statuses(body_of(first));
  REQUIRE(count(at_first, "pending") >= 2);
  // A resend straight away: the same states (answered from memory).
  auto again = gw.post("/api/v1/submissions", body, tok);
  REQUIRE(again);
  REQUIRE(again->status == 200);
  CHECK(statuses(body_of(again)) == at_first);

  // The upstreams take it; a resend now must say so.
  for (int i = 0; i < 5 && gw.app().engine().run_once() > 0; ++i) {
  }
  const auto id = body_of(first)["id"].get<int64_t>();
  auto stored = statuses(body_of(gw.get("/api/v1/submissions/" + std::to_string(id), tok)));
  REQUIRE(count(stored, "delivered") >= 1);
  auto later = gw.post("/api/v1/submissions", body, tok);
  REQUIRE(later);
  REQUIRE(later->status == 200);
  const Json later_receipt = body_of(later);
  CHECK(statuses(later_receipt) == stored);
  for (const auto& d : later_receipt["deliveries"]) {
    if (d["status"] == "delivered") CHECK(d["attempts"] == 1);
  }
}

TEST_CASE("submit: copies of one answer sent at once are stored once; the others are replays") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  const std::string body = submission("race-1", 3).dump();
  constexpr int kCopies = 12;
  std::vector<int> status(kCopies, 0);
  std::vector<Json> ids(kCopies);
  std::vector<std::thread> ts;
  for (int i = 0; i < kCopies; ++i) {
    ts.emplace_back([&, i] {
      auto r = gw.post("/api/v1/submissions", body, tok);
      if (!r) return;
      status[i] = r->status;
      ids[i] = body_of(r)["id"];
    });
  }
  for (auto& t : ts) t.join();
  CHECK(std::count(status.begin(), status.end(), 201) == 1);
  CHECK(std::count(status.begin(), status.end(), 200) == kCopies - 1);
  for (const auto& id : ids) CHECK(id == ids[0]);
  const int64_t rows = gw.app().database().with_conn([](db::Conn& c) -> int64_t {
    auto q = c.prepare("SELECT COUNT(*) FROM submissions WHERE client_id = 'race-1'");
    return q && q->step().ok() ? q->get_int(0) : -1;
  });
  CHECK(rows == 1);
}

TEST_CASE(
    "submit: resends after a restart are answered from what is stored, also under new rules") {
  test::TempDir dir;
  const std::string db = dir.file("resend.db");
  auto same_db = [&](gateway::AppConfig& cfg) { cfg.db_path = db; };
  Json kept = submission("old-1", 5);
  kept["values"].erase("person.phone");  // optional under version 1 of the form
  Json valid = submission("old-2", 6);
  Json first_kept, first_valid;
  {
    TestGateway gw(same_db);
    auto tok = gw.login("cadre1");
    auto a = gw.post("/api/v1/submissions", kept.dump(), tok);
    auto b = gw.post("/api/v1/submissions", valid.dump(), tok);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE_MESSAGE(a->status == 201, a->body);
    REQUIRE_MESSAGE(b->status == 201, b->body);
    first_kept = body_of(a);
    first_valid = body_of(b);
  }
  // A new process (nothing remembered) with a new version of the form: the phone is required.
  TestGateway gw(same_db);
  Json def = Json::parse(admin::demo_form_json());
  for (auto& sec : def["sections"]) {
    for (auto& f : sec["fields"]) {
      if (f["field"] == "person.phone") f["required"] = true;
    }
  }
  def["version"] = 2;
  auto published = gw.app().catalog().put_form(def, forms::FormStatus::kPublished);
  REQUIRE_MESSAGE(published.ok(), published.error().message.en);
  auto tok = gw.login("cadre1");

  // Stored under version 1, it no longer meets today's rules, yet it is the same answer: 200.
  auto again = gw.post("/api/v1/submissions", kept.dump(), tok);
  REQUIRE(again);
  CHECK_MESSAGE(again->status == 200, again->body);
  CHECK(body_of(again)["id"] == first_kept["id"]);
  CHECK(body_of(again)["form_version"] == 1);
  // Other content under that client_id: still a conflict, not a validation error.
  Json other = kept;
  other["values"]["person.name"] = "王秀英";
  check_error_shape(gw.post("/api/v1/submissions", other.dump(), tok), 409, "client_id_conflict");
  // One that still passes is found by the writer, in the transaction that would store it.
  auto valid_again = gw.post("/api/v1/submissions", valid.dump(), tok);
  REQUIRE(valid_again);
  CHECK_MESSAGE(valid_again->status == 200, valid_again->body);
  CHECK(body_of(valid_again)["id"] == first_valid["id"]);
  CHECK(body_of(valid_again)["burden"] == first_valid["burden"]);
  const int64_t rows = gw.app().database().with_conn([](db::Conn& c) -> int64_t {
    auto q = c.prepare("SELECT COUNT(*) FROM submissions");
    return q && q->step().ok() ? q->get_int(0) : -1;
  });
  CHECK(rows == 2);
}

TEST_CASE("submit: 422 lists every problem with its path, code and both languages") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto empty = gw.post("/api/v1/submissions",
                       R"({"form":"resident_household","client_id":"e-1","values":{}})", tok);
  check_error_shape(empty, 422, "validation_failed");
  const Json errs = body_of(empty)["error"]["errors"];
  CHECK(errs.size() >= 3);
  bool saw_name = false;
  for (const auto& e : errs) {
    CHECK(e["code"] == "required");
    CHECK_FALSE(e["message"].get<std::string>().empty());
    CHECK_FALSE(e["message_en"].get<std::string>().empty());
    if (e["path"] == "person.name") saw_name = true;
  }
  CHECK(saw_name);

  auto bad = submission("e-2");
  bad["values"]["person.id_number"] = "110105194912310021";  // wrong check character
  bad["values"]["person.phone"] = "12345";
  bad["values"]["unknown.field"] = "x";
  bad["values"]["household.members"][0]["name"] = Json{{"nested", "object"}};
  auto r = gw.post("/api/v1/submissions", bad.dump(), tok);
  check_error_shape(r, 422, "validation_failed");
  std::map<std::string, std::string> by_path;
  const Json rb = body_of(r);
  for (const auto& e : rb["error"]["errors"]) {
    by_path[e["path"].get<std::string>()] = e["code"].get<std::string>();
  }
  INFO(r->body);
  CHECK(by_path["person.id_number"] == "check_digit");
  CHECK(by_path["person.phone"] == "phone_format");
  CHECK(by_path["unknown.field"] == "unknown_field");
  CHECK(by_path["household.members[0].name"] == "type");
}

TEST_CASE("submit: the envelope is checked too (missing form, bad client_id, unknown member)") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto r =
      gw.post("/api/v1/submissions", R"({"client_id":"has space","values":[],"extra":1})", tok);
  check_error_shape(r, 422, "validation_failed");
  std::set<std::string> paths;
  const Json rb = body_of(r);
  for (const auto& e : rb["error"]["errors"]) paths.insert(e["path"].get<std::string>());
  INFO(r->body);
  CHECK(paths == std::set<std::string>{"form", "client_id", "values", "extra"});
  auto wrong_form =
      gw.post("/api/v1/submissions", R"({"form":"nope","client_id":"x-1","values":{}})", tok);
  check_error_shape(wrong_form, 422, "validation_failed");
}

TEST_CASE("submit: 401 without or with a bad token, 400 for malformed or hostile JSON") {
  TestGateway gw;
  check_error_shape(gw.post("/api/v1/submissions", "{}"), 401, "unauthenticated");
  check_error_shape(gw.post("/api/v1/submissions", "{}", "not-a-token"), 401, "unauthenticated");
  auto tok = gw.login("cadre1");
  check_error_shape(gw.post("/api/v1/submissions", R"({"form": )", tok), 400, "malformed_json");
  check_error_shape(gw.post("/api/v1/submissions", "[1,2]", tok), 400, "malformed_json");
  check_error_shape(gw.post("/api/v1/submissions", "\xff\xfe{}", tok), 400, "malformed_json");
  std::string deep(100000, '[');
  check_error_shape(gw.post("/api/v1/submissions", deep, tok), 400, "malformed_json");
  std::string deep_obj = R"({"form":"resident_household","client_id":"d","values":{"a":)";
  for (int i = 0; i < 40; ++i) deep_obj += R"({"a":)";
  deep_obj += "1" + std::string(41, '}') + "}";
  check_error_shape(gw.post("/api/v1/submissions", deep_obj, tok), 400, "malformed_json");
}

TEST_CASE("submit: 413 over the body limit, 422 for a huge string under it") {
  TestGateway gw([](gateway::AppConfig& c) { c.server.max_body_bytes = 64 * 1024; });
  auto tok = gw.login("cadre1");
  auto big = submission("big-1");
  big["values"]["person.current_address"] = std::string(100 * 1024, 'a');
  check_error_shape(gw.post("/api/v1/submissions", big.dump(), tok), 413, "too_large");
  auto longer = submission("big-2");
  longer["values"]["person.current_address"] = std::string(10 * 1024, 'a');
  auto r = gw.post("/api/v1/submissions", longer.dump(), tok);
  check_error_shape(r, 422, "validation_failed");
  CHECK(body_of(r)["error"]["errors"][0]["code"] == "max_length");
}

TEST_CASE("submit: SQL and HTML in values are stored and returned verbatim, as data") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto body = submission("sql-1");
  const std::string hostile = "'); DROP TABLE submissions; -- <script>alert(1)</script>";
  body["values"]["person.current_address"] = hostile;
  auto r = gw.post("/api/v1/submissions", body.dump(), tok);
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
  auto id = body_of(r)["id"].get<int64_t>();
  auto got = gw.get("/api/v1/submissions/" + std::to_string(id), tok);
  REQUIRE(got);
  REQUIRE(got->status == 200);
  CHECK(body_of(got)["values"]["person.current_address"] == hostile);
  CHECK(got->get_header_value("Content-Type").find("application/json") == 0);
}

TEST_CASE("scope: 403 for another village, reads limited to the reader's subtree") {
  TestGateway gw;
  auto cadre1 = gw.login("cadre1");
  auto outside = submission("s-1");
  outside["org_unit"] = "130111100201";  // 东关村, not cadre1's
  check_error_shape(gw.post("/api/v1/submissions", outside.dump(), cadre1), 403, "out_of_scope");

  auto r = gw.post("/api/v1/submissions", submission("s-2").dump(), cadre1);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const std::string path = "/api/v1/submissions/" + std::to_string(body_of(r)["id"].get<int64_t>());
  CHECK(gw.get(path, cadre1)->status == 200);
  CHECK(gw.get(path, gw.login("township1"))->status == 200);  // the township above
  CHECK(gw.get(path, gw.login("county1"))->status == 200);
  check_error_shape(gw.get(path, gw.login("cadre2")), 404, "submission_not_found");
  check_error_shape(gw.get("/api/v1/submissions/999999", cadre1), 404, "submission_not_found");
  check_error_shape(gw.get(path), 401, "unauthenticated");
}

TEST_CASE("roles: an auditor cannot submit") {
  TestGateway gw;
  auto r = gw.post("/api/v1/submissions", submission("a-1").dump(), gw.login("auditor1"));
  check_error_shape(r, 403, "role_forbidden");
}

TEST_CASE("sessions expire after the idle timeout") {
  TestGateway gw([](gateway::AppConfig& c) { c.accounts.session_idle_s = 600; });
  auto tok = gw.login("cadre1");
  CHECK(gw.get("/api/v1/forms", tok)->status == 200);
  gw.clock().advance_s(601);
  check_error_shape(gw.get("/api/v1/forms", tok), 401, "unauthenticated");
}

TEST_CASE("unknown endpoints answer 404 in the JSON error shape") {
  TestGateway gw;
  check_error_shape(gw.get("/api/v1/nope"), 404, "not_found");
}

TEST_CASE("an answered submission is in the database file after the gateway stops") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto r = gw.post("/api/v1/submissions", submission("dur-1").dump(), tok);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  gw.shutdown();
  auto d = db::Database::open(gw.db_path(), {});
  REQUIRE(d.ok());
  auto n = (*d)->with_conn([](db::Conn& c) {
    auto q = c.prepare("SELECT COUNT(*) FROM submissions WHERE client_id = 'dur-1'");
    REQUIRE(q->step().value());
    return q->get_int(0);
  });
  CHECK(n == 1);
}

TEST_CASE("the request log has one line per request and no personal data") {
  TestGateway gw;
  auto tok = gw.login("cadre1");
  auto body = submission("log-1");
  const std::string id = body["values"]["person.id_number"];
  const std::string name = body["values"]["person.name"];
  REQUIRE(gw.post("/api/v1/submissions", body.dump(), tok)->status == 201);
  REQUIRE(gw.get("/api/v1/forms?x=" + id, tok)->status == 200);
  gw.shutdown();
  const std::string log = gw.log_text();
  CHECK(log.find("POST /api/v1/submissions 201") != std::string::npos);
  // Its duration in milliseconds with one decimal.
  CHECK(std::regex_search(log, std::regex("POST /api/v1/submissions 201 [0-9]+\\.[0-9]ms\n")));
  CHECK(log.find("POST /api/v1/sessions 200") != std::string::npos);
  CHECK(log.find(id) == std::string::npos);
  CHECK(log.find(name) == std::string::npos);
  CHECK(log.find(tok) == std::string::npos);
  CHECK(log.find("demo-Pass-2026") == std::string::npos);
}
