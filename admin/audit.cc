#include "admin/audit.h"

#include <algorithm>

#include "core/crypto.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

struct Tail {
  int64_t next_seq = 1;
  std::string prev_hash = AuditLog::kGenesis;
};

// Where the chain continues: after the last record, or at the anchor when everything before
// it was pruned, or at the genesis.
Result<Tail> tail(db::Conn& c) {
  Tail t;
  auto last = c.cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (!last) return last.take_error();
  auto r = (*last)->step();
  if (!r) return r.take_error();
  if (*r) {
    t.next_seq = (*last)->get_int(0) + 1;
    t.prev_hash = (*last)->get_text(1);
    return t;
  }
  auto a = c.cached("SELECT next_seq, prev_hash FROM audit_anchor WHERE id = 1");
  if (!a) return a.take_error();
  auto ra = (*a)->step();
  if (!ra) return ra.take_error();
  if (*ra) {
    t.next_seq = (*a)->get_int(0);
    t.prev_hash = (*a)->get_text(1);
  }
  return t;
}

}  // namespace

Json AuditRecord::to_json() const {
  return Json{{"seq", seq},
              {"at_ms", at_ms},
              {"actor", entry.actor},
              {"actor_role", entry.actor_role},
              {"action", entry.action},
              {"target", entry.target},
              {"remote_addr", entry.remote_addr},
              {"result", entry.result},
              {"detail", entry.detail},
              {"prev_hash", prev_hash},
              {"hash", hash}};
}

std::string AuditLog::record_hash(int64_t seq, int64_t at_ms, const AuditEntry& e,
                                  const std::string& detail_text, const std::string& prev_hash) {
  // nlohmann objects keep keys sorted, so this dump is canonical.
  Json content{{"seq", seq},
               {"at_ms", at_ms},
               {"actor", e.actor},
               {"actor_role", e.actor_role},
               {"action", e.action},
               {"target", e.target},
               {"remote_addr", e.remote_addr},
               {"result", e.result},
               {"detail", detail_text}};
  return crypto::sha256_hex(prev_hash + "\n" + dump(content));
}

Status AuditLog::append(db::Conn& c, const AuditEntry& e, int64_t at_ms) {
  auto t = tail(c);
  if (!t) return t.take_error();
  const std::string detail = dump(e.detail);
  const std::string h = record_hash(t->next_seq, at_ms, e, detail, t->prev_hash);
  auto q = c.cached(
      "INSERT INTO audit_log (seq, at_ms, actor, actor_role, action, target, remote_addr, "
      "result, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q) return q.take_error();
  (*q)->bind(1, t->next_seq).bind(2, at_ms).bind(3, e.actor).bind(4, e.actor_role);
  (*q)->bind(5, e.action).bind(6, e.target).bind(7, e.remote_addr).bind(8, e.result);
  (*q)->bind(9, detail).bind(10, t->prev_hash).bind(11, h);
  return (*q)->run();
}

Status AuditLog::record(const AuditEntry& e) {
  const int64_t now = clock_.now_ms();
  return writer_.run([&](db::Conn& c) { return append(c, e, now); });
}

Result<std::vector<AuditRecord>> AuditLog::query(const AuditQuery& qry) {
  std::string sql =
      "SELECT seq, at_ms, actor, actor_role, action, target, remote_addr, result, detail, "
      "prev_hash, hash FROM audit_log WHERE seq > ?";
  if (!qry.actor.empty()) sql += " AND actor = ?";
  if (!qry.action.empty()) sql += " AND action = ?";
  if (qry.from_ms) sql += " AND at_ms >= ?";
  if (qry.to_ms) sql += " AND at_ms < ?";
  sql += " ORDER BY seq LIMIT ?";
  return db_.with_conn([&](db::Conn& c) -> Result<std::vector<AuditRecord>> {
    auto q = c.prepare(sql);
    if (!q) return q.take_error();
    int i = 1;
    q->bind(i++, qry.after_seq);
    if (!qry.actor.empty()) q->bind(i++, qry.actor);
    if (!qry.action.empty()) q->bind(i++, qry.action);
    if (qry.from_ms) q->bind(i++, *qry.from_ms);
    if (qry.to_ms) q->bind(i++, *qry.to_ms);
    q->bind(i++, std::clamp(qry.limit, 1, 1000));
    std::vector<AuditRecord> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      AuditRecord rec;
      rec.seq = q->get_int(0);
      rec.at_ms = q->get_int(1);
      rec.entry.actor = q->get_text(2);
      rec.entry.actor_role = q->get_text(3);
      rec.entry.action = q->get_text(4);
      rec.entry.target = q->get_text(5);
      rec.entry.remote_addr = q->get_text(6);
      rec.entry.result = q->get_text(7);
      rec.entry.detail = Json::parse(q->get_text(8), nullptr, false);
      rec.prev_hash = q->get_text(9);
      rec.hash = q->get_text(10);
      out.push_back(std::move(rec));
    }
    return out;
  });
}

Result<int64_t> AuditLog::prune(int64_t retention_days) {
  const int64_t now = clock_.now_ms();
  const int64_t cutoff = now - retention_days * 86'400'000;
  int64_t dropped = 0;
  auto st = writer_.run([&](db::Conn& c) -> Status {
    dropped = 0;
    auto q = c.prepare(
        "SELECT seq, hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE "
        "at_ms < ?)");
    if (!q) return q.take_error();
    q->bind(1, cutoff);
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) return ok_status();
    const int64_t last = q->get_int(0);
    const std::string last_hash = q->get_text(1);
    q->reset();
    auto cnt = c.prepare("SELECT COUNT(*) FROM audit_log WHERE seq <= ?");
    if (!cnt) return cnt.take_error();
    cnt->bind(1, last);
    if (auto rc = cnt->step(); !rc) return rc.take_error();
    dropped = cnt->get_int(0);
    cnt->reset();
    auto up = c.prepare("UPDATE audit_anchor SET next_seq = ?, prev_hash = ? WHERE id = 1");
    if (!up) return up.take_error();
    up->bind(1, last + 1).bind(2, last_hash);
    if (auto s = up->run(); !s) return s;
    if (c.changes() == 0) {
      auto ins = c.prepare("INSERT INTO audit_anchor (id, next_seq, prev_hash) VALUES (1, ?, ?)");
      if (!ins) return ins.take_error();
      ins->bind(1, last + 1).bind(2, last_hash);
      if (auto s = ins->run(); !s) return s;
    }
    auto del = c.prepare("DELETE FROM audit_log WHERE seq <= ?");
    if (!del) return del.take_error();
    del->bind(1, last);
    if (auto s = del->run(); !s) return s;
    AuditEntry e{
        "system",
        "",
        "audit.prune",
        "audit_log",
        "local",
        "ok",
        Json{{"records", dropped}, {"through_seq", last}, {"retention_days", retention_days}}};
    return append(c, e, now);
  });
  if (!st) return st.take_error();
  return dropped;
}

Result<VerifyReport> AuditLog::verify(db::Database& db) {
  return db.with_conn([&](db::Conn& c) -> Result<VerifyReport> {
    VerifyReport rep;
    int64_t expect = 1;
    std::string prev = kGenesis;
    auto a = c.prepare("SELECT next_seq, prev_hash FROM audit_anchor WHERE id = 1");
    if (!a) return a.take_error();
    auto ra = a->step();
    if (!ra) return ra.take_error();
    if (*ra) {
      expect = a->get_int(0);
      prev = a->get_text(1);
    }
    a->reset();
    auto q = c.prepare(
        "SELECT seq, at_ms, actor, actor_role, action, target, remote_addr, result, detail, "
        "prev_hash, hash FROM audit_log ORDER BY seq");
    if (!q) return q.take_error();
    auto bad = [&](int64_t seq, std::string why) {
      rep.ok = false;
      rep.first_bad_seq = seq;
      rep.problem = std::move(why);
      return rep;
    };
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      const int64_t seq = q->get_int(0);
      if (seq != expect) {
        return bad(expect, "record " + std::to_string(expect) +
                               " is missing (deleted?): the next record found is " +
                               std::to_string(seq));
      }
      AuditEntry e;
      e.actor = q->get_text(2);
      e.actor_role = q->get_text(3);
      e.action = q->get_text(4);
      e.target = q->get_text(5);
      e.remote_addr = q->get_text(6);
      e.result = q->get_text(7);
      const std::string detail = q->get_text(8);
      const std::string stored_prev = q->get_text(9), stored_hash = q->get_text(10);
      if (stored_prev != prev) {
        return bad(seq, "record " + std::to_string(seq) +
                            " does not chain to the record before it (prev_hash differs)");
      }
      if (record_hash(seq, q->get_int(1), e, detail, prev) != stored_hash) {
        return bad(seq, "record " + std::to_string(seq) +
                            " was edited: its content no longer matches its hash");
      }
      prev = stored_hash;
      ++rep.records;
      rep.head_seq = seq;
      ++expect;
    }
    rep.head_hash = prev;
    return rep;
  });
}

const char* refusal_result(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kForbidden:
      return "denied";
    case ErrorKind::kValidation:
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kTooLarge:
      return "invalid";
    default:
      return "failed";
  }
}

}  // namespace yb::admin
