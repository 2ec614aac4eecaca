// Group commit: concurrent jobs share transactions, a failing job is rolled back alone, and
// nothing is accepted after stop.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/group_commit.h"
#include "tests/support/temp_dir.h"

using namespace yb;

namespace {
Status insert_org(db::Conn& c, const std::string& code) {
  auto q = c.prepare("INSERT INTO org_units (code, name, level) VALUES (?, 'x', 'village')");
  if (!q) return q.take_error();
  q->bind(1, code);
  return q->run();
}
int64_t count_orgs(db::Database& d) {
  return d.with_conn([](db::Conn& c) {
    auto q = c.prepare("SELECT COUNT(*) FROM org_units");
    REQUIRE(q->step().value());
    return q->get_int(0);
  });
}
// A job that writes a row, then fails on a unique violation (org unit "dup" must exist).
Status fails_after_writing(db::Conn& c) {
  if (auto s = insert_org(c, "written-then-undone"); !s) return s;
  return insert_org(c, "dup");
}
// A fresh database holding org unit "dup", and a writer on it.
struct Fixture {
  test::TempDir dir;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<db::GroupCommitWriter> w;
  Fixture() {
    auto d = db::Database::open(dir.file("a.db"), {});
    REQUIRE(d.ok());
    db = std::move(*d);
    auto started = db::GroupCommitWriter::start(*db);
    REQUIRE(started.ok());
    w = std::move(*started);
    REQUIRE(w->run([](db::Conn& c) { return insert_org(c, "dup"); }).ok());
  }
};
}  // namespace

TEST_CASE("concurrent jobs all commit, in fewer transactions than jobs") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto w = db::GroupCommitWriter::start(**d);
  REQUIRE(w.ok());
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto s = (*w)->run([&](db::Conn& c) {
          return insert_org(c, std::to_string(t) + "-" + std::to_string(i));
        });
        if (s) ok++;
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(ok == kThreads * kEach);
  CHECK(count_orgs(**d) == kThreads * kEach);
  auto st = (*w)->stats();
  CHECK(st.jobs == kThreads * kEach);
  CHECK(st.batches < st.jobs);  // grouping happened
}

TEST_CASE("a failing job rolls back alone; its batch-mates commit") {
  Fixture f;
  auto failing = f.w->run(fails_after_writing);
  REQUIRE_FALSE(failing.ok());
  CHECK(failing.error().kind == ErrorKind::kConflict);
  CHECK(count_orgs(*f.db) == 1);  // "written-then-undone" rolled back with its job
}

namespace {
// Holds the writer inside a job until `release` is set, so that the jobs sent meanwhile wait
// in the queue and then run as one batch.
struct Gate {
  std::atomic<bool> inside{false}, release{false};
  std::thread holder;
  void hold(db::GroupCommitWriter& w) {
    holder = std::thread([&w, this] {
      CHECK(w.run([&](db::Conn&) {
               inside = true;
               while (!release) std::this_thread::yield();
               return ok_status();
             }).ok());
    });
    while (!inside) std::this_thread::yield();
  }
  void open(db::GroupCommitWriter& w, size_t queued) {
    while (w.stats().queued < queued) std::this_thread::yield();
    release = true;
    holder.join();
  }
};
}  // namespace

TEST_CASE("under load a small batch waits for company; a writer not under load never waits") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  // A linger far longer than the test: a batch that waited it out would show in the clock.
  using Clock = std::chrono::steady_clock;
  auto started =
      db::GroupCommitWriter::start(**d, 256, {.jobs = 4, .wait = std::chrono::seconds(10)});
  REQUIRE(started.ok());
  auto& w = **started;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };

  // Not under load: the first batch, then a lone job right after a lone job, go at once.
  const auto t0 = Clock::now();
  REQUIRE(w.run([](db::Conn& c) { return insert_org(c, "first"); }).ok());
  REQUIRE(w.run([](db::Conn& c) { return insert_org(c, "second"); }).ok());
  CHECK(seconds_since(t0) < 5);
  CHECK(w.stats().batches == 2);

  // A batch of two (queued behind a held job) puts the writer under load.
  Gate gate;
  gate.hold(w);
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&, i] {
      CHECK(w.run([i](db::Conn& c) { return insert_org(c, "pair" + std::to_string(i)); }).ok());
    });
  }
  gate.open(w, 2);
  for (auto& t : ts) t.join();
  ts.clear();
  const auto before = w.stats();
  CHECK(before.batches == 4);  // the two lone jobs, the held one, the pair

  // Four jobs arriving one by one now wait for each other: one batch, and no 10 s wait.
  const auto t1 = Clock::now();
  for (int i = 0; i < 4; ++i) {
    // The earlier ones stay queued while the writer waits (a writer that did not would have
    // taken them: give up after 5 s, and the checks below fail).
    while (w.stats().queued < static_cast<size_t>(i) && seconds_since(t1) < 5) {
      std::this_thread::yield();
    }
    CHECK(w.stats().queued == static_cast<size_t>(i));
    ts.emplace_back([&, i] {
      CHECK(w.run([i](db::Conn& c) { return insert_org(c, "four" + std::to_string(i)); }).ok());
    });
  }
  for (auto& t : ts) t.join();
  CHECK(seconds_since(t1) < 5);
  CHECK(w.stats().batches == before.batches + 1);
  CHECK(w.stats().jobs == before.jobs + 4);
  CHECK(count_orgs(**d) == 8);
}

TEST_CASE("repeatable jobs share a batch without savepoints, each run once when all succeed") {
  Fixture f;
  Gate gate;
  gate.hold(*f.w);
  std::atomic<int> runs{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&, i] {
      auto s = f.w->run(
          [&, i](db::Conn& c) {
            runs++;
            return insert_org(c, "r" + std::to_string(i));
          },
          db::GroupCommitWriter::Job::kRepeatable);
      CHECK(s.ok());
    });
  }
  gate.open(*f.w, 3);
  for (auto& t : ts) t.join();
  CHECK(runs == 3);
  CHECK(count_orgs(*f.db) == 4);
  CHECK(f.w->stats().batches == 3);  // "dup", the gate's, then the three together
  CHECK(f.w->stats().reruns == 0);
}

TEST_CASE("a repeatable job failing after it wrote: the batch runs again, that job undone alone") {
  Fixture f;
  Gate gate;
  gate.hold(*f.w);
  std::atomic<int> good_runs{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&, i] {
      auto s = f.w->run(
          [&, i](db::Conn& c) {
            good_runs++;
            return insert_org(c, "good" + std::to_string(i));
          },
          db::GroupCommitWriter::Job::kRepeatable);
      CHECK(s.ok());
    });
  }
  while (f.w->stats().queued < 2) std::this_thread::yield();
  ts.emplace_back([&] {
    auto s = f.w->run(fails_after_writing, db::GroupCommitWriter::Job::kRepeatable);
    CHECK_FALSE(s.ok());
    if (!s.ok()) CHECK(s.error().kind == ErrorKind::kConflict);
  });
  gate.open(*f.w, 3);
  for (auto& t : ts) t.join();
  CHECK(good_runs == 4);          // once without savepoints, once again with them
  CHECK(count_orgs(*f.db) == 3);  // dup, good0, good1
  CHECK(f.w->stats().reruns == 1);
}

TEST_CASE("a batch with a job that runs only once keeps its savepoints: nothing runs twice") {
  Fixture f;
  Gate gate;
  gate.hold(*f.w);
  std::atomic<int> once_runs{0};
  std::thread once([&] {
    auto s = f.w->run([&](db::Conn& c) {
      once_runs++;
      return insert_org(c, "once");
    });
    CHECK(s.ok());
  });
  while (f.w->stats().queued < 1) std::this_thread::yield();
  std::thread failing([&] {
    CHECK_FALSE(f.w->run(fails_after_writing, db::GroupCommitWriter::Job::kRepeatable).ok());
  });
  gate.open(*f.w, 2);
  once.join();
  failing.join();
  CHECK(once_runs == 1);
  CHECK(count_orgs(*f.db) == 2);  // dup, once
  CHECK(f.w->stats().reruns == 0);
}

TEST_CASE("jobs queued beyond the batch limit run in the next batches, each told its own outcome") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto started = db::GroupCommitWriter::start(**d, /*max_batch=*/3);
  REQUIRE(started.ok());
  auto& w = **started;
  REQUIRE(w.run([](db::Conn& c) { return insert_org(c, "dup"); }).ok());
  Gate gate;
  gate.hold(w);
  // Seven jobs wait behind the gate: batches of 3, 3 and 1. The fifth fails.
  std::vector<int> outcome(7, -1);
  std::vector<std::thread> ts;
  for (int i = 0; i < 7; ++i) {
    while (w.stats().queued < static_cast<size_t>(i)) std::this_thread::yield();
    ts.emplace_back([&, i] {
      auto s = w.run([i](db::Conn& c) {
        return i == 4 ? fails_after_writing(c) : insert_org(c, "q" + std::to_string(i));
      });
      outcome[static_cast<size_t>(i)] = s.ok() ? 1 : 0;
    });
  }
  gate.open(w, 7);
  for (auto& t : ts) t.join();
  CHECK(outcome == std::vector<int>{1, 1, 1, 1, 0, 1, 1});
  CHECK(count_orgs(**d) == 7);    // dup and the six that succeeded
  CHECK(w.stats().batches == 5);  // "dup", the gate's, then 3 + 3 + 1
  CHECK(w.stats().jobs == 9);
  CHECK(w.stats().queued == 0);
}

TEST_CASE("a job alone in its batch that fails is undone by the rollback, and not run again") {
  Fixture f;
  int runs = 0;
  auto s = f.w->run(
      [&](db::Conn& c) {
        ++runs;
        return fails_after_writing(c);
      },
      db::GroupCommitWriter::Job::kRepeatable);
  CHECK_FALSE(s.ok());
  CHECK(runs == 1);
  CHECK(count_orgs(*f.db) == 1);
  CHECK(f.w->run([](db::Conn& c) { return insert_org(c, "next"); }).ok());  // and it goes on
  CHECK(count_orgs(*f.db) == 2);
}

TEST_CASE("the writer counts the time its batches take and the CPU its thread spends") {
  Fixture f;
  const auto before = f.w->stats();
  CHECK(before.busy_ns > 0);  // the fixture's first job
  // A job that keeps the writer's CPU busy for 30 ms of its own thread's time.
  REQUIRE(f.w->run([&](db::Conn& c) {
               const uint64_t from = thread_cpu_ns();
               volatile uint64_t x = 0;
               while (thread_cpu_ns() - from < 30'000'000u) x = x + 1;
               return insert_org(c, "busy");
             })
              .ok());
  const auto after = f.w->stats();
  CHECK(after.batches == before.batches + 1);
  CHECK(after.cpu_ns - before.cpu_ns >= 30'000'000u);
  // Busy time is wall time: it holds the CPU time and the commit's fsync besides.
  CHECK(after.busy_ns - before.busy_ns >= 30'000'000u);
  // That job waited at least its 30 ms from being queued to its answer; counted alone (since
  // `before`), every percentile is its bucket's upper edge.
  const double waited = after.wait_percentile_ms(0.5, &before);
  CHECK(waited >= 30.0);
  CHECK(waited <= 100.25);  // past 100 ms on a slow machine: the last bucket
  CHECK(after.wait_percentile_ms(0.01, &before) == waited);
  CHECK(after.wait_percentile_ms(1.0, &before) == waited);
  // Since start, the fixture's first job is counted too: the median of the two is the quicker.
  CHECK(after.wait_percentile_ms(0.5) <= waited);
  CHECK(after.wait_percentile_ms(1.0) >= waited);
  CHECK(after.wait_percentile_ms(1.0, &after) == 0.0);  // none since `after`
  // The cumulative counts /metrics reports, and the sum: the 30 ms job took more than 30 ms.
  CHECK(after.waits_within(30.0) < after.jobs);
  CHECK(after.waits_within(30.0) <= after.waits_within(100.0));
  CHECK(after.waits_within(0) == 0);
  CHECK(after.waits_within(-1) == 0);
  CHECK(after.wait_ns - before.wait_ns >= 30'000'000u);
}

TEST_CASE("after stop, run answers unavailable and queued work was finished") {
  test::TempDir dir;
  auto d = db::Database::open(dir.file("a.db"), {});
  REQUIRE(d.ok());
  auto w = db::GroupCommitWriter::start(**d);
  REQUIRE(w.ok());
  REQUIRE((*w)->run([](db::Conn& c) { return insert_org(c, "a"); }).ok());
  (*w)->stop();
  (*w)->stop();  // idempotent
  auto s = (*w)->run([](db::Conn& c) { return insert_org(c, "b"); });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::kUnavailable);
  CHECK(count_orgs(**d) == 1);
}

namespace {
// The WAL header's checkpoint sequence number: SQLite adds one each time it starts the WAL
// over from its beginning (https://sqlite.org/fileformat2.html#walformat).
uint32_t wal_restarts(const std::string& wal_path) {
  std::FILE* f = std::fopen(wal_path.c_str(), "rb");
  if (!f) return 0;
  unsigned char h[16] = {};
  const size_t n = std::fread(h, 1, sizeof h, f);
  std::fclose(f);
  if (n < sizeof h) return 0;
  return uint32_t{h[12]} << 24 | uint32_t{h[13]} << 16 | uint32_t{h[14]} << 8 | h[15];
}
}  // namespace

TEST_CASE("under a steady stream of writes the WAL is started over, not grown for ever") {
  test::TempDir dir;
  const std::string path = dir.file("a.db");
  auto d = db::Database::open(path, {});
  REQUIRE(d.ok());
  auto w = db::GroupCommitWriter::start(**d);
  REQUIRE(w.ok());
  REQUIRE((*w)->run([](db::Conn& c) { return insert_org(c, "first"); }).ok());
  const uint32_t before = wal_restarts(path + "-wal");
  // Writes one after another, with no pause for the checkpoint thread to catch up: the WAL
  // must still be started over once a checkpoint pass (about once a second) has run. The
  // deadline only bounds a failure.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int i = 0;
  while (wal_restarts(path + "-wal") == before && std::chrono::steady_clock::now() < deadline) {
    const std::string code = "o" + std::to_string(i++);
    REQUIRE((*w)->run([&](db::Conn& c) { return insert_org(c, code); }).ok());
  }
  CHECK(wal_restarts(path + "-wal") != before);
  (*w)->stop();
  CHECK(count_orgs(**d) == i + 1);
}
