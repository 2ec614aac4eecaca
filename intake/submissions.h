// Intake: the path of one answer from a cadre to durable storage. Validates against the
// published form, checks org scope, and stores the submission through the group-commit writer
// (one transaction per batch; later the same transaction writes the delivery outbox). No
// upstream is ever called here. Thread-safe.
#pragma once
#include <array>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/catalog.h"
#include "connectors/outbox/outbox.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/group_commit.h"
#include "dedupe/registry.h"
#include "intake/burden.h"

namespace yb::intake {

using Json = nlohmann::json;

struct IntakeOptions {
  int utc_offset_minutes = 8 * 60;  // "today" for validation is the date in China (UTC+8)
};

// A decoded POST /api/v1/submissions body.
struct SubmitRequest {
  std::string form_id;
  std::string client_id;
  std::optional<std::string> org_unit;
  Json values;
  // Assisted entry: entered on behalf of a resident. "" (the cadre's own entry), "in_person",
  // "phone" or "paper"; paper_ref is the paper form's number (optional, at most 64 chars).
  std::string channel;
  std::string paper_ref;
  // Prefill (docs/dedupe.md): the person whose known values the form was opened with; the
  // server counts the answers accepted unchanged as `prefilled` (burden). Optional.
  std::optional<int64_t> prefill_subject;
  // A correction: the earlier submission (same form, caller's scope) this one replaces.
  std::optional<int64_t> supersedes;
};

// True for the channel values decode_submit_request accepts.
bool valid_channel(const std::string& c);

// Checks the envelope of a submission request (types, client_id format, unknown members) and
// returns it decoded. ALL problems at once, as kValidation. Pure.
// Moves `values` out of body.
Result<SubmitRequest> decode_submit_request(Json&& body);

struct Receipt {
  int64_t id = 0;
  std::string client_id;
  std::string form_id;
  int form_version = 0;
  std::string org_unit;
  int64_t received_at_ms = 0;
  bool replayed = false;           // the same client_id and content was stored before (answer 200)
  std::string channel, paper_ref;  // assisted entry (empty when not assisted)
  std::vector<connectors::DeliveryView> deliveries;  // one per connector taking this form
  std::optional<Burden> burden;                      // what this answer saved (burden.h)
  std::vector<dedupe::Linked> subjects;  // persons and household recorded (not on replays)
  int64_t supersedes = 0;                // the submission this one corrects (0: none)
  int64_t superseded_by = 0;             // the correction of this one (0: none; get() only)
  // The receipt as JSON text, written directly (the hot path: every submission's answer).
  std::string to_json_text() const;
  Json to_json() const;  // the same, as a document
};

struct StoredSubmission {
  Receipt receipt;
  std::string author;
  Json values;
  Json to_json() const;
};

class SubmissionService {
 public:
  // REQUIRES: every argument outlives the service.
  // `on_deliveries` is called after a commit that wrote deliveries (wakes the engine).
  SubmissionService(db::Database& db, db::GroupCommitWriter& writer, admin::Accounts& accounts,
                    admin::Catalog& catalog, connectors::ConnectorStore& connectors,
                    const Clock& clock, std::function<void()> on_deliveries = {},
                    IntakeOptions opts = {}, dedupe::SubjectRegistry* subjects = nullptr);

  // Stores an answer once. The same client_id with the same content returns the first
  // receipt with replayed=true; with other content kConflict. kForbidden outside the
  // author's scope, kValidation listing every problem, kNotFound for an unknown form.
  Result<Receipt> submit(const admin::User& author, const SubmitRequest& req);

  // The same from the request body as sent; `decode` turns the text into a request. A body
  // equal byte for byte to one the same author sent recently is a resend of that answer (an
  // offline queue or a retry sends the very same bytes): it is answered from the recent
  // receipt without being decoded. Copies racing each other wait for the first, as in submit().
  using Decoder = std::function<Result<SubmitRequest>(const std::string& body)>;
  Result<Receipt> submit_body(const admin::User& author, const std::string& body,
                              const Decoder& decode);

  // A stored submission, if it lies within the reader's scope (kNotFound otherwise, so that
  // existence is not revealed).
  Result<StoredSubmission> get(const admin::User& reader, int64_t id);

  // The author's latest submissions, newest first, with their deliveries (at most `limit`).
  Result<std::vector<StoredSubmission>> recent(const admin::User& author, int limit);

 private:
  // Fills r.deliveries (and, with `burden`, r.burden) from the database. Returns the count
  // of delivery changes read just before (connectors::delivery_changes).
  std::optional<uint64_t> load_deliveries(Receipt& r, bool burden = true);
  // Fills r.supersedes and r.superseded_by (corrections.cc).
  void load_corrections(Receipt& r);
  // In the writer job of a correction: the earlier submission exists in the author's scope
  // (kNotFound), has the same form (kValidation) and is not yet superseded (kConflict naming
  // the newer one); its deliveries' subject keys replace the planned ones, so that upstreams
  // that received the person get an update of the same record (corrections.cc).
  Status check_supersedes(db::Conn& c, const admin::User& author, const std::string& form_id,
                          int64_t earlier, std::vector<connectors::PlannedDelivery>& planned);
  // submit(), remembering the answer under body_key too when it is not empty.
  Result<Receipt> submit(const admin::User& author, const SubmitRequest& req,
                         const std::string& body_key);
  std::optional<Receipt> find_by_client_id(int64_t author_id, const std::string& client_id,
                                           std::string* content_hash);

  db::Database& db_;
  db::GroupCommitWriter& writer_;
  admin::Accounts& accounts_;
  admin::Catalog& catalog_;
  connectors::ConnectorStore& connectors_;
  const Clock& clock_;
  std::function<void()> on_deliveries_;
  IntakeOptions opts_;

  // Copies of one answer racing each other (a phone resending while the first copy is still
  // being stored) wait for the first and are then answered as replays, instead of being
  // validated and rendered again. Keyed by author and client_id.
  // Sharded by key, so that the many request threads seldom meet on one lock.
  struct InFlight {
    struct Slot {
      Event done;
    };
    struct Shard {
      std::mutex mu;
      std::unordered_map<std::string, std::shared_ptr<Slot>> keys;  // GUARDED_BY(mu)
    };
    static constexpr size_t kShards = 16;
    std::array<Shard, kShards> shards;
    Shard& shard(const std::string& key) { return shards[std::hash<std::string>{}(key) % kShards]; }
  };
  class InFlightGuard;
  InFlight in_flight_;

  // Recently stored answers, so that a resend is answered without reading its submission:
  // what is fixed about them, and their deliveries as of a count of delivery changes
  // (connectors::delivery_changes), reused while that count stands still. Bounded; the oldest
  // entry goes first. Keyed like InFlight, and findable by the digest of the body last sent
  // for them (submit_body).
  class RecentReceipts {
   public:
    struct Entry {
      std::string content_hash;
      Receipt receipt;  // without subjects; deliveries only when deliveries_at is set
      std::optional<uint64_t> deliveries_at;
      std::string body_key;  // "" when not sent through submit_body
    };
    // Entries are shared and never changed in place (refresh and put replace them), so that
    // the lock is held only to look one up, never while a receipt is copied.
    using EntryPtr = std::shared_ptr<const Entry>;
    EntryPtr find(const std::string& key);
    // The entry last stored with this body key, and its key.
    std::optional<std::pair<std::string, EntryPtr>> find_body(const std::string& body_key);
    // Keeps r's deliveries when deliveries_at is set: the count read before they were.
    void put(const std::string& key, const std::string& content_hash, const Receipt& r,
             std::optional<uint64_t> deliveries_at, const std::string& body_key);
    // Newer deliveries for a known entry, read after the count deliveries_at.
    void refresh(const std::string& key, const std::vector<connectors::DeliveryView>& deliveries,
                 std::optional<uint64_t> deliveries_at);

   private:
    static constexpr size_t kCapacity = 8192;
    std::mutex mu_;
    std::unordered_map<std::string, EntryPtr> entries_;  // GUARDED_BY(mu_)
    std::unordered_map<std::string, std::string> keys_;  // GUARDED_BY(mu_), body key -> key
    std::deque<std::string> order_;                      // GUARDED_BY(mu_), oldest first
  };
  RecentReceipts recent_;
  // A recent answer as it stands now: its deliveries re-read if any delivery changed since.
  Receipt recent_answer(const std::string& key, const RecentReceipts::Entry& known);

  dedupe::SubjectRegistry* subjects_;  // null: no subject registry (records nothing)
};

}  // namespace yb::intake
