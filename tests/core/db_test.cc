// The storage layer: pragmas, migrations, errors mapped to kinds, transactions.
#include <doctest/doctest.h>

#include "core/db.h"
#include "tests/support/temp_dir.h"

using namespace yb;

namespace {
std::string pragma(db::Database& d, const char* name) {
  return d.with_conn([&](db::Conn& c) {
    auto q = c.prepare(std::string("PRAGMA ") + name);
    REQUIRE(q.ok());
    REQUIRE(q->step().value());
    return q->get_text(0);
  });
}
}  // namespace

TEST_CASE("open applies WAL, full sync, foreign keys and every migration") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  CHECK(pragma(**d, "journal_mode") == "wal");
  CHECK(pragma(**d, "synchronous") == "2");  // FULL
  CHECK(pragma(**d, "foreign_keys") == "1");
  CHECK(pragma(**d, "mmap_size") == "0");  // pages read would count in RSS
  CHECK((*d)->schema_version() == db::migrations().back().version);
}

TEST_CASE("reopening does not re-run migrations and keeps data") {
  test::TempDir dir;
  {
    auto d = db::Database::open(dir.file("a.db"), {});
    REQUIRE(d.ok());
    auto s = (*d)->with_conn([](db::Conn& c) {
      return c.exec(
          "INSERT INTO org_units (code, name, level) VALUES ('130111000000','x','county')");
    });
    REQUIRE(s.ok());
  }
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto n = (*d)->with_conn([](db::Conn& c) {
    auto q = c.prepare("SELECT COUNT(*) FROM schema_migrations");
    REQUIRE(q->step().value());
    auto m = q->get_int(0);
    auto o = c.prepare("SELECT COUNT(*) FROM org_units");
    REQUIRE(o->step().value());
    return std::make_pair(m, o->get_int(0));
  });
  CHECK(n.first == static_cast<int64_t>(db::migrations().size()));
  CHECK(n.second == 1);
}

TEST_CASE("a unique violation is a conflict, a foreign key violation is an error") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  (*d)->with_conn([](db::Conn& c) {
    auto ins = c.prepare("INSERT INTO org_units (code, name, level) VALUES (?, ?, ?)");
    REQUIRE(ins.ok());
    ins->bind(1, "130111000000").bind(2, "county").bind(3, "county");
    CHECK(ins->run().ok());
    ins->reset();
    ins->bind(1, "130111000000").bind(2, "again").bind(3, "county");
    auto s = ins->run();
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::kConflict);
    ins->reset();
    auto fk = c.prepare("INSERT INTO org_units (code, name, parent_code, level) VALUES (?,?,?,?)");
    fk->bind(1, "130111100000").bind(2, "t").bind(3, "999999999999").bind(4, "township");
    auto f = fk->run();
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().kind == ErrorKind::kInternal);
  });
}

TEST_CASE("transact commits on success and rolls back on error") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto ok = (*d)->transact<int>([](db::Conn& c) -> Result<int> {
    if (auto s = c.exec("INSERT INTO org_units (code, name, level) VALUES ('1','a','x')"); !s)
      return s.take_error();
    return 1;
  });
  CHECK(ok.ok());
  auto bad = (*d)->transact<int>([](db::Conn& c) -> Result<int> {
    (void)c.exec("INSERT INTO org_units (code, name, level) VALUES ('2','b','x')");
    return Error::make(ErrorKind::kValidation, "nope", "不行", "no");
  });
  CHECK_FALSE(bad.ok());
  auto count = (*d)->with_conn([](db::Conn& c) {
    auto q = c.prepare("SELECT COUNT(*) FROM org_units");
    REQUIRE(q->step().value());
    return q->get_int(0);
  });
  CHECK(count == 1);
}

TEST_CASE("opening a path in a missing folder is a clear error") {
  auto d = db::Database::open("/nonexistent-folder/x/y.db", {});
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message.en.find("/nonexistent-folder/x/y.db") != std::string::npos);
}

TEST_CASE("a cached statement is reused and releases its read when the lease ends") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto w = (*d)->dedicated();
  REQUIRE(w.ok());
  db::Conn& c = **w;
  REQUIRE(c.exec("INSERT INTO org_units (code, name, level) VALUES ('1','a','x'), ('2','b','x')"));
  for (int round = 0; round < 3; ++round) {
    REQUIRE(c.begin().ok());
    {
      auto q = c.cached("SELECT code FROM org_units ORDER BY code");
      REQUIRE(q.ok());
      REQUIRE((*q)->step().value());  // stop after the first row, as a lookup does
      CHECK((*q)->get_text(0) == "1");
    }
    REQUIRE(c.exec_cached("SAVEPOINT s").ok());
    REQUIRE(c.exec_cached("RELEASE s").ok());
    REQUIRE(c.commit().ok());
  }
  // another connection can write: nothing is left holding the database
  auto s = (*d)->with_conn([](db::Conn& o) {
    return o.exec("INSERT INTO org_units (code, name, level) VALUES ('3','c','x')");
  });
  CHECK(s.ok());
}

TEST_CASE("changes_to counts committed updates and deletes of a watched table, not inserts") {
  test::TempDir dir;
  db::Options opts;
  opts.watched_tables = {"org_units"};
  auto d = db::Database::open(dir.file("a.db"), opts);
  REQUIRE(d.ok());
  db::Database& db = **d;
  CHECK_FALSE(db.changes_to("users").has_value());  // not watched: nothing may be reused
  REQUIRE(db.changes_to("org_units") == 0u);
  auto w = db.dedicated();
  REQUIRE(w.ok());
  db::Conn& c = **w;

  // New rows do not change rows anyone has read.
  REQUIRE(c.exec("INSERT INTO org_units (code, name, level) VALUES ('1','a','x'), ('2','b','x')"));
  CHECK(db.changes_to("org_units") == 0u);

  // An update on its own (autocommit) counts once it is done.
  {
    auto q = c.prepare("UPDATE org_units SET name = 'a2' WHERE code = '1'");
    REQUIRE(q.ok());
    REQUIRE(q->run().ok());
  }
  CHECK(db.changes_to("org_units") == 1u);

  // Inside a transaction: not until the commit, however many rows.
  REQUIRE(c.begin().ok());
  REQUIRE(c.exec("UPDATE org_units SET name = name || '!'"));
  REQUIRE(c.exec("DELETE FROM org_units WHERE code = '2'"));
  CHECK(db.changes_to("org_units") == 1u);
  REQUIRE(c.commit().ok());
  CHECK(db.changes_to("org_units") == 2u);

  // Rolled back: nothing changed, nothing counted.
  REQUIRE(c.begin().ok());
  REQUIRE(c.exec("UPDATE org_units SET name = 'gone'"));
  c.rollback();
  CHECK(db.changes_to("org_units") == 2u);

  // Another table's changes, and a statement that matches no row, leave it alone.
  REQUIRE(c.exec("UPDATE org_units SET name = 'x' WHERE code = 'none'"));
  REQUIRE(
      c.exec("INSERT INTO schema_migrations (version, description, applied_at) "
             "VALUES (9999, 't', 0)"));
  REQUIRE(c.exec("UPDATE schema_migrations SET description = 'u' WHERE version = 9999"));
  CHECK(db.changes_to("org_units") == 2u);

  // Pooled connections count too.
  auto s =
      db.with_conn([](db::Conn& o) { return o.exec("DELETE FROM org_units WHERE code = '1'"); });
  REQUIRE(s.ok());
  CHECK(db.changes_to("org_units") == 3u);
}

TEST_CASE(
    "syncing the database file works beside an open write transaction on another connection") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto writer = (*d)->dedicated();
  auto other = (*d)->dedicated();
  REQUIRE(writer.ok());
  REQUIRE(other.ok());
  REQUIRE((*writer)->exec("INSERT INTO org_units (code, name, level) VALUES ('1','a','county')"));
  REQUIRE((*other)->exec("PRAGMA wal_checkpoint(PASSIVE)"));
  REQUIRE((*writer)->begin());
  REQUIRE((*writer)->exec("INSERT INTO org_units (code, name, level) VALUES ('2','b','county')"));
  // SQLite's own file handle: no second descriptor is opened and closed, which would drop the
  // process's POSIX locks on the file while the transaction holds them.
  CHECK((*other)->sync_database_file().ok());
  CHECK((*writer)->commit().ok());
  auto q = (*other)->prepare("SELECT COUNT(*) FROM org_units");
  REQUIRE(q.ok());
  REQUIRE(q->step().value());
  CHECK(q->get_int(0) == 2);
}
