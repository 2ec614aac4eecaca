// The outbox's partial work indexes: used by the claim, and cheap to keep up to date (no
// temporary table built for every delivery written or changed).
#include <doctest/doctest.h>

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
