// The outbox's partial work indexes: used by the claim, and cheap to keep up to date (no
// temporary table built for every delivery written or changed).
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "connectors/outbox/engine.h"
#include "connectors/outbox/outbox.h"
#include "core/db.h"
#include "tests/connectors/test_util.h"
#include "tests/support/temp_dir.h"

using namespace yb;

namespace {

// The opcodes of a statement's program, or the detail lines of its query plan.
std::vector<std::string> explain(db::Database& d, const std::string& how, const std::string& sql,
                                 int column) {
  return d.with_conn([&](db::Conn& c) {
    auto q = c.prepare(how + " " + sql);
    REQUIRE_MESSAGE(q.ok(), sql);
    std::vector<std::string> out;
    for (;;) {
      auto r = q->step();
      REQUIRE(r.ok());
      if (!*r) break;
      out.push_back(q->get_text(column));
    }
    return out;
  });
}

bool contains(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines) {
    if (l.find(what) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("writing or changing a delivery builds no temporary table") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  const auto insert = explain(**d, "EXPLAIN",
                              "INSERT INTO deliveries (id, submission_id, connector_id, org_code, "
                              "subject_key, status, payload, next_attempt_at, last_error, "
                              "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              1);
  CHECK(contains(insert, "IdxInsert"));  // the program does maintain indexes
  CHECK_FALSE(contains(insert, "OpenEphemeral"));
  const auto update =
      explain(**d, "EXPLAIN", "UPDATE deliveries SET status = 'delivered' WHERE seq = ?", 1);
  CHECK_FALSE(contains(update, "OpenEphemeral"));
}

TEST_CASE("the claim walks the partial work indexes") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  const auto plan = explain(**d, "EXPLAIN QUERY PLAN", connectors::claim_sql(), 3);
  INFO(plan.size());
  CHECK(contains(plan, "USING INDEX deliveries_work"));
  CHECK(contains(plan, "deliveries_subject_work"));
}

TEST_CASE("an answer's deliveries go in a few rows per statement, all of them, in planned order") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  // 11 connectors: one statement of 8 rows, then one of 3.
  std::vector<connectors::PlannedDelivery> planned;
  for (int i = 0; i < 11; ++i) {
    const std::string id = "feed_" + std::to_string(100 - i);  // ids not in seq order
    auto c = connectors::test_util::parse(
        nlohmann::json{{"id", id},
                       {"type", "feed"},
                       {"name", {{"zh-CN", "拉取 " + id}}},
                       {"token_secret", "t"},
                       {"mapping", {{"fields", {{{"to", "xm"}, {"from", "person.name"}}}}}}});
    REQUIRE_MESSAGE(c.ok(), c.error().message.en);
    connectors::PlannedDelivery p;
    p.id = "msg_test_" + std::to_string(i);
    p.connector = *c;
    p.status = i % 3 == 0 ? "skipped" : "pending";
    if (p.status == "pending") p.payload = R"({"xm":"张三"})";
    p.subject_key = i % 2 ? "k" : "";
    planned.push_back(std::move(p));
  }
  auto rows = (*d)->with_conn([&](db::Conn& c) {
    // The parents (connectors, the submission) are not what this is about.
    REQUIRE(c.exec("PRAGMA foreign_keys=OFF").ok());
    REQUIRE(c.begin().ok());
    REQUIRE(connectors::insert_deliveries(c, 42, "130111200201", 1000, planned).ok());
    REQUIRE(c.commit().ok());
    REQUIRE(c.exec("PRAGMA foreign_keys=ON").ok());
    auto q = c.prepare(
        "SELECT id, connector_id, status, payload, subject_key, submission_id, org_code "
        "FROM deliveries ORDER BY seq");
    REQUIRE(q.ok());
    std::vector<std::vector<std::string>> out;
    for (;;) {
      auto r = q->step();
      REQUIRE(r.ok());
      if (!*r) break;
      out.push_back({q->get_text(0), q->get_text(1), q->get_text(2),
                     q->get_opt_text(3).value_or("NULL"), q->get_text(4), q->get_text(5),
                     q->get_text(6)});
    }
    return out;
  });
  REQUIRE(rows.size() == planned.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(rows[i][0] == planned[i].id);
    CHECK(rows[i][1] == planned[i].connector->id);
    CHECK(rows[i][2] == planned[i].status);
    CHECK(rows[i][3] == planned[i].payload.value_or("NULL"));
    CHECK(rows[i][4] == planned[i].subject_key);
    CHECK(rows[i][5] == "42");
    CHECK(rows[i][6] == "130111200201");
  }
}

namespace {

// A table of deliveries written row by row, and the claim run on it as the engine runs it.
struct ClaimTable {
  test::TempDir dir;
  std::unique_ptr<db::Database> d;
  int seq = 0;
  static constexpr int64_t kNow = 1'000'000;

  ClaimTable() {
    auto o = db::Database::open(dir.file("a.db"), {});
    REQUIRE(o.ok());
    d = std::move(*o);
    REQUIRE(d->with_conn([](db::Conn& c) { return c.exec("PRAGMA foreign_keys=OFF"); }).ok());
  }
  // One delivery; `due_at` is its next_attempt_at, `lease` its lease_until.
  void add(const std::string& id, const std::string& status, const std::string& subject,
           int64_t due_at = kNow, int64_t lease = 0, const std::string& connector = "up") {
    auto s = d->with_conn([&](db::Conn& c) -> Status {
      auto q = c.prepare(
          "INSERT INTO deliveries (id, submission_id, connector_id, org_code, subject_key, "
          "status, payload, next_attempt_at, lease_until, created_at, updated_at) "
          "VALUES (?, ?, ?, '130111200201', ?, ?, '{}', ?, ?, 0, 0)");
      if (!q) return q.take_error();
      q->bind(1, id).bind(2, int64_t{++seq}).bind(3, connector).bind(4, subject);
      q->bind(5, status).bind(6, due_at).bind(7, lease);
      return q->run();
    });
    REQUIRE_MESSAGE(s.ok(), s.error().message.en);
  }
  // The ids the claim takes for connector "up", in seq order.
  std::vector<std::string> claim(int64_t now, int window = 64, int want = 8) {
    return d->with_conn([&](db::Conn& c) {
      auto q = c.prepare(connectors::claim_sql());
      REQUIRE(q.ok());
      q->bind(1, now + 60'000).bind(2, now).bind(3, "up").bind(4, now).bind(5, now);
      q->bind(6, window).bind(7, "up").bind(8, want);
      std::vector<std::pair<int64_t, std::string>> got;
      for (;;) {
        auto r = q->step();
        REQUIRE(r.ok());
        if (!*r) break;
        got.emplace_back(q->get_int(0), q->get_text(1));
      }
      std::sort(got.begin(), got.end());
      std::vector<std::string> ids;
      for (auto& g : got) ids.push_back(g.second);
      return ids;
    });
  }
};

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("the claim takes a person's deliveries one at a time, in the order they were written") {
  ClaimTable t;
  SUBCASE("new work: the first of each person, and everything not about a person") {
    // p1's request thread read the clock after p2's: it is due a moment later, and still first.
    t.add("p1", "pending", "A", ClaimTable::kNow + 5);
    t.add("p2", "pending", "A");
    t.add("p3", "pending", "B");
    t.add("p4", "pending", "");
    t.add("p5", "pending", "");
    t.add("p6", "pending", "B");
    CHECK(t.claim(ClaimTable::kNow) == Ids{"p1", "p3", "p4", "p5"});
    // Those four are now in flight: the person's next ones wait for them.
    CHECK(t.claim(ClaimTable::kNow).empty());
  }
  SUBCASE("an earlier delivery in backoff holds the person's later ones until it is done") {
    t.add("r1", "retrying", "A", ClaimTable::kNow + 5'000);
    t.add("p2", "pending", "A");
    t.add("p3", "pending", "C");
    CHECK(t.claim(ClaimTable::kNow) == Ids{"p3"});
    CHECK(t.claim(ClaimTable::kNow + 5'000) == Ids{"r1"});
  }
  SUBCASE("one in flight holds the person's later ones; when its lease runs out it goes again") {
    t.add("s1", "sending", "A", ClaimTable::kNow, ClaimTable::kNow + 30'000);
    t.add("p2", "pending", "A");
    CHECK(t.claim(ClaimTable::kNow).empty());
    CHECK(t.claim(ClaimTable::kNow + 30'000) == Ids{"s1"});
  }
  SUBCASE("finished deliveries, and other upstreams' work for the person, hold nothing") {
    t.add("d1", "delivered", "A");
    t.add("x1", "dead", "A");
    t.add("o1", "retrying", "A", ClaimTable::kNow + 5'000, 0, "other");
    t.add("o2", "sending", "A", ClaimTable::kNow, ClaimTable::kNow + 30'000, "other");
    t.add("p2", "pending", "A");
    CHECK(t.claim(ClaimTable::kNow) == Ids{"p2"});
  }
  SUBCASE("the window bounds the walk: what lies beyond it waits for the next claim") {
    t.add("p1", "pending", "A");
    t.add("p2", "pending", "A");
    t.add("p3", "pending", "B");
    CHECK(t.claim(ClaimTable::kNow, /*window=*/2) == Ids{"p1"});
    CHECK(t.claim(ClaimTable::kNow, /*window=*/2) == Ids{"p3"});
  }
  SUBCASE("at most `want` at a time, oldest first") {
    for (int i = 0; i < 5; ++i) t.add("q" + std::to_string(i), "pending", "");
    CHECK(t.claim(ClaimTable::kNow, 64, /*want=*/3) == Ids{"q0", "q1", "q2"});
    CHECK(t.claim(ClaimTable::kNow, 64, /*want=*/3) == Ids{"q3", "q4"});
  }
}

TEST_CASE("a new answer's deliveries, all pending, are not written to the per-person index") {
  ClaimTable t;
  t.add("p1", "pending", "A");
  t.add("r1", "retrying", "B", ClaimTable::kNow + 5'000);
  // The entries in the index's own b-tree (SQLite's dbstat table; the index fits one page).
  auto in_index = [&] {
    return t.d->with_conn([](db::Conn& c) {
      auto q = c.prepare("SELECT SUM(ncell) FROM dbstat WHERE name = 'deliveries_subject_work'");
      REQUIRE(q.ok());
      REQUIRE(q->step().ok());
      return q->get_int(0);
    });
  };
  CHECK(in_index() == 1);  // r1 only
  CHECK(t.claim(ClaimTable::kNow) == Ids{"p1"});
  CHECK(in_index() == 2);  // p1 is in flight now
}
