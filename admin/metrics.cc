#include "admin/metrics.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace yb::admin {
namespace {

// Prometheus label values escape backslash, double quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A counter of nanoseconds as seconds, to the microsecond (no exponent, however long the uptime).
std::string seconds(uint64_t ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu.%06llu",
                static_cast<unsigned long long>(ns / 1'000'000'000u),
                static_cast<unsigned long long>(ns % 1'000'000'000u / 1000u));
  return buf;
}

constexpr int64_t kBucketsMs[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

}  // namespace

Result<std::string> render_metrics(db::Database& db, connectors::ConnectorStore& store,
                                   const Clock& clock,
                                   const std::function<std::string(const std::string&)>& breaker,
                                   const std::function<db::GroupCommitWriter::Stats()>& writer) {
  std::ostringstream o;
  auto snap = store.snapshot();
  if (!snap) return snap.take_error();
  const int64_t now = clock.now_ms();
  auto st = db.with_conn([&](db::Conn& c) -> Status {
    // Submissions.
    {
      auto q = c.prepare("SELECT COUNT(*) FROM submissions");
      if (!q) return q.take_error();
      if (auto r = q->step(); !r) return r.take_error();
      o << "# HELP yibiao_submissions_total Submissions stored (corrections included).\n"
        << "# TYPE yibiao_submissions_total counter\n"
        << "yibiao_submissions_total " << q->get_int(0) << "\n";
    }
    // Deliveries by connector and status.
    {
      auto q = c.prepare(
          "SELECT connector_id, status, COUNT(*) FROM deliveries GROUP BY connector_id, status "
          "ORDER BY connector_id, status");
      if (!q) return q.take_error();
      o << "# HELP yibiao_deliveries Deliveries by connector and current status.\n"
        << "# TYPE yibiao_deliveries gauge\n";
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        o << "yibiao_deliveries{connector=\"" << label(q->get_text(0)) << "\",status=\""
          << label(q->get_text(1)) << "\"} " << q->get_int(2) << "\n";
      }
    }
    // Backlog and the age of the oldest unfinished delivery, for every connector (0 when none).
    {
      std::map<std::string, std::pair<int64_t, int64_t>> backlog;  // count, oldest created
      for (const auto& e : **snap) backlog[e.connector->id] = {0, now};
      auto q = c.prepare(
          "SELECT connector_id, COUNT(*), MIN(created_at) FROM deliveries WHERE status IN "
          "('pending', 'retrying', 'sending') GROUP BY connector_id");
      if (!q) return q.take_error();
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        backlog[q->get_text(0)] = {q->get_int(1), q->get_int(2)};
      }
      o << "# HELP yibiao_delivery_backlog Deliveries not yet finished (pending, retrying, "
           "sending).\n"
        << "# TYPE yibiao_delivery_backlog gauge\n";
      for (const auto& [id, b] : backlog) {
        o << "yibiao_delivery_backlog{connector=\"" << label(id) << "\"} " << b.first << "\n";
      }
      o << "# HELP yibiao_delivery_oldest_pending_age_seconds Age of the oldest unfinished "
           "delivery (0 when none).\n"
        << "# TYPE yibiao_delivery_oldest_pending_age_seconds gauge\n";
      for (const auto& [id, b] : backlog) {
        const double age =
            b.first > 0 ? static_cast<double>(std::max<int64_t>(0, now - b.second)) / 1000 : 0;
        o << "yibiao_delivery_oldest_pending_age_seconds{connector=\"" << label(id) << "\"} "
          << num(age) << "\n";
      }
    }
    // Attempt latency histograms.
    {
      std::string sql = "SELECT d.connector_id, COUNT(*), SUM(a.duration_ms)";
      for (size_t i = 0; i < std::size(kBucketsMs); ++i) {
        sql += ", SUM(CASE WHEN a.duration_ms <= " + std::to_string(kBucketsMs[i]) +
               " THEN 1 ELSE 0 END)";
      }
      sql +=
          " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id GROUP BY "
          "d.connector_id ORDER BY d.connector_id";
      auto q = c.prepare(sql);
      if (!q) return q.take_error();
      o << "# HELP yibiao_delivery_attempt_duration_seconds Time of each delivery attempt.\n"
        << "# TYPE yibiao_delivery_attempt_duration_seconds histogram\n";
      for (;;) {
        auto r = q->step();
        if (!r) return r.take_error();
        if (!*r) break;
        const std::string id = label(q->get_text(0));
        for (size_t i = 0; i < std::size(kBucketsMs); ++i) {
          o << "yibiao_delivery_attempt_duration_seconds_bucket{connector=\"" << id << "\",le=\""
            << num(kBucketsMs[i] / 1000.0) << "\"} " << q->get_int(3 + static_cast<int>(i)) << "\n";
        }
        o << "yibiao_delivery_attempt_duration_seconds_bucket{connector=\"" << id
          << "\",le=\"+Inf\"} " << q->get_int(1) << "\n";
        o << "yibiao_delivery_attempt_duration_seconds_sum{connector=\"" << id << "\"} "
          << num(static_cast<double>(q->get_int(2)) / 1000) << "\n";
        o << "yibiao_delivery_attempt_duration_seconds_count{connector=\"" << id << "\"} "
          << q->get_int(1) << "\n";
      }
    }
    // Audit log size.
    {
      auto q = c.prepare("SELECT COUNT(*) FROM audit_log");
      if (!q) return q.take_error();
      if (auto r = q->step(); !r) return r.take_error();
      o << "# HELP yibiao_audit_records Audit records kept (after retention pruning).\n"
        << "# TYPE yibiao_audit_records gauge\n"
        << "yibiao_audit_records " << q->get_int(0) << "\n";
    }
    return ok_status();
  });
  if (!st) return st.take_error();
  o << "# HELP yibiao_circuit_state Circuit breaker state per connector (1 for the current "
       "state).\n"
    << "# TYPE yibiao_circuit_state gauge\n";
  for (const auto& e : **snap) {
    const std::string cur = breaker ? breaker(e.connector->id) : "closed";
    for (const char* s : {"closed", "open", "half_open"}) {
      o << "yibiao_circuit_state{connector=\"" << label(e.connector->id) << "\",state=\"" << s
        << "\"} " << (cur == s ? 1 : 0) << "\n";
    }
  }
  o << "# HELP yibiao_connector_paused 1 when the connector is paused.\n"
    << "# TYPE yibiao_connector_paused gauge\n";
  for (const auto& e : **snap) {
    o << "yibiao_connector_paused{connector=\"" << label(e.connector->id) << "\"} "
      << (e.paused ? 1 : 0) << "\n";
  }
  if (writer) {
    // The single writer is the one serial stage of every write: its busy time growing nearly
    // as fast as the clock means answers queue for it (docs/operations.md, "Metrics").
    const auto w = writer();
    o << "# HELP yibiao_writer_batches_total Transactions the group-commit writer committed "
         "(this process).\n"
      << "# TYPE yibiao_writer_batches_total counter\n"
      << "yibiao_writer_batches_total " << w.batches << "\n"
      << "# HELP yibiao_writer_jobs_total Writes the group-commit writer ran: answers, claims, "
         "delivery results, admin changes (this process).\n"
      << "# TYPE yibiao_writer_jobs_total counter\n"
      << "yibiao_writer_jobs_total " << w.jobs << "\n"
      << "# HELP yibiao_writer_busy_seconds_total Time the writer spent on batches, commits and "
         "their fsync included (this process).\n"
      << "# TYPE yibiao_writer_busy_seconds_total counter\n"
      << "yibiao_writer_busy_seconds_total " << seconds(w.busy_ns) << "\n"
      << "# HELP yibiao_writer_cpu_seconds_total CPU time of the writer thread (this process).\n"
      << "# TYPE yibiao_writer_cpu_seconds_total counter\n"
      << "yibiao_writer_cpu_seconds_total " << seconds(w.cpu_ns) << "\n"
      << "# HELP yibiao_writer_queued Writes waiting for the writer's next batch.\n"
      << "# TYPE yibiao_writer_queued gauge\n"
      << "yibiao_writer_queued " << w.queued << "\n"
      << "# HELP yibiao_writer_wait_seconds Time from a write being queued to its batch's "
         "commit: under load, most of an answer's latency.\n"
      << "# TYPE yibiao_writer_wait_seconds histogram\n";
    for (const double le_ms : {1.0, 2.5, 5.0, 10.0, 20.0, 50.0, 100.0}) {
      o << "yibiao_writer_wait_seconds_bucket{le=\"" << num(le_ms / 1000) << "\"} "
        << w.waits_within(le_ms) << "\n";
    }
    o << "yibiao_writer_wait_seconds_bucket{le=\"+Inf\"} " << w.jobs << "\n"
      << "yibiao_writer_wait_seconds_sum " << seconds(w.wait_ns) << "\n"
      << "yibiao_writer_wait_seconds_count " << w.jobs << "\n";
  }
  return o.str();
}

}  // namespace yb::admin
