// Spreadsheet connectors with a `folder` deliver without an admin: their pending rows are
// written to files there and then marked delivered.
//   period = day | week | month: one file per CLOSED period (China time, UTC+8), named
//            "<connector>-<period key>" (e.g. "rural_revitalisation-2026-11-27"); the period
//            still running is left for later.
//   period = batch: everything pending, named "<connector>-batch-<first delivery id>".
// Files are written before the rows are marked, and each name depends only on its rows, so a
// crash in between rewrites the same file rather than producing a second one.
#pragma once

#include <string>
#include <vector>

#include "connectors/outbox/store.h"
#include "core/db.h"
#include "core/group_commit.h"

namespace yb::connectors {

struct SheetFlush {
  std::string connector;
  std::string period_key;  // "" for period = batch
  int rows = 0;
  std::vector<std::string> paths;
};

// Deliveries of a spreadsheet connector in one period: the period key of a delivery created at
// created_ms (China time), as period_key() in spreadsheet.h gives it.
std::string sheet_period_of(const std::string& period, int64_t created_ms);

// Writes every due file of every unpaused spreadsheet connector that has a folder. A connector
// whose folder cannot be written is skipped (its rows stay pending) and reported in `failed`.
Result<std::vector<SheetFlush>> flush_sheet_folders(db::Database& db, db::GroupCommitWriter& writer,
                                                    ConnectorStore& store, int64_t now_ms,
                                                    std::vector<Error>* failed = nullptr);

}  // namespace yb::connectors
