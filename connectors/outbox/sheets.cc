#include "connectors/outbox/sheets.h"

#include <map>

#include "connectors/spreadsheet/spreadsheet.h"
#include "core/clock.h"

namespace yb::connectors {

namespace {

using Json = nlohmann::json;
constexpr int64_t kChinaOffsetMs = 8 * 3600'000;

struct Row {
  std::string id;
  int64_t created_ms = 0;
  Json payload;
};

Result<std::vector<Row>> pending_rows(db::Database& db, const std::string& connector_id) {
  return db.with_conn([&](db::Conn& c) -> Result<std::vector<Row>> {
    auto q = c.prepare(
        "SELECT id, created_at, payload FROM deliveries WHERE connector_id = ? AND "
        "status = 'pending' AND payload IS NOT NULL ORDER BY seq");
    if (!q) return q.take_error();
    q->bind(1, connector_id);
    std::vector<Row> rows;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      rows.push_back(
          Row{q->get_text(0), q->get_int(1), Json::parse(q->get_text(2), nullptr, false)});
    }
    return rows;
  });
}

Status mark_delivered(db::GroupCommitWriter& writer, const std::vector<std::string>& ids,
                      int64_t now_ms) {
  return writer.run([&](db::Conn& c) -> Status {
    for (const auto& id : ids) {
      auto q = c.cached(
          "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, updated_at = ? "
          "WHERE id = ? AND status = 'pending'");
      if (!q) return q.take_error();
      (*q)->bind(1, now_ms).bind(2, id);
      if (auto s = (*q)->run(); !s) return s;
    }
    return ok_status();
  });
}

}  // namespace

std::string sheet_period_of(const std::string& period, int64_t created_ms) {
  return period_key(period, iso_date_utc(created_ms + kChinaOffsetMs));
}

Result<std::vector<SheetFlush>> flush_sheet_folders(db::Database& db, db::GroupCommitWriter& writer,
                                                    ConnectorStore& store, int64_t now_ms,
                                                    std::vector<Error>* failed) {
  auto snap = store.snapshot();
  if (!snap) return snap.take_error();
  std::vector<SheetFlush> out;
  for (const auto& e : **snap) {
    const auto* sheet = dynamic_cast<const SpreadsheetConnector*>(e.connector.get());
    if (!sheet || sheet->folder.empty() || e.paused) continue;
    auto rows = pending_rows(db, sheet->id);
    if (!rows) return rows.take_error();
    if (rows->empty()) continue;
    // Group by period, oldest first; the running period is not closed yet.
    std::map<std::string, std::vector<const Row*>> groups;
    const bool batch = sheet->period == "batch";
    const std::string running = batch ? "" : sheet_period_of(sheet->period, now_ms);
    for (const auto& r : *rows) {
      const std::string key = batch ? "" : sheet_period_of(sheet->period, r.created_ms);
      if (!batch && key >= running) continue;  // keys of one kind sort in time order
      groups[key].push_back(&r);
    }
    for (const auto& [key, group] : groups) {
      std::vector<Json> payloads;
      std::vector<std::string> ids;
      for (const Row* r : group) {
        payloads.push_back(r->payload);
        ids.push_back(r->id);
      }
      const std::string stem = batch ? sheet->id + "-batch-" + ids.front() : sheet->id + "-" + key;
      auto paths = write_to_folder(*sheet, payloads, stem);
      if (!paths) {
        if (failed) failed->push_back(paths.error());
        break;  // later periods wait for this one
      }
      if (auto s = mark_delivered(writer, ids, now_ms); !s) return s.take_error();
      out.push_back(SheetFlush{sheet->id, key, static_cast<int>(ids.size()), std::move(*paths)});
    }
  }
  return out;
}

}  // namespace yb::connectors
