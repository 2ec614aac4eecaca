#include "core/group_commit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/threads.h"

namespace yb::db {
namespace {

using Time = std::chrono::steady_clock::time_point;

uint64_t ns_between(Time from, Time to) {
  return static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count()));
}

uint64_t ns_since(Time from) { return ns_between(from, std::chrono::steady_clock::now()); }

}  // namespace

// The jobs of one batch and their outcomes. Requests join the newest group until it is full;
// the writer takes the oldest. One event for the whole group: answering a batch is one wake-up
// system call for all its waiters, not one each. Shared, so that the writer's set() never
// touches freed memory.
struct GroupCommitWriter::Group {
  std::vector<std::function<Status(Conn&)>> jobs;
  std::vector<Job> kinds;
  std::vector<std::chrono::steady_clock::time_point> queued_at;  // one per job
  std::vector<Status> results;
  Event done;
};

Result<std::unique_ptr<GroupCommitWriter>> GroupCommitWriter::start(Database& db, size_t max_batch,
                                                                    Linger linger,
                                                                    int raise_priority) {
  auto conn = db.dedicated();
  if (!conn) return conn.take_error();
  auto cp = db.dedicated();
  if (!cp) return cp.take_error();
  // The writer's page cache holds 8 MB (SQLite's default: 2 MB): claims read a backlog's rows
  // and the recorder updates them soon after, and with the default the pages were read from
  // the file again (bench/delivery: 4,612-4,957/s -> 5,115-6,063/s, peak RSS 73-77 -> 80 MB).
  if (auto s = (*conn)->exec("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -8192"); !s) {
    return s.take_error();
  }
  std::unique_ptr<GroupCommitWriter> w(new GroupCommitWriter(std::move(*conn), max_batch, linger));
  w->checkpoint_conn_ = std::move(*cp);
  std::promise<bool> raised;
  auto started = raised.get_future();
  // The thread owns the promise, so nothing it touches is freed while it sets it.
  w->thread_ = std::thread([p = w.get(), raise_priority, raised = std::move(raised)]() mutable {
    name_this_thread("yb-writer");
    raised.set_value(raise_priority > 0 && change_this_threads_priority(raise_priority));
    p->loop();
  });
  w->priority_raised_ = started.get();
  w->checkpoint_thread_ = std::thread([p = w.get()] {
    name_this_thread("yb-checkpoint");
    p->checkpoint_loop();
  });
  return w;
}

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Conn> conn, size_t max_batch, Linger linger)
    : conn_(std::move(conn)), max_batch_(max_batch), linger_(linger) {}

GroupCommitWriter::~GroupCommitWriter() { stop(); }

Status GroupCommitWriter::run(std::function<Status(Conn&)> job, Job kind) {
  std::shared_ptr<Group> g;
  size_t at = 0;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      return Error::make(ErrorKind::kUnavailable, "shutting_down", "系统正在重启，请稍后重试",
                         "The gateway is shutting down; please retry shortly");
    }
    if (queue_.empty() || queue_.back()->jobs.size() >= max_batch_) {
      queue_.push_back(std::make_shared<Group>());
    }
    g = queue_.back();
    at = g->jobs.size();
    g->jobs.push_back(std::move(job));
    g->kinds.push_back(kind);
    g->queued_at.push_back(now);
    ++queued_;
  }
  // The writer waits for a first job, or (lingering) for a batch of linger_.jobs: other jobs
  // need not wake it.
  if (at == 0 || at + 1 == linger_.jobs) cv_.notify_one();
  g->done.wait();
  return std::move(g->results[at]);
}

void GroupCommitWriter::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  checkpoint_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  if (checkpoint_conn_) (void)checkpoint_conn_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

namespace {

// How many WAL frames a PASSIVE checkpoint pass found copied when it ended (-1: it failed).
int64_t passive_checkpoint(Conn& c) {
  auto q = c.prepare("PRAGMA wal_checkpoint(PASSIVE)");  // busy, log frames, frames copied
  if (!q) return -1;
  auto r = q->step();
  return r && *r ? q->get_int(2) : -1;
}

}  // namespace

void GroupCommitWriter::checkpoint_loop() {
  std::unique_lock lk(mu_);
  int64_t copied_before = 0;
  for (uint64_t pass = 1; !stopping_; ++pass) {
    checkpoint_cv_.wait_for(lk, kCheckpointEvery);
    if (stopping_) break;
    lk.unlock();
    // PASSIVE never blocks the writer; pages it cannot copy now are copied next time.
    // Twice: the second pass copies what was appended during the first, so what is left for
    // the writer to copy between two batches is short.
    (void)passive_checkpoint(*checkpoint_conn_);
    const int64_t copied = passive_checkpoint(*checkpoint_conn_);
    // A pass that does not reach the end of the WAL leaves the pages it copied unsynced. They
    // are flushed here, off the writer, and often: the WAL commits' fsyncs queue behind this
    // one, so it must stay short. Once a second, under load, ~30 MB of pages flushed at once
    // stalled a batch for 30-70 ms; every 100 ms, 3 MB take a few ms.
    if (copied != copied_before) (void)checkpoint_conn_->sync_database_file();
    copied_before = copied;
    // The writer's catch-up, which starts the WAL over, takes a batch's time: once a second.
    if (pass % kCatchUpEvery == 0) catch_up_.store(true, std::memory_order_release);
    lk.lock();
  }
}

double GroupCommitWriter::Stats::wait_percentile_ms(double p, const Stats* before) const {
  std::array<uint64_t, kWaitBuckets> n{};
  uint64_t total = 0;
  for (size_t i = 0; i < kWaitBuckets; ++i) {
    n[i] = waits[i] - (before ? before->waits[i] : 0);
    total += n[i];
  }
  if (total == 0) return 0;
  // The rank of the job at share p, counted from 1: ceil(p * total), at least the first.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(total))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kWaitBuckets; ++i) {
    seen += n[i];
    if (seen >= rank) return static_cast<double>(i + 1) * kWaitStepMs;
  }
  return static_cast<double>(kWaitBuckets) * kWaitStepMs;
}

uint64_t GroupCommitWriter::Stats::waits_within(double ms) const {
  if (!(ms > 0)) return 0;
  const auto end = std::min(kWaitBuckets - 1, static_cast<size_t>(std::lround(ms / kWaitStepMs)));
  uint64_t n = 0;
  for (size_t i = 0; i < end; ++i) n += waits[i];
  return n;
}

GroupCommitWriter::Stats GroupCommitWriter::stats() {
  std::lock_guard lk(mu_);
  Stats s = stats_;
  s.queued = queued_;
  return s;
}

bool GroupCommitWriter::run_batch(Group& batch, bool savepoints) {
  auto& results = batch.results;
  const size_t n = batch.jobs.size();
  results.assign(n, ok_status());
  Status tx = conn_->begin();
  if (tx) {
    for (size_t i = 0; i < n; ++i) {
      if (savepoints) {
        if (auto sp = conn_->exec_cached("SAVEPOINT job"); !sp) {
          results[i] = std::move(sp);
          continue;
        }
      }
      Status r = ok_status();
      try {
        r = batch.jobs[i](*conn_);
      } catch (const std::exception& e) {
        r = Error::make(ErrorKind::kInternal, "job_exception", "系统出错，请联系管理员", e.what());
      }
      if (!savepoints && !r) {
        // What the job wrote before failing cannot be undone alone: all of it is undone.
        conn_->rollback();
        for (auto& other : results) other = r;
        results[i] = std::move(r);
        return false;
      }
      if (r) {
        if (savepoints) (void)conn_->exec_cached("RELEASE job");
      } else if (conn_->in_transaction()) {
        (void)conn_->exec("ROLLBACK TO job; RELEASE job");
      }
      if (!conn_->in_transaction()) {
        // SQLite rolled the whole batch back (an I/O or memory error): nothing of it is
        // stored, so every job must hear so, and the rest must not run in autocommit.
        tx = r ? Status(Error::make(ErrorKind::kUnavailable, "db_rolled_back",
                                    "系统繁忙，请稍后重试", "the transaction was rolled back"))
               : r;
        break;
      }
      results[i] = std::move(r);
    }
    if (tx) tx = conn_->commit();
  }
  if (!tx) {
    conn_->rollback();
    for (auto& r : results) r = tx;
  }
  return true;
}

void GroupCommitWriter::loop() {
  for (;;) {
    std::shared_ptr<Group> batch;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (linger_.jobs > 0 && !stopping_ && last_jobs_ > 1 && queue_.size() == 1 &&
          queue_.front()->jobs.size() < linger_.jobs) {
        const auto first = queue_.front()->queued_at.front();
        if (first - last_answered_ < linger_.wait) {
          cv_.wait_until(lk, first + linger_.wait, [&] {
            return stopping_ || queue_.size() > 1 || queue_.front()->jobs.size() >= linger_.jobs;
          });
        }
      }
      if (queue_.empty()) return;  // stopping and drained
      batch = std::move(queue_.front());
      queue_.pop_front();
      queued_ -= batch->jobs.size();
    }
    const auto began = std::chrono::steady_clock::now();
    // A job alone in its batch needs no savepoint either: if it fails, the transaction is
    // rolled back, which undoes that job and nothing else.
    const bool alone = batch->jobs.size() == 1;
    const bool repeatable = std::all_of(batch->kinds.begin(), batch->kinds.end(),
                                        [](Job k) { return k == Job::kRepeatable; });
    bool rerun = false;
    if (!alone && !repeatable) {
      run_batch(*batch, /*savepoints=*/true);
    } else if (!run_batch(*batch, /*savepoints=*/false) && !alone) {
      rerun = true;
      run_batch(*batch, /*savepoints=*/true);
    }
    const auto answered = std::chrono::steady_clock::now();
    last_answered_ = answered;
    last_jobs_ = batch->jobs.size();
    const uint64_t busy = ns_between(began, answered), cpu = thread_cpu_ns();
    {
      std::lock_guard lk(mu_);
      constexpr auto kStepNs = static_cast<uint64_t>(Stats::kWaitStepMs * 1e6);
      for (const auto& t : batch->queued_at) {
        const uint64_t ns = ns_between(t, answered);
        // Bucket i holds (i, i + 1] steps, so that "at most" (/metrics' `le`) is exact.
        const uint64_t step = ns == 0 ? 0 : (ns - 1) / kStepNs;
        stats_.waits[std::min<uint64_t>(Stats::kWaitBuckets - 1, step)]++;
        stats_.wait_ns += ns;
      }
      stats_.batches++;
      stats_.jobs += batch->jobs.size();
      stats_.reruns += rerun ? 1 : 0;
      stats_.busy_ns += busy;
      stats_.cpu_ns = cpu;
    }
    batch->done.set();
    // The checkpoint thread copies the WAL as it was when it began, while batches go on being
    // appended: under a steady stream it never reaches the end, and SQLite starts the WAL over
    // only once all of it is copied, so the file would grow without bound (~50 MB a second
    // under load), every commit extending it. Here, between batches, nothing is appended: the
    // few frames written since that pass are copied at once, and the next transaction starts
    // the WAL from its beginning again (unless a reader still holds an older snapshot). After
    // the batch is answered: only the next one waits for the copy and its fsync.
    if (catch_up_.exchange(false, std::memory_order_acq_rel)) {
      const auto from = std::chrono::steady_clock::now();
      (void)conn_->exec("PRAGMA wal_checkpoint(PASSIVE)");
      const uint64_t took = ns_since(from), cpu = thread_cpu_ns();
      std::lock_guard lk(mu_);
      stats_.busy_ns += took;
      stats_.cpu_ns = cpu;
    }
  }
}

}  // namespace yb::db
