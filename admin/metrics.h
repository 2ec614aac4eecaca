// GET /metrics in the Prometheus text format (version 0.0.4), computed from the database at
// scrape time, so every gateway sharing one database reports the same figures and nothing is
// lost on restart. Circuit states come from this process's delivery engine, and the writer's
// figures (yibiao_writer_*, counted since this process started) from its group-commit writer.
//
// Cost: one GROUP BY over the unfinished deliveries (partial index), one over all deliveries
// by status, and one scan of delivery_attempts for the latency histograms — scrape every 30 s
// or more, not every second, on a large database.
#pragma once

#include <functional>
#include <string>

#include "connectors/outbox/store.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/group_commit.h"

namespace yb::admin {

// `writer` may be empty: no yibiao_writer_* figures then.
Result<std::string> render_metrics(db::Database& db, connectors::ConnectorStore& store,
                                   const Clock& clock,
                                   const std::function<std::string(const std::string&)>& breaker,
                                   const std::function<db::GroupCommitWriter::Stats()>& writer);

}  // namespace yb::admin
