// The outbox's partial work indexes: used by the claim, and cheap to keep up to date (no
// temporary table built for every delivery written or changed).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "connectors/outbox/engine.h"
#include "core/db.h"
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
