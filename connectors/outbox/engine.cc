#include "connectors/outbox/engine.h"

#include <algorithm>

#include "connectors/delivery/signing.h"
#include "connectors/outbox/sheets.h"
#include "core/threads.h"

namespace yb::connectors {
namespace {

using Json = nlohmann::json;

// The upstream's record id from a create response, per the connector's ResponseId.
std::optional<std::string> upstream_id_from(const ResponseId* rid, const HttpResponse& resp) {
  if (!rid) return std::nullopt;
  if (!rid->json_path.empty()) {
    auto j = Json::parse(resp.body, nullptr, false);
    const Json* cur = &j;
    size_t start = 0;
    const std::string& p = rid->json_path;
    while (cur && start <= p.size()) {
      size_t dot = p.find('.', start);
      std::string part =
          p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!cur->is_object() || !cur->contains(part)) {
        cur = nullptr;
        break;
      }
      cur = &(*cur)[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (cur && cur->is_string()) return cur->get<std::string>();
    if (cur && cur->is_number()) return cur->dump();
  }
  if (rid->location) {
    std::string loc = resp.header("Location");
    while (!loc.empty() && loc.back() == '/') loc.pop_back();
    auto slash = loc.rfind('/');
    if (!loc.empty()) return slash == std::string::npos ? loc : loc.substr(slash + 1);
  }
  return std::nullopt;
}

std::string redact(std::string text, const std::vector<std::string>& secrets, size_t limit) {
  // Mask before cutting, so that no part of a secret survives at the cut.
  if (text.size() > 64 * 1024) text.resize(64 * 1024);
  for (const auto& s : secrets) {
    if (s.size() < 4) continue;
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
      text.replace(at, s.size(), "***");
    }
  }
  if (text.size() > limit) text.resize(limit);
  return text;
}

}  // namespace

DeliveryEngine::DeliveryEngine(db::Database& db, db::GroupCommitWriter& writer,
                               ConnectorStore& store, HttpClient& client, const Clock& clock,
                               std::shared_ptr<spdlog::logger> log, EngineOptions opts,
                               std::function<double()> random_unit)
    : db_(db),
      writer_(writer),
      store_(store),
      client_(client),
      clock_(clock),
      log_(std::move(log)),
      opts_(opts),
      random_unit_(std::move(random_unit)),
      auth_(client) {}

DeliveryEngine::~DeliveryEngine() { stop(); }

void DeliveryEngine::start() {
  // One engine per database: whatever is still 'sending' was claimed by a process that is
  // gone (a crash or kill). Make it due now, with the same delivery id, rather than waiting
  // out its lease.
  int recovered = 0;
  auto s = writer_.run([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' "
        "END, lease_until = 0, next_attempt_at = ? WHERE status = 'sending'");
    if (!q) return q.take_error();
    q->bind(1, clock_.now_ms());
    if (auto st = q->run(); !st) return st;
    recovered = c.changes();
    return ok_status();
  });
  if (!s) log_->error("recovering claimed deliveries failed: {}", s.error().message.en);
  if (recovered > 0) log_->info("recovered {} deliveries claimed before a restart", recovered);
  std::lock_guard lk(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  recorder_stop_ = recorder_done_ = false;
  recorder_ = std::thread([this] {
    name_this_thread("yb-recorder");
    recorder_loop();
  });
  scheduler_ = std::thread([this] {
    name_this_thread("yb-scheduler");
    scheduler_loop();
  });
  for (int i = 0; i < opts_.workers; ++i) {
    workers_.emplace_back([this] {
      name_this_thread("yb-deliver");
      worker_loop();
    });
  }
}

void DeliveryEngine::stop() {
  {
    std::lock_guard lk(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  sched_cv_.notify_all();
  work_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& t : workers_) t.join();
  workers_.clear();
  {
    std::lock_guard lk(mu_);
    recorder_stop_ = true;  // record what the workers finished, then stop
  }
  record_cv_.notify_all();
  if (recorder_.joinable()) recorder_.join();
  std::vector<std::string> unsent;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, lane] : lanes_) {
      for (const auto& it : lane.queue) unsent.push_back(it.id);
      lane.queue.clear();
    }
    claimed_.clear();
    running_ = false;
  }
  release(unsent);
  if (!unsent.empty()) log_->info("delivery engine released {} unsent deliveries", unsent.size());
}

void DeliveryEngine::wake() {
  bool notify = false;
  {
    std::lock_guard lk(mu_);
    notify = mark_woken_locked();
  }
  if (notify) sched_cv_.notify_one();
}

std::string DeliveryEngine::breaker_state(const std::string& connector_id) {
  std::lock_guard lk(mu_);
  auto it = lanes_.find(connector_id);
  if (it == lanes_.end() || !it->second.breaker) return "closed";
  return it->second.breaker->state_name(clock_.now_ms());
}

DeliveryEngine::Lane& DeliveryEngine::lane_locked(const Connector& c) {
  Lane& l = lanes_[c.id];
  const Limits* lim = c.limits();
  const double rate = lim ? lim->rate_per_s : 1e9;
  const int burst = lim ? lim->burst : 1'000'000;
  if (!l.bucket || l.rate != rate || l.burst != burst) {
    l.bucket = std::make_unique<TokenBucket>(rate, burst, clock_.now_ms());
    l.rate = rate;
    l.burst = burst;
  }
  if (!l.breaker) {
    l.breaker = std::make_unique<CircuitBreaker>(lim ? lim->breaker_failures : 5,
                                                 (lim ? lim->breaker_open_s : 30) * 1000);
  }
  return l;
}

const char* claim_sql() {
  // The window: a bounded run of the oldest due work, so that a claim never walks the whole
  // backlog when many deliveries wait behind an earlier one for the same person. Pending
  // deliveries are always due (every way into 'pending' makes them due at once), so a pending
  // delivery earlier than any in the window is in it too. A delivery is taken only if it is
  // the first of its person in the window and no earlier one for that person is in backoff or
  // in flight (deliveries_subject_work holds exactly those).
  return "UPDATE deliveries SET status = 'sending', lease_until = ?, updated_at = ? "
         "WHERE seq IN (SELECT w.seq FROM ("
         "SELECT d.seq, d.subject_key, "
         "ROW_NUMBER() OVER (PARTITION BY d.subject_key ORDER BY d.seq) AS nth FROM ("
         "SELECT seq, subject_key FROM deliveries "
         "WHERE connector_id = ? "
         "AND (status = 'pending' OR status = 'retrying' OR status = 'sending') "
         "AND (status = 'pending' OR (status = 'retrying' AND next_attempt_at <= ?) OR "
         "(status = 'sending' AND lease_until <= ?)) "
         "ORDER BY seq LIMIT ?) d) w "
         "WHERE w.subject_key = '' OR (w.nth = 1 AND NOT EXISTS (SELECT 1 FROM deliveries x "
         "WHERE x.connector_id = ? AND x.subject_key = w.subject_key AND x.seq < w.seq "
         "AND (x.status = 'retrying' OR x.status = 'sending'))) "
         "ORDER BY w.seq LIMIT ?) "
         "RETURNING seq, id, submission_id, subject_key, payload, attempts";
}

size_t DeliveryEngine::claim(const ConnectorEntry& e, int want) {
  const int64_t now = clock_.now_ms();
  std::vector<Item> got;
  bool blocked = false;
  // Repeatable: it writes only to the database and sets its outputs afresh on every run.
  auto job = [&](db::Conn& c) -> Status {
    got.clear();
    blocked = false;
    auto q = c.cached(claim_sql());
    if (!q) return q.take_error();
    (*q)->bind(1, now + opts_.lease_ms).bind(2, now).bind(3, e.connector->id);
    (*q)->bind(4, now).bind(5, now).bind(6, want * 8).bind(7, e.connector->id).bind(8, want);
    for (;;) {
      auto r = (*q)->step();
      if (!r) return r.take_error();
      if (!*r) break;
      got.push_back(Item{(*q)->get_int(0), (*q)->get_text(1), (*q)->get_text(3), (*q)->get_text(4),
                         (*q)->get_int(2), static_cast<int>((*q)->get_int(5))});
    }
    if (!got.empty()) return ok_status();
    // Nothing taken: is anything due at all (then it all waits behind an earlier delivery)?
    auto due = c.cached(
        "SELECT 1 FROM deliveries WHERE connector_id = ? "
        "AND (status = 'pending' OR status = 'retrying' OR status = 'sending') "
        "AND (status = 'pending' OR (status = 'retrying' AND next_attempt_at <= ?) OR "
        "(status = 'sending' AND lease_until <= ?)) LIMIT 1");
    if (!due) return due.take_error();
    (*due)->bind(1, e.connector->id).bind(2, now).bind(3, now);
    auto r = (*due)->step();
    if (!r) return r.take_error();
    blocked = *r;
    return ok_status();
  };
  auto s = writer_.run(job, db::GroupCommitWriter::Job::kRepeatable);
  if (!s) {
    log_->error("claim for {} failed: {}", e.connector->id, s.error().message.en);
    return 0;
  }
  std::sort(got.begin(), got.end(), [](const Item& a, const Item& b) { return a.seq < b.seq; });
  size_t added = 0;
  std::lock_guard lk(mu_);
  Lane& lane = lane_locked(*e.connector);
  connectors_[e.connector->id] = e.connector;
  lane.blocked_since_ms = blocked ? now : -1;
  for (auto& it : got) {
    if (!claimed_.insert(it.id).second) continue;  // already queued here (lease renewed)
    lane.queue.push_back(std::move(it));
    ++added;
  }
  return added;
}

size_t DeliveryEngine::claim_round(const std::vector<ConnectorEntry>& entries) {
  const int64_t now = clock_.now_ms();
  std::vector<std::string> to_release;
  std::vector<std::pair<const ConnectorEntry*, int>> wanted;
  {
    std::lock_guard lk(mu_);
    for (const auto& e : entries) {
      if (!e.connector->pushes()) continue;
      Lane& lane = lane_locked(*e.connector);
      connectors_[e.connector->id] = e.connector;
      if (e.paused) {
        for (const auto& it : lane.queue) {
          to_release.push_back(it.id);
          claimed_.erase(it.id);
        }
        lane.queue.clear();
        continue;
      }
      // An open circuit gets no new work until its probe is due.
      if (lane.breaker->state(now) == CircuitBreaker::State::kOpen) continue;
      // Everything due waits behind an earlier delivery about the same person: claiming again
      // on every new answer would only scan the same blocked rows. Claims resume after poll_ms
      // or as soon as an attempt to this upstream is recorded.
      if (lane.blocked_since_ms >= 0 && now - lane.blocked_since_ms < opts_.poll_ms) continue;
      const int room = opts_.queue_per_connector - static_cast<int>(lane.queue.size());
      if (room >= opts_.queue_per_connector / 2) wanted.push_back({&e, room});
    }
  }
  release(to_release);
  size_t queued = 0;
  for (auto [e, room] : wanted) queued += claim(*e, room);
  return queued;
}

void DeliveryEngine::scheduler_loop() {
  for (;;) {
    {
      std::unique_lock lk(mu_);
      if (stopping_) return;
    }
    auto snap = store_.snapshot();
    size_t queued = 0;
    if (snap) {
      queued = claim_round(**snap);
      flush_sheets_if_due();
    } else {
      log_->error("delivery engine: cannot read connectors: {}", snap.error().message.en);
    }
    // One idle worker per new delivery (not all of them on every round, to find nothing).
    for (size_t i = 0; i < std::min<size_t>(queued, workers_.size()); ++i) work_cv_.notify_one();
    std::unique_lock lk(mu_);
    // Claim rounds are write transactions: at most one per min_claim_interval_ms however
    // often submissions wake us (each one does), so claiming never crowds out intake.
    sched_cv_.wait_for(lk, std::chrono::milliseconds(opts_.min_claim_interval_ms),
                       [&] { return stopping_; });
    awaiting_wake_ = true;
    sched_cv_.wait_for(lk, std::chrono::milliseconds(opts_.poll_ms),
                       [&] { return stopping_ || woken_; });
    awaiting_wake_ = false;
    woken_ = false;
  }
}

void DeliveryEngine::flush_sheets_if_due() {
  const int64_t now = clock_.now_ms();
  if (now - last_sheet_flush_ms_ < opts_.sheet_flush_ms) return;
  last_sheet_flush_ms_ = now;
  std::vector<Error> failed;
  auto r = flush_sheet_folders(db_, writer_, store_, now, &failed);
  if (!r) {
    log_->error("spreadsheet folders: {}", r.error().message.en);
    return;
  }
  for (const auto& f : *r) {
    log_->info("spreadsheet {}: {} rows written to {} file(s) for period '{}'", f.connector, f.rows,
               f.paths.size(), f.period_key);
  }
  for (const auto& e : failed) log_->error("spreadsheet folder: {}", e.message.en);
}

bool DeliveryEngine::next_ready(int64_t now, ConnectorPtr* c, Item* item, int64_t* wait_ms) {
  *wait_ms = opts_.poll_ms;
  if (lanes_.empty()) return false;
  std::vector<std::string> ids;
  for (const auto& [id, lane] : lanes_) ids.push_back(id);
  for (size_t k = 0; k < ids.size(); ++k) {
    const std::string& id = ids[(rr_ + k) % ids.size()];
    Lane& lane = lanes_[id];
    if (lane.queue.empty()) continue;
    auto cit = connectors_.find(id);
    if (cit == connectors_.end()) continue;
    const Limits* lim = cit->second->limits();
    if (lane.inflight >= (lim ? lim->concurrency : 4)) continue;
    if (lane.not_before_ms > now) {
      *wait_ms = std::min(*wait_ms, lane.not_before_ms - now);
      continue;
    }
    int64_t wait = 0;
    if (!lane.bucket->try_take(now, &wait)) {
      // A deferral, not an attempt: the delivery stays claimed and goes when a token is due.
      lane.not_before_ms = now + std::max<int64_t>(wait, 1);
      *wait_ms = std::min(*wait_ms, std::max<int64_t>(wait, 1));
      continue;
    }
    // Asked only once a token is in hand, so a rate-limit deferral never takes (or gives back)
    // the half-open probe. A token spent while the circuit is open is simply not used.
    if (!lane.breaker->allow(now)) {
      lane.not_before_ms = now + 1000;
      *wait_ms = std::min<int64_t>(*wait_ms, 1000);
      continue;
    }
    *c = cit->second;
    *item = std::move(lane.queue.front());
    lane.queue.pop_front();
    lane.inflight++;
    rr_ = (rr_ + k + 1) % ids.size();
    return true;
  }
  return false;
}

void DeliveryEngine::worker_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    if (stopping_) return;
    ConnectorPtr c;
    Item item;
    int64_t wait = 0;
    if (next_ready(clock_.now_ms(), &c, &item, &wait)) {
      lk.unlock();
      enqueue_record(send(c, std::move(item)));
      lk.lock();
      bool low = false;
      for (const auto& [id, lane] : lanes_) {
        if (static_cast<int>(lane.queue.size()) < opts_.queue_per_connector / 2) low = true;
      }
      if (low && mark_woken_locked()) sched_cv_.notify_one();
      continue;
    }
    work_cv_.wait_for(lk, std::chrono::milliseconds(std::max<int64_t>(wait, 1)));
  }
}

size_t DeliveryEngine::run_once() {
  auto snap = store_.snapshot();
  if (!snap) return 0;
  claim_round(**snap);
  flush_sheets_if_due();
  size_t n = 0;
  for (;;) {
    ConnectorPtr c;
    Item item;
    int64_t wait = 0;
    {
      std::lock_guard lk(mu_);
      if (!next_ready(clock_.now_ms(), &c, &item, &wait)) break;
    }
    record_batch({send(c, std::move(item))});
    ++n;
  }
  // Whatever is still queued (deferred) goes back to the outbox, as a stopped engine would.
  std::vector<std::string> unsent;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, lane] : lanes_) {
      for (const auto& it : lane.queue) unsent.push_back(it.id);
      lane.queue.clear();
    }
    claimed_.clear();
  }
  release(unsent);
  return n;
}

void DeliveryEngine::release(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  auto s = writer_.run([&](db::Conn& c) -> Status {
    for (const auto& id : ids) {
      auto q = c.cached(
          "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' "
          "END, lease_until = 0 WHERE id = ? AND status = 'sending'");
      if (!q) return q.take_error();
      (*q)->bind(1, id);
      if (auto st = (*q)->run(); !st) return st;
    }
    return ok_status();
  });
  if (!s) log_->error("releasing deliveries failed: {}", s.error().message.en);
}

DeliveryEngine::Recorded DeliveryEngine::send(const ConnectorPtr& c, Item item) {
  const int64_t started = clock_.now_ms();
  const int attempt = item.attempts + 1;
  std::vector<std::string> used_secrets;
  auto secrets = [&](const std::string& name) -> std::optional<std::string> {
    auto v = store_.secret(name);
    if (v) used_secrets.push_back(*v);
    return v;
  };

  // An update when the upstream already holds this person's record.
  std::optional<std::string> upstream_id;
  Status lookup = ok_status();
  if (!item.subject_key.empty()) {
    auto found = db_.with_conn([&](db::Conn& conn) -> Result<std::optional<std::string>> {
      auto q = conn.cached(
          "SELECT upstream_id FROM upstream_records WHERE connector_id = ? AND subject_key = ?");
      if (!q) return q.take_error();
      (*q)->bind(1, c->id).bind(2, item.subject_key);
      auto r = (*q)->step();
      if (!r) return r.take_error();
      if (!*r) return std::optional<std::string>();
      return std::optional<std::string>((*q)->get_text(0));
    });
    // Not knowing whether the upstream holds this person's record is not "it does not": a
    // create sent then would give it a second record. Try again later instead.
    if (found)
      upstream_id = *found;
    else
      lookup = found.take_error();
  }

  HttpResponse resp;
  Decision d;
  auto payload = Json::parse(item.payload, nullptr, false);
  RequestContext ctx{item.id, started / 1000, upstream_id};
  auto req = payload.is_discarded()
                 ? Result<HttpRequest>(Error::make(ErrorKind::kInternal, "payload", "",
                                                   "stored payload is not JSON"))
                 : c->build_request(payload, ctx, secrets);
  Status prepared = !lookup ? lookup : req ? ok_status() : Status(req.error());
  if (req && prepared && c->auth()) {
    prepared =
        auth_.apply(c->id, *c->auth(), c->send_options() ? *c->send_options() : SendOptions{},
                    secrets, started, *req);
  }
  if (req && prepared && !c->signing_secret_name().empty()) {
    auto secret = secrets(c->signing_secret_name());
    if (!secret) {
      prepared = Error::make(ErrorKind::kValidation, "missing_secret", "缺少签名密钥",
                             "signing secret " + c->signing_secret_name() + " is not set");
    } else {
      auto sig = webhook_signature(*secret, item.id, started / 1000, req->body);
      if (!sig) {
        prepared = sig.take_error();
      } else {
        req->headers.emplace_back("webhook-signature", *sig);
      }
    }
  }
  if (!prepared) {
    // A configuration problem: no request can be built. Retry on the schedule (the admin
    // may add the secret), without calling the upstream.
    resp.error = "config: " + prepared.error().message.en;
    d = decide(c->retry() ? *c->retry() : RetryPolicy{}, attempt, resp, started, random_unit_());
  } else {
    resp = client_.send(*req, c->send_options() ? *c->send_options() : SendOptions{});
    if (resp.status == 401 && c->auth() && c->auth()->type == "oauth2") auth_.invalidate(c->id);
    d = decide(c->retry() ? *c->retry() : RetryPolicy{}, attempt, resp, clock_.now_ms(),
               random_unit_());
  }
  {
    // The upstream exchange is over: free the connector's slot now, not after the attempt is
    // recorded (that waits for a commit and must not count against the upstream's limit).
    std::lock_guard lk(mu_);
    Lane& lane = lanes_[c->id];
    lane.inflight--;
    work_cv_.notify_one();
    const bool upstream_failed = prepared && d.outcome != Outcome::kDelivered;
    if (upstream_failed && (resp.status == 0 || resp.status >= 500 || resp.status == 429)) {
      lane.breaker->on_failure(clock_.now_ms());
    } else if (prepared) {
      lane.breaker->on_success();
    }
  }
  Recorded rec;
  rec.id = item.id;
  rec.connector_id = c->id;
  rec.subject_key = item.subject_key;
  rec.attempt = attempt;
  rec.started_ms = started;
  rec.duration_ms = resp.duration_ms;
  rec.http_status = resp.status;
  rec.transport_error = redact(resp.error, used_secrets, 512);
  rec.excerpt = redact(resp.body, used_secrets, opts_.response_excerpt_bytes);
  rec.outcome = d.outcome;
  rec.reason = d.reason;
  rec.next_attempt_ms = d.outcome == Outcome::kRetry ? d.next_attempt_ms : clock_.now_ms();
  rec.upstream_id = upstream_id;
  if (d.outcome == Outcome::kDelivered)
    rec.new_upstream_id = upstream_id_from(c->response_id(), resp);
  return rec;
}

void DeliveryEngine::enqueue_record(Recorded r) {
  std::unique_lock lk(mu_);
  // Backpressure: senders wait while the recorder is far behind.
  record_cv_.wait(lk, [&] { return results_.size() < kMaxUnrecorded || recorder_done_; });
  results_.push_back(std::move(r));
  record_cv_.notify_all();
}

void DeliveryEngine::recorder_loop() {
  std::vector<Recorded> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      record_cv_.wait(lk, [&] { return !results_.empty() || recorder_stop_; });
      if (results_.empty() && recorder_stop_) {
        recorder_done_ = true;
        record_cv_.notify_all();
        return;
      }
      while (!results_.empty() && batch.size() < kRecordBatch) {
        batch.push_back(std::move(results_.front()));
        results_.pop_front();
      }
    }
    record_cv_.notify_all();
    record_batch(batch);
    batch.clear();
  }
}

void DeliveryEngine::record_batch(const std::vector<Recorded>& batch) {
  if (batch.empty()) return;
  const int64_t now = clock_.now_ms();
  // One job, one savepoint, one commit for the whole batch: attempts are small rows written
  // next to each other, so large batches write far fewer pages than one commit per attempt.
  auto s = writer_.run([&](db::Conn& conn) -> Status {
    for (const auto& r : batch) {
      const char* status = r.outcome == Outcome::kDelivered ? "delivered"
                           : r.outcome == Outcome::kDead    ? "dead"
                                                            : "retrying";
      auto a = conn.cached(
          "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, "
          "http_status, error, response_excerpt) VALUES (?, ?, ?, ?, ?, ?, ?)");
      if (!a) return a.take_error();
      (*a)->bind(1, r.id).bind(2, r.attempt).bind(3, r.started_ms).bind(4, r.duration_ms);
      (*a)->bind(5, r.http_status).bind(6, r.transport_error).bind(7, r.excerpt);
      if (auto st = (*a)->run(); !st) return st;
      auto u = conn.cached(
          "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = 0, "
          "last_error = ?, upstream_id = COALESCE(?, upstream_id), updated_at = ? WHERE id = ?");
      if (!u) return u.take_error();
      (*u)->bind(1, status).bind(2, r.attempt).bind(3, r.next_attempt_ms);
      (*u)->bind(4, r.outcome == Outcome::kDelivered ? std::string() : r.reason);
      (*u)->bind(5, r.new_upstream_id ? r.new_upstream_id : r.upstream_id);
      (*u)->bind(6, now).bind(7, r.id);
      if (auto st = (*u)->run(); !st) return st;
      if (r.new_upstream_id && !r.subject_key.empty()) {
        auto rec = conn.cached(
            "INSERT INTO upstream_records (connector_id, subject_key, upstream_id, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, subject_key) DO UPDATE SET "
            "upstream_id = excluded.upstream_id, updated_at = excluded.updated_at");
        if (!rec) return rec.take_error();
        (*rec)->bind(1, r.connector_id).bind(2, r.subject_key).bind(3, *r.new_upstream_id);
        (*rec)->bind(4, now);
        if (auto st = (*rec)->run(); !st) return st;
      }
    }
    return ok_status();
  });
  if (!s) {
    // The deliveries stay 'sending' and are sent again (same ids) after their lease.
    log_->error("recording {} delivery attempts failed: {}", batch.size(), s.error().message.en);
  }
  bool notify = false;
  {
    std::lock_guard lk(mu_);
    for (const auto& r : batch) {
      claimed_.erase(r.id);
      // A finished attempt may be what the upstream's other deliveries were waiting behind.
      if (auto it = lanes_.find(r.connector_id); it != lanes_.end()) {
        it->second.blocked_since_ms = -1;
      }
    }
    notify = mark_woken_locked();
  }
  for (const auto& r : batch) {
    if (r.outcome == Outcome::kPause) {
      log_->warn("connector {} paused: upstream answered {}", r.connector_id, r.reason);
      (void)store_.set_paused(r.connector_id, true, "upstream answered " + r.reason);
    } else if (r.outcome == Outcome::kDead) {
      log_->warn("delivery {} to {} is dead after {} attempt(s): {}", r.id, r.connector_id,
                 r.attempt, r.reason);
    }
  }
  if (notify) sched_cv_.notify_one();
}

}  // namespace yb::connectors
