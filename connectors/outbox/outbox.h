// The transactional outbox: the deliveries of one submission, planned (payloads rendered and
// frozen) from the connector snapshot and written in the SAME transaction as the submission.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/outbox/store.h"
#include "core/db.h"
#include "core/json_text.h"

namespace yb::connectors {

struct PlannedDelivery {
  std::string id;  // "msg_...": Idempotency-Key and webhook-id, never changes
  ConnectorPtr connector;
  std::string status;                  // "pending", "skipped" (when false), "dead" (mapping error)
  std::optional<std::string> payload;  // the frozen upstream document (JSON text, rendered
                                       // on the request thread, not the writer's)
  std::string error;                   // why dead
  std::string subject_key;             // hashed identity of the record upstream ("" = none)
  int entries = 0;                     // entries in the payload (count_entries)
};

// Pure apart from id generation: one entry per connector of the snapshot.
std::vector<PlannedDelivery> plan_deliveries(const std::vector<ConnectorEntry>& connectors,
                                             const std::string& form_id,
                                             const nlohmann::json& values, const std::string& today,
                                             int64_t now_ms);

// The hashed key under which an upstream's record id is remembered for this answer.
std::string subject_key_for(const Connector& c, const nlohmann::json& values);

// Writes the planned deliveries. REQUIRES: inside the submission's transaction.
Status insert_deliveries(db::Conn& c, int64_t submission_id, const std::string& org_code,
                         int64_t now_ms, const std::vector<PlannedDelivery>& planned);

struct DeliveryView {
  std::string id, connector, connector_name, status, last_error;
  std::optional<std::string> upstream_id;
  int attempts = 0;
  // {"id", "connector", "name", "status", "attempts"[, "last_error"][, "upstream_id"]}
  void write(JsonWriter& w) const;
  nlohmann::json to_json() const;
};

// The table deliveries live in. The composition root has the Database watch it
// (db::Options::watched_tables), so that a copy of a submission's deliveries can be reused
// while delivery_changes() stands still.
inline constexpr const char* kDeliveriesTable = "deliveries";
// Committed changes to stored deliveries so far (new deliveries aside); nullopt when the
// table is not watched, and then nothing read from it may be reused.
std::optional<uint64_t> delivery_changes(const db::Database& db);

// The deliveries of a submission, ordered by connector id.
Result<std::vector<DeliveryView>> deliveries_of(db::Conn& c, int64_t submission_id,
                                                const std::vector<ConnectorEntry>& connectors);

}  // namespace yb::connectors
