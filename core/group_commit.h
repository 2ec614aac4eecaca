// Group commit: many request threads hand small write jobs to one writer thread, which runs
// every job waiting at that moment inside ONE transaction (each under its own savepoint) and
// commits once, so one fsync makes a whole batch durable. run() returns only after the commit
// (synchronous=FULL), so an answered request survives a crash.
//
// WAL checkpoints run on a second thread (PASSIVE, ten times a second), not inside the
// writer's COMMIT as SQLite's automatic checkpoint would: copying the WAL back into the
// database file then never stalls the requests waiting on a commit. That thread also flushes
// the pages it copied, a few at a time. Once a second, after such a pass, the writer copies
// the few frames appended meanwhile, between two batches, so that the WAL is started over
// instead of growing for as long as the load lasts. Requests of one batch wait on one event, woken
// together.
//
// A job marked kRepeatable is one that may be run again from its start, against the database
// as it was before its first run, with the same outcome: it changes nothing but the database,
// and sets (never appends to) what it hands back. A batch of repeatable jobs alone runs without
// the per-job savepoints, which cost a sub-journal copy of every page a job first touches; if
// one of them fails, the whole transaction is rolled back and the batch run again, each job
// under its own savepoint as usual.
//
// Thread-safe. Jobs run on the writer thread, one at a time, and must not block on other jobs.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/db.h"

namespace yb::db {

class GroupCommitWriter {
 public:
  // How long a small batch may wait for company while the writer is under load. Every batch
  // costs the writer a commit (an fsync, ~1-2 ms, during which no job runs) and a rewrite of
  // each table's and index's last page, whatever its size: at a few thousand answers a second
  // in small batches the writer was busy ~90 % of the time, most of it on those fixed costs,
  // and bursts queued behind it. So when the previous batch held more than one job and ended
  // less than `wait` ago, a batch of fewer than `jobs` jobs waits until it has them or its
  // first job has waited `wait`. A writer that is not under load (the previous batch a lone
  // job, or long ago) never waits. jobs = 0 (the default, {}): never.
  struct Linger {
    size_t jobs;
    std::chrono::microseconds wait;
  };

  // REQUIRES: db outlives the writer. The writer thread runs `raise_priority` nice steps
  // above the thread that starts it, where the system allows (core/threads.h; 0: the same).
  static Result<std::unique_ptr<GroupCommitWriter>> start(Database& db, size_t max_batch = 256,
                                                          Linger linger = {},
                                                          int raise_priority = 0);
  ~GroupCommitWriter();  // stop()s

  // Runs job in the next batch. A job returning an error is rolled back alone (its savepoint)
  // and that error returned; the others in the batch still commit. If the commit itself fails,
  // every job of the batch gets the error. After stop(): kUnavailable.
  enum class Job { kOnce, kRepeatable };
  Status run(std::function<Status(Conn&)> job, Job kind = Job::kOnce);

  // Whether the writer thread runs at the raised priority start() asked for (false when the
  // system refused: no CAP_SYS_NICE). Set before start() returns.
  bool priority_raised() const { return priority_raised_; }

  // Stops accepting jobs, finishes the queued ones, joins the thread. Idempotent.
  void stop();

  struct Stats {
    uint64_t batches = 0, jobs = 0;
    uint64_t reruns = 0;  // batches of repeatable jobs run again with savepoints
    size_t queued = 0;    // jobs waiting for the next batch
    // Time spent running batches (COMMIT and its fsync included) and the catch-up checkpoints
    // between them, and the writer thread's CPU time, both since start. The one serial stage:
    // busy time growing nearly as fast as the clock means the writer is saturated; CPU time
    // per job is its cost.
    uint64_t busy_ns = 0, cpu_ns = 0;
    // How long jobs waited, from being queued to their batch's commit (their answer): counts
    // in steps of kWaitStepMs (bucket i: more than i steps, at most i + 1), the last bucket
    // holding every longer wait; and the sum of all waits. Under load this is most of a
    // write's latency.
    static constexpr double kWaitStepMs = 0.25;
    static constexpr size_t kWaitBuckets = 401;  // up to 100 ms, then "longer"
    std::array<uint64_t, kWaitBuckets> waits{};
    uint64_t wait_ns = 0;
    // The wait within which a share p (0..1] of the jobs counted since `before` (or since
    // start) were answered: the upper edge of its bucket, in ms (100.25: longer than 100 ms);
    // 0 when none were counted. REQUIRES: `before` is an earlier copy of the same writer's.
    double wait_percentile_ms(double p, const Stats* before = nullptr) const;
    // Jobs that waited at most `ms` since start (Prometheus' `le`): `ms` is taken to the
    // nearest bucket edge, 0 to 100 ms.
    uint64_t waits_within(double ms) const;
  };
  Stats stats();

 private:
  struct Group;
  GroupCommitWriter(std::unique_ptr<Conn> conn, size_t max_batch, Linger linger);
  void loop();
  // Runs the batch in one transaction and commits; with savepoints, a failing job is undone
  // alone. Without, false if a job failed: the transaction is then rolled back, and every
  // result is that job's error.
  bool run_batch(Group& batch, bool savepoints);
  void checkpoint_loop();
  // The checkpoint thread's pass, and every how many passes the writer catches up.
  static constexpr std::chrono::milliseconds kCheckpointEvery{100};
  static constexpr int kCatchUpEvery = 10;

  std::unique_ptr<Conn> conn_;
  std::unique_ptr<Conn> checkpoint_conn_;  // used only by checkpoint_thread_
  size_t max_batch_;
  Linger linger_{};
  // The writer thread's own: when the previous batch was answered, and how many jobs it held.
  std::chrono::steady_clock::time_point last_answered_{};
  size_t last_jobs_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable checkpoint_cv_;     // wakes only the checkpoint thread
  std::deque<std::shared_ptr<Group>> queue_;  // GUARDED_BY(mu_); batches not yet begun
  size_t queued_ = 0;                         // GUARDED_BY(mu_); jobs in queue_
  bool stopping_ = false;                     // GUARDED_BY(mu_)
  Stats stats_;                               // GUARDED_BY(mu_)
  std::thread thread_;
  std::thread checkpoint_thread_;
  std::atomic<bool> catch_up_{false};  // a checkpoint pass ended: the writer copies the rest
  bool priority_raised_ = false;       // written once, by start()
};

}  // namespace yb::db
