// The WAL write buffer (core/wal_buffer.h): a commit's frames reach the file in a few calls,
// and what SQLite reads, other connections see and a crash leaves behind is unchanged.
#include <doctest/doctest.h>

#include <filesystem>
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

}  // namespace

TEST_CASE("a commit's WAL frames reach the file in a few writes, not two per page") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto c = (*d)->dedicated();
  REQUIRE(c.ok());
  REQUIRE((*c)->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
  const auto before = db::wal_buffer_stats();
  REQUIRE((*c)->begin().ok());
  REQUIRE(put_rows(**c, 0, 100, 3000).ok());  // ~100 pages, 300 KB
  REQUIRE((*c)->commit().ok());
  const auto after = db::wal_buffer_stats();
  const auto asked = after.asked - before.asked, written = after.written - before.written;
  CHECK(asked >= 200);   // a header and a page per frame
  CHECK(written >= 3);   // 300 KB in pieces of at most 124 KB
  CHECK(written <= 10);  // a page or two of b-tree, the header of a new WAL
}

TEST_CASE("another connection reads what was committed at once") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto writer = (*d)->dedicated();
  auto reader = (*d)->dedicated();
  REQUIRE(writer.ok());
  REQUIRE(reader.ok());
  REQUIRE((*writer)->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
  for (int round = 0; round < 5; ++round) {
    REQUIRE((*writer)->begin().ok());
    REQUIRE(put_rows(**writer, round * 40, round * 40 + 40, 2000).ok());
    REQUIRE((*writer)->commit().ok());
    CHECK(count_rows(**reader) == (round + 1) * 40);
    CHECK(count_rows(**reader, "body = '" + filler(round * 40 + 39, 2000) + "'") == 1);
  }
}

TEST_CASE("what was committed is in the WAL on disk, as a crash would leave it") {
  test::TempDir dir;
  const std::string path = dir.file("a.db");
  auto d = db::Database::open(path, {});
  REQUIRE(d.ok());
  auto c = (*d)->dedicated();
  REQUIRE(c.ok());
  REQUIRE((*c)->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
  REQUIRE((*c)->begin().ok());
  REQUIRE(put_rows(**c, 0, 300, 1500).ok());
  REQUIRE((*c)->commit().ok());
  // Copied while the connections are still open and nothing was checkpointed: the files as
  // they are after a kill -9.
  const std::string copy = dir.file("copy.db");
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
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
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto c = (*d)->dedicated();
  REQUIRE(c.ok());
  REQUIRE((*c)->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").ok());
  REQUIRE((*c)->begin().ok());
  REQUIRE(put_rows(**c, 0, 50, 1000).ok());
  REQUIRE((*c)->commit().ok());
  // A small page cache: SQLite writes frames of the open transaction to the WAL, reads some
  // back, and must then forget them.
  REQUIRE((*c)->exec("PRAGMA cache_size = 20").ok());
  REQUIRE((*c)->begin().ok());
  REQUIRE(put_rows(**c, 1000, 2000, 2500).ok());  // ~2.5 MB, more than kWalBufferBytes
  CHECK(count_rows(**c, "id >= 1000 AND body = '" + filler(1500, 2500) + "'") == 1);
  (*c)->rollback();
  CHECK(count_rows(**c) == 50);
  // The next transaction writes over the forgotten frames.
  REQUIRE((*c)->begin().ok());
  REQUIRE(put_rows(**c, 50, 80, 2500).ok());
  REQUIRE((*c)->commit().ok());
  auto other = (*d)->dedicated();
  REQUIRE(other.ok());
  CHECK(count_rows(**other) == 80);
  CHECK(integrity(**other) == "ok");
  REQUIRE((*c)->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  CHECK(count_rows(**other) == 80);
  CHECK(integrity(**other) == "ok");
}
