// The WAL write buffer (core/wal_buffer.h): a commit's frames reach the file in a few calls,
// and what SQLite reads, other connections see and a crash leaves behind is unchanged.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/db.h"
#include "core/wal_buffer.h"
#include "tests/support/temp_dir.h"

using namespace yb;

namespace {

// A text of n bytes, different for every seed.
std::string filler(int seed, size_t n) {
  std::string s = std::to_string(seed) + ":";
  for (size_t i = s.size(); i < n; ++i) s += static_cast<char>('a' + (seed * 7 + i * 13) % 26);
  return s;
}

Status put_rows(db::Conn& c, int from, int to, size_t bytes) {
  auto q = c.prepare("INSERT INTO blobs (id, body) VALUES (?, ?)");
  if (!q) return q.take_error();
  for (int i = from; i < to; ++i) {
    q->bind(1, int64_t{i}).bind(2, filler(i, bytes));
    if (auto s = q->run(); !s) return s;
    q->reset();
  }
  return ok_status();
}

int64_t count_rows(db::Conn& c, const std::string& where = "1") {
  auto q = c.prepare("SELECT COUNT(*) FROM blobs WHERE " + where);
  REQUIRE(q.ok());
  REQUIRE(q->step().ok());
  return q->get_int(0);
}

std::string integrity(db::Conn& c) {
  auto q = c.prepare("PRAGMA integrity_check");
  REQUIRE(q.ok());
  REQUIRE(q->step().ok());
  return q->get_text(0);
}

// A database with a table of texts, and a connection of its own to write them.
struct Blobs {
  test::TempDir dir;
  std::string path = dir.file("a.db");
  std::unique_ptr<db::Database> d;
  std::unique_ptr<db::Conn> c;
  Blobs() {
    auto o = db::Database::open(path, {});
    REQUIRE(o.ok());
    d = std::move(*o);
    c = conn();
    REQUIRE(c->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
  }
  std::unique_ptr<db::Conn> conn() {
    auto o = d->dedicated();
    REQUIRE(o.ok());
    return std::move(*o);
  }
  void commit_rows(int from, int to, size_t bytes) {
    REQUIRE(c->begin().ok());
    REQUIRE(put_rows(*c, from, to, bytes).ok());
    REQUIRE(c->commit().ok());
  }
};

}  // namespace

TEST_CASE("a commit's WAL frames reach the file in a few writes, not two per page") {
  Blobs b;
  const auto before = db::wal_buffer_stats();
  b.commit_rows(0, 100, 3000);  // ~100 pages, 300 KB
  const auto after = db::wal_buffer_stats();
  const auto asked = after.asked - before.asked, written = after.written - before.written;
  CHECK(asked >= 200);   // a header and a page per frame
  CHECK(written >= 3);   // 300 KB in pieces of at most 124 KB
  CHECK(written <= 10);  // a page or two of b-tree, the header of a new WAL
}

TEST_CASE("another connection reads what was committed at once") {
  Blobs b;
  auto reader = b.conn();
  for (int round = 0; round < 5; ++round) {
    b.commit_rows(round * 40, round * 40 + 40, 2000);
    CHECK(count_rows(*reader) == (round + 1) * 40);
    CHECK(count_rows(*reader, "body = '" + filler(round * 40 + 39, 2000) + "'") == 1);
  }
}

TEST_CASE("what was committed is in the WAL on disk, as a crash would leave it") {
  Blobs b;
  b.commit_rows(0, 300, 1500);
  // Copied while the connections are still open and nothing was checkpointed: the files as
  // they are after a kill -9.
  const std::string copy = b.dir.file("copy.db");
  std::filesystem::copy_file(b.path, copy);
  std::filesystem::copy_file(b.path + "-wal", copy + "-wal");
  auto again = db::Database::open(copy, {});
  REQUIRE(again.ok());
  auto r = (*again)->dedicated();
  REQUIRE(r.ok());
  CHECK(count_rows(**r) == 300);
  CHECK(integrity(**r) == "ok");
}

TEST_CASE(
    "a transaction larger than the buffer and spilled mid-way, then rolled back, leaves "
    "the database whole") {
  Blobs b;
  auto& c = b.c;
  b.commit_rows(0, 50, 1000);
  // A small page cache: SQLite writes frames of the open transaction to the WAL, reads some
  // back, and must then forget them.
  REQUIRE(c->exec("PRAGMA cache_size = 20").ok());
  REQUIRE(c->begin().ok());
  REQUIRE(put_rows(*c, 1000, 2000, 2500).ok());  // ~2.5 MB, more than kWalBufferBytes
  CHECK(count_rows(*c, "id >= 1000 AND body = '" + filler(1500, 2500) + "'") == 1);
  c->rollback();
  CHECK(count_rows(*c) == 50);
  // The next transaction writes over the forgotten frames.
  b.commit_rows(50, 80, 2500);
  auto other = b.conn();
  CHECK(count_rows(*other) == 80);
  CHECK(integrity(*other) == "ok");
  REQUIRE(c->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  CHECK(count_rows(*other) == 80);
  CHECK(integrity(*other) == "ok");
}
