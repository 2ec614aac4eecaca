// The county dashboard: the burden removed and the health of the upstream connections, for the
// caller's org subtree, broken down by its child units (townships, then villages). Figures per
// place and per system, never per cadre: no rankings, check-ins or online time, by design.
// Charts are SVG drawn here on the server (readable on a phone, no script), each with a title,
// a description and the numbers as text, so colour is never the only cue.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "connectors/outbox/store.h"
#include "core/clock.h"
#include "core/db.h"

namespace yb::admin {

// Answers and their burden (intake/burden.h) summed over a day or a place.
struct BurdenTotals {
  int64_t submissions = 0, typed = 0, prefilled = 0, delivered = 0;
  int64_t saved() const { return delivered > typed ? delivered - typed : 0; }
  void add(int64_t n, int64_t t, int64_t p, int64_t d) {
    submissions += n;
    typed += t;
    prefilled += p;
    delivered += d;
  }
  // {"submissions", "typed", "prefilled", "delivered", "saved"}
  nlohmann::json to_json() const;
};

struct DashboardDay : BurdenTotals {
  std::string date;  // China time, 2026-11-27
};

struct DashboardPlace : BurdenTotals {
  std::string code, name;
};

struct ConnectorHealth {
  std::string id, name;
  int64_t delivered = 0, dead = 0, backlog = 0;
  int64_t oldest_backlog_age_s = 0;  // 0 when there is no backlog
  std::string circuit;               // "paused" or "active"
};

// An upstream system's own form registered in admin/upstream_forms.h, and how much of it the
// unified form covers ("upstream forms consolidated into the unified form").
struct UpstreamFormCoverage {
  std::string id, name, system;
  int64_t fields = 0, covered = 0;
};

struct DashboardData {
  std::string root_code, root_name;
  std::vector<DashboardDay> days;                    // oldest first, one per day of the window
  std::vector<DashboardPlace> places;                // child units of the root with activity
  std::vector<ConnectorHealth> connectors;           // every connector, in id order
  std::vector<std::pair<std::string, int>> forms;    // unified form -> upstream systems it feeds
  std::vector<UpstreamFormCoverage> upstream_forms;  // in id order
  nlohmann::json to_json() const;
};

class Dashboard {
 public:
  // REQUIRES: all arguments outlive the dashboard.
  Dashboard(db::Database& db, Accounts& accounts, connectors::ConnectorStore& store,
            const Clock& clock);

  // The last `days` days (1-366) for the caller's subtree. County and system admins, auditors
  // and security admins read it; cadres get kForbidden.
  Result<DashboardData> data(const User& u, int days);

 private:
  db::Database& db_;
  Accounts& accounts_;
  connectors::ConnectorStore& store_;
  const Clock& clock_;
};

// Charts ("saved" | "prefill" | "places" | "health" | "coverage") as standalone SVG documents;
// unknown names are kNotFound.
Result<std::string> dashboard_chart(const DashboardData& d, const std::string& name);

}  // namespace yb::admin
