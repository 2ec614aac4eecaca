// The audit log: records chain, verify() finds any edited or deleted record and names it,
// the database refuses UPDATE and DELETE, and retention pruning keeps the rest verifiable.
#include <doctest/doctest.h>

#include "admin/audit.h"
#include "tests/support/temp_dir.h"

using namespace yb;
using admin::AuditEntry;
using admin::AuditLog;

namespace {

struct Fixture {
  test::TempDir dir;
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<db::GroupCommitWriter> writer;
  std::unique_ptr<AuditLog> log;
  Fixture() {
    clock.set_ms(1'780'000'000'000);
    auto d = db::Database::open(dir.file("a.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    auto w = db::GroupCommitWriter::start(*db);
    REQUIRE(w.ok());
    writer = std::move(*w);
    log = std::make_unique<AuditLog>(*db, *writer, clock);
  }
  ~Fixture() { writer->stop(); }
  void add(int n, const std::string& action = "login") {
    for (int i = 0; i < n; ++i) {
      REQUIRE(
          log->record(
                 {"user" + std::to_string(i), "cadre", action, "t", "10.0.0.1", "ok", {{"i", i}}})
              .ok());
      clock.advance_ms(1000);
    }
  }
  Status exec(const std::string& sql) {
    return db->with_conn([&](db::Conn& c) { return c.exec(sql); });
  }
  admin::VerifyReport verify() {
    auto r = AuditLog::verify(*db);
    REQUIRE(r.ok());
    return *r;
  }
};

}  // namespace

TEST_CASE("an untouched chain verifies and reports its head") {
  Fixture f;
  f.add(5);
  auto r = f.verify();
  CHECK(r.ok);
  CHECK(r.records == 5);
  CHECK(r.head_seq == 5);
  CHECK(r.head_hash.size() == 64);
  auto recs = f.log->query({});
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 5);
  CHECK((*recs)[0].prev_hash == AuditLog::kGenesis);
  CHECK((*recs)[1].prev_hash == (*recs)[0].hash);
}

TEST_CASE("an empty log verifies") {
  Fixture f;
  auto r = f.verify();
  CHECK(r.ok);
  CHECK(r.records == 0);
}

TEST_CASE("the database refuses UPDATE and DELETE of audit records") {
  Fixture f;
  f.add(3);
  CHECK_FALSE(f.exec("UPDATE audit_log SET result = 'denied' WHERE seq = 2").ok());
  CHECK_FALSE(f.exec("DELETE FROM audit_log WHERE seq = 2").ok());
  CHECK_FALSE(f.exec("DELETE FROM audit_log").ok());
  CHECK(f.verify().records == 3);
}

TEST_CASE("an edited record breaks the chain at that record") {
  Fixture f;
  f.add(5);
  // Someone with file access drops the guard and rewrites history.
  REQUIRE(f.exec("DROP TRIGGER audit_log_no_update").ok());
  SUBCASE("content edited") {
    REQUIRE(f.exec("UPDATE audit_log SET result = 'denied' WHERE seq = 3").ok());
    auto r = f.verify();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == 3);
    CHECK(r.problem.find("edited") != std::string::npos);
  }
  SUBCASE("detail edited") {
    REQUIRE(f.exec(R"(UPDATE audit_log SET detail = '{"i":9}' WHERE seq = 2)").ok());
    CHECK(f.verify().first_bad_seq == 2);
  }
  SUBCASE("record and its hash rewritten: the next one no longer chains") {
    REQUIRE(f.exec("UPDATE audit_log SET actor = 'x', hash = '" + std::string(64, 'a') +
                   "' WHERE seq = 2")
                .ok());
    auto r = f.verify();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == 2);
  }
}

TEST_CASE("a deleted record is named as missing") {
  Fixture f;
  f.add(5);
  REQUIRE(f.exec("DROP TRIGGER audit_log_no_delete").ok());
  SUBCASE("in the middle") {
    REQUIRE(f.exec("DELETE FROM audit_log WHERE seq = 3").ok());
    auto r = f.verify();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == 3);
    CHECK(r.problem.find("missing") != std::string::npos);
  }
  SUBCASE("the first") {
    REQUIRE(f.exec("DELETE FROM audit_log WHERE seq = 1").ok());
    CHECK(f.verify().first_bad_seq == 1);
  }
}

TEST_CASE("retention pruning drops old records and the rest still verifies") {
  Fixture f;
  f.add(4, "old");
  f.clock.advance_ms(200LL * 86'400'000);
  f.add(3, "new");
  auto n = f.log->prune(190);
  REQUIRE(n.ok());
  CHECK(*n == 4);
  auto r = f.verify();
  CHECK(r.ok);
  CHECK(r.records == 4);  // 3 new + the prune record itself
  auto recs = f.log->query({.action = "audit.prune"});
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 1);
  CHECK((*recs)[0].entry.detail["records"] == 4);
  // Nothing older than the retention: a second prune drops nothing.
  auto again = f.log->prune(190);
  REQUIRE(again.ok());
  CHECK(*again == 0);
  // Records kept after the anchor still cannot be deleted, and tampering is still caught.
  CHECK_FALSE(f.exec("DELETE FROM audit_log WHERE seq = 6").ok());
  CHECK_FALSE(f.exec("UPDATE audit_anchor SET next_seq = 1").ok());
  REQUIRE(f.exec("DROP TRIGGER audit_log_no_delete").ok());
  REQUIRE(f.exec("DELETE FROM audit_log WHERE seq = 5").ok());
  auto broken = f.verify();
  CHECK_FALSE(broken.ok);
  CHECK(broken.first_bad_seq == 5);
}

TEST_CASE("a prune of everything leaves an anchor the next record chains to") {
  Fixture f;
  f.add(2);
  f.clock.advance_ms(400LL * 86'400'000);
  REQUIRE(f.log->prune(183).ok());
  f.add(1);
  auto r = f.verify();
  CHECK(r.ok);
  CHECK(r.head_seq == 4);
}

TEST_CASE("query filters by actor, action, time and pages by seq") {
  Fixture f;
  f.add(3, "login");
  f.add(2, "user.create");
  auto by_action = f.log->query({.action = "user.create"});
  REQUIRE(by_action.ok());
  CHECK(by_action->size() == 2);
  auto by_actor = f.log->query({.actor = "user0"});
  REQUIRE(by_actor.ok());
  CHECK(by_actor->size() == 2);
  const int64_t t0 = (*f.log->query({}))[0].at_ms;
  auto window = f.log->query({.from_ms = t0 + 1000, .to_ms = t0 + 3000});
  REQUIRE(window.ok());
  CHECK(window->size() == 2);
  auto page = f.log->query({.after_seq = 3, .limit = 1});
  REQUIRE(page.ok());
  REQUIRE(page->size() == 1);
  CHECK((*page)[0].seq == 4);
}
