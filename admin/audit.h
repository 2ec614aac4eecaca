// The audit log: who did what, when, from where, with what result. Append-only and
// hash-chained: each record stores the hash of the record before it and its own hash over
// that and its canonical content, so editing or deleting a record breaks the chain at that
// record (verify() names it). SQLite triggers refuse UPDATE and DELETE as a second guard.
//
// Appends run on the GroupCommitWriter (the single writer serialises the chain); a change and
// its audit record can share one job through append(Conn&, ...). Retention pruning deletes
// only whole prefixes of the chain and moves the anchor (first kept seq + the hash it chains
// to) in the same transaction, so the kept records still verify. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/db.h"
#include "core/group_commit.h"
#include "core/result.h"

namespace yb::admin {

struct AuditEntry {
  std::string actor;        // username, "-" for an unknown or anonymous caller
  std::string actor_role;   // role name, "" when unknown
  std::string action;       // dotted verb: "login", "user.create", "connector.put" ...
  std::string target;       // what was acted on: a username, connector id, submission id
  std::string remote_addr;  // client address as the gateway saw it ("cli" for the CLI)
  std::string result;       // "ok", "denied", "failed", "invalid"
  nlohmann::json detail = nlohmann::json::object();  // small, never secrets or answers
};

struct AuditRecord {
  int64_t seq = 0;
  int64_t at_ms = 0;
  AuditEntry entry;
  std::string prev_hash, hash;
  nlohmann::json to_json() const;
};

struct AuditQuery {
  std::string actor, action;       // exact match; empty = any
  std::optional<int64_t> from_ms;  // inclusive
  std::optional<int64_t> to_ms;    // exclusive
  int64_t after_seq = 0;           // paging cursor (exclusive)
  int limit = 100;                 // 1..1000
};

struct VerifyReport {
  bool ok = true;
  int64_t records = 0;
  int64_t first_bad_seq = 0;  // when !ok
  std::string problem;        // when !ok: what is wrong with that record
  int64_t head_seq = 0;       // last record (when ok)
  std::string head_hash;
};

// The audit result of a refused request: "denied" (no right), "invalid" (bad input, too large)
// or "failed".
const char* refusal_result(const Error& e);

class AuditLog {
 public:
  // REQUIRES: db, writer and clock outlive the log.
  AuditLog(db::Database& db, db::GroupCommitWriter& writer, const Clock& clock)
      : db_(db), writer_(writer), clock_(clock) {}

  // Appends inside a job already running on the writer (same transaction as the change).
  static Status append(db::Conn& c, const AuditEntry& e, int64_t at_ms);
  // Appends in a job of its own.
  Status record(const AuditEntry& e);

  Result<std::vector<AuditRecord>> query(const AuditQuery& q);

  // Drops records older than retention_days (whole chain prefix), keeping the chain
  // verifiable through the anchor, and records the prune itself. Returns how many went.
  Result<int64_t> prune(int64_t retention_days);

  const Clock& clock() const { return clock_; }
  db::GroupCommitWriter& writer() { return writer_; }

  // Walks the whole chain from the anchor. Reads only.
  static Result<VerifyReport> verify(db::Database& db);

  // The hash of a record: sha256 over prev_hash and the canonical JSON of its content.
  static std::string record_hash(int64_t seq, int64_t at_ms, const AuditEntry& e,
                                 const std::string& detail_text, const std::string& prev_hash);

  static constexpr const char* kGenesis =
      "0000000000000000000000000000000000000000000000000000000000000000";

 private:
  db::Database& db_;
  db::GroupCommitWriter& writer_;
  const Clock& clock_;
};

}  // namespace yb::admin
