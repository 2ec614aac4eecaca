// What county admins do with connectors and deliveries: list, read and replace configs,
// preview the exact request for a sample answer, test-send, pause/resume, browse deliveries
// with their attempts, retry one or many (through the same limits), re-render dead ones after
// a mapping fix. Plain functions of plain inputs; the HTTP layer only decodes and encodes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/catalog.h"
#include "connectors/outbox/store.h"
#include "core/group_commit.h"

namespace yb::admin {

using Json = nlohmann::json;

struct DeliveryQuery {
  std::string status, connector;  // empty = any
  std::string org_unit;           // only this unit's subtree (within the caller's); empty = all
  int64_t from_ms = 0;            // created at or after (inclusive)
  int64_t to_ms = INT64_MAX;      // created before (exclusive)
  int64_t after_seq = 0;          // paging cursor (exclusive)
  int limit = 50;                 // 1..500
};

// "1767225600000" (milliseconds) or "2026-11-27" (midnight at UTC+offset; China time by
// default) -> milliseconds. nullopt for anything else.
std::optional<int64_t> parse_time_param(const std::string& s, int utc_offset_minutes = 480);

class ConnectorAdmin {
 public:
  ConnectorAdmin(db::Database& db, db::GroupCommitWriter& writer, Accounts& accounts,
                 Catalog& catalog, connectors::ConnectorStore& store,
                 connectors::HttpClient& client, const Clock& clock,
                 std::function<void()> wake_engine,
                 std::function<std::string(const std::string&)> breaker_state);

  // Role gate for every call here: county_admin or system_admin.
  static Status require_admin(const User& u);

  Result<Json> list();
  Result<Json> get(const std::string& id);
  Result<Json> put(const std::string& id, Json config);
  Status pause(const std::string& id, bool paused);
  // {"form", "values"} (values default: the demo sample) -> payload and the exact request.
  Result<Json> preview(const std::string& id, const Json& body);
  // Sends the preview request to the upstream now (marked X-Yibiao-Test: 1) and reports.
  Result<Json> test(const std::string& id, const Json& body);

  // Deliveries within the admin's org subtree.
  Result<Json> deliveries(const User& u, const DeliveryQuery& q);
  Result<Json> delivery(const User& u, const std::string& id);
  Result<Json> retry(const User& u, const std::string& id);
  Result<Json> rerender(const User& u, const std::string& id);
  // Makes every matching dead or retrying delivery due now; the engine sends them at the
  // connector's rate. {"status": "dead"|"retrying", "connector"?, "org_unit"?, "from"?, "to"?}
  // (org_unit, from and to as in DeliveryQuery / parse_time_param).
  Result<Json> bulk_retry(const User& u, const Json& filter);

  // A page of a feed connector's deliveries for the upstream pulling it, authorised by the
  // connector's own pull token (not a user session). Asking for the page after a cursor
  // acknowledges everything up to that cursor: those deliveries become "delivered".
  Result<Json> feed_page(const std::string& id, const std::string& token, const std::string& after,
                         std::optional<int> limit);

  struct SheetFile {
    std::string filename, content_type, bytes;
    int rows = 0;
  };
  // The spreadsheet of a spreadsheet connector's pending deliveries within the admin's scope,
  // in the upstream's column order and headers; they become "delivered" (one batch). With
  // `again`, the delivered ones are exported too and nothing changes. A non-empty `period`
  // ("2026-11-27", "2026-W48", "2026-11" for day/week/month connectors) keeps only the answers
  // received in that period (China time); the file is then named after the period.
  Result<SheetFile> export_sheet(const User& u, const std::string& id, const std::string& format,
                                 bool again, const std::string& period = "");

  Status put_secret(const User& u, const std::string& name, const std::string& value);
  Result<Json> secret_names();

 private:
  // Runs one status-guarded UPDATE of a delivery in the writer; kConflict when the delivery
  // changed meanwhile (no row matched). Wakes the engine and returns the delivery.
  Result<Json> guarded_update(const User& u, const std::string& id,
                              const std::function<Result<db::Stmt>(db::Conn&)>& prepare_bound);
  // One delivery with its payload as stored (delivery() masks it for roles that may not see
  // personal data, admin/masking.h).
  Result<Json> delivery_full(const User& u, const std::string& id);
  // kNotFound unless `org` is empty or a unit within the caller's subtree.
  Status check_org_filter(const User& u, const std::string& org);
  Result<std::pair<connectors::ConnectorPtr, Json>> render_sample(const std::string& id,
                                                                  const Json& body,
                                                                  connectors::HttpRequest* req);
  db::Database& db_;
  db::GroupCommitWriter& writer_;
  Accounts& accounts_;
  Catalog& catalog_;
  connectors::ConnectorStore& store_;
  connectors::HttpClient& client_;
  const Clock& clock_;
  std::function<void()> wake_;
  std::function<std::string(const std::string&)> breaker_state_;
};

}  // namespace yb::admin
