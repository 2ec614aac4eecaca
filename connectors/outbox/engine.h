// The delivery engine: claims due deliveries from the outbox with a lease, sends them through
// the connector (auth, Standard Webhooks signature, Idempotency-Key), records every attempt,
// and schedules retries, dead letters and pauses. Per connector: a queue of claimed work, a
// concurrency limit, a token bucket (a deferral is not an attempt) and a circuit breaker, so
// a slow or dead upstream never delays the others.
//
// Crash safety: a claimed delivery is 'sending' with a lease; if the process dies, the lease
// expires and the delivery is claimed again with the SAME delivery id, which upstreams use to
// recognise a repeat. Thread-safe; one engine per database.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "connectors/delivery/auth.h"
#include "connectors/delivery/policy.h"
#include "connectors/outbox/store.h"
#include "core/clock.h"
#include "core/group_commit.h"

namespace yb::connectors {

struct EngineOptions {
  int workers = 32;                    // sender threads shared by all connectors
  int queue_per_connector = 128;       // claimed-but-unsent deliveries held per connector
  int64_t lease_ms = 120'000;          // a claim not finished by then is claimed again
  int64_t poll_ms = 200;               // idle wait between claim rounds (wake() cuts it short)
  int64_t min_claim_interval_ms = 20;  // but never more than one round per this interval
  size_t response_excerpt_bytes = 512;
  int64_t sheet_flush_ms = 60'000;  // how often spreadsheet folders are written (sheets.h)
};

class DeliveryEngine {
 public:
  // REQUIRES: every reference outlives the engine; stop() before the writer stops.
  DeliveryEngine(db::Database& db, db::GroupCommitWriter& writer, ConnectorStore& store,
                 HttpClient& client, const Clock& clock, std::shared_ptr<spdlog::logger> log,
                 EngineOptions opts, std::function<double()> random_unit);
  ~DeliveryEngine();

  // Starts the scheduler and workers. Deliveries left 'sending' by a previous process are made
  // due at once (one engine per database; other gateways run with --delivery-workers 0).
  void start();
  // Stops claiming, lets in-flight sends finish and records them, releases claimed but unsent
  // deliveries (back to pending/retrying). Idempotent.
  void stop();
  // New deliveries were written: claim now rather than at the next poll.
  void wake();

  // One round on the calling thread (for tests driven by a ManualClock): claims what is due
  // and sends it, honouring limits. Returns the number of attempts made. REQUIRES: not started.
  size_t run_once();

  // "closed", "open" or "half_open" (for the admin view and metrics).
  std::string breaker_state(const std::string& connector_id);

 private:
  struct Item {
    int64_t seq = 0;
    std::string id, subject_key, payload;
    int64_t submission_id = 0;
    int attempts = 0;
  };
  struct Lane {
    std::deque<Item> queue;
    int inflight = 0;
    int64_t not_before_ms = 0;  // deferred by the rate limit or the breaker
    std::unique_ptr<TokenBucket> bucket;
    std::unique_ptr<CircuitBreaker> breaker;
    double rate = -1;
    int burst = -1;
    // When the last claim found due work yet could take none of it (all of it waits behind an
    // earlier delivery about the same person); -1 otherwise. Claims skip the lane for
    // poll_ms after that, or until an attempt to it is recorded.
    int64_t blocked_since_ms = -1;
  };

  // The outcome of one attempt, recorded in batches by the recorder thread.
  struct Recorded {
    std::string id, connector_id, subject_key, transport_error, excerpt, reason;
    int attempt = 0, http_status = 0;
    int64_t started_ms = 0, duration_ms = 0, next_attempt_ms = 0;
    Outcome outcome = Outcome::kRetry;
    std::optional<std::string> upstream_id, new_upstream_id;
  };
  static constexpr size_t kMaxUnrecorded = 4096;
  static constexpr size_t kRecordBatch = 1024;

  void scheduler_loop();
  void flush_sheets_if_due();  // scheduler thread only
  void recorder_loop();
  void enqueue_record(Recorded r);
  void record_batch(const std::vector<Recorded>& batch);
  void worker_loop();
  // Returns how many deliveries it queued for the workers.
  size_t claim_round(const std::vector<ConnectorEntry>& entries);  // REQUIRES: !mu_ held
  size_t claim(const ConnectorEntry& e, int want);
  // Picks the next sendable item; REQUIRES: mu_ held. False when none is ready.
  bool next_ready(int64_t now, ConnectorPtr* c, Item* item, int64_t* wait_ms);
  // One attempt: builds, authenticates, signs and sends the request and decides what next.
  Recorded send(const ConnectorPtr& c, Item item);
  void release(const std::vector<std::string>& ids);
  Lane& lane_locked(const Connector& c);

  db::Database& db_;
  db::GroupCommitWriter& writer_;
  ConnectorStore& store_;
  HttpClient& client_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  int64_t last_sheet_flush_ms_ = 0;  // scheduler thread only
  EngineOptions opts_;
  std::function<double()> random_unit_;
  Authenticator auth_;

  std::mutex mu_;
  std::condition_variable work_cv_, sched_cv_, record_cv_;
  std::deque<Recorded> results_;                        // GUARDED_BY(mu_)
  bool recorder_stop_ = false, recorder_done_ = false;  // GUARDED_BY(mu_)
  std::thread recorder_;
  std::map<std::string, Lane> lanes_;                        // GUARDED_BY(mu_)
  std::map<std::string, ConnectorPtr> connectors_;           // GUARDED_BY(mu_)
  std::set<std::string> claimed_;                            // GUARDED_BY(mu_)
  bool running_ = false, stopping_ = false, woken_ = false;  // GUARDED_BY(mu_)
  // The scheduler waits for woken_ (and not out its minimum interval between claim rounds,
  // when a notification would only wake it to sleep again).
  bool awaiting_wake_ = false;  // GUARDED_BY(mu_)
  // Sets woken_; true when the scheduler must be notified. REQUIRES: mu_ held.
  bool mark_woken_locked() {
    woken_ = true;
    return awaiting_wake_;
  }
  size_t rr_ = 0;  // GUARDED_BY(mu_) round-robin cursor
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

// The statement claiming due work for one connector (binds: lease until, now, connector, now,
// now, window, connector, limit). Public for the query-plan test: it must walk the partial work
// indexes, which it can only while it states their condition in their words (migration 10).
const char* claim_sql();

}  // namespace yb::connectors
