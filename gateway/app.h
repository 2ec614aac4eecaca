// The composition root: opens the database and builds every component in dependency order,
// passing each its dependencies. main() and the integration tests both start the gateway
// through App, so tests run exactly the wiring that ships.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "admin/accounts.h"
#include "admin/audit.h"
#include "admin/catalog.h"
#include "admin/config_io.h"
#include "admin/connector_admin.h"
#include "admin/demo.h"
#include "admin/form_editor.h"
#include "admin/org_units.h"
#include "admin/upstream_forms.h"
#include "admin/users.h"
#include "connectors/connector.h"
#include "connectors/delivery/allowlist.h"
#include "connectors/outbox/engine.h"
#include "connectors/outbox/store.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/group_commit.h"
#include "gateway/server.h"
#include "intake/subjects.h"
#include "intake/submissions.h"

namespace yb::gateway {

struct AppConfig {
  std::string db_path;
  db::Options db;
  ServerOptions server;
  admin::AccountsOptions accounts;
  connectors::EngineOptions engine;
  bool deliver = true;  // run the delivery engine in this process
  bool demo = false;
  std::string admin_password;          // for the first-start admin; empty = generate
  std::string demo_password;           // for demo users; empty = generate
  int64_t audit_retention_days = 190;  // audit records older than this are pruned at start
  int writer_priority = 10;  // nice steps the database writer runs above the rest (threads.h)
};

class App {
 public:
  // REQUIRES: clock outlives the App.
  // `http` is the client deliveries go out through (null: the real one).
  static Result<std::unique_ptr<App>> create(const AppConfig& cfg, const Clock& clock,
                                             std::shared_ptr<spdlog::logger> log,
                                             std::unique_ptr<connectors::HttpClient> http = {});
  ~App();

  Result<int> bind() { return server_->bind(); }
  // Starts the delivery engine (if configured) and serves until stop().
  void serve();
  // Stops accepting; serve() returns when in-flight requests finish. Thread-safe.
  void stop() { server_->stop(); }

  const admin::Bootstrap& bootstrap() const { return bootstrap_; }
  const admin::DemoSeed& demo() const { return demo_; }
  const std::string& generated_demo_password() const { return demo_password_; }
  admin::Accounts& accounts() { return *accounts_; }
  admin::Catalog& catalog() { return *catalog_; }
  db::Database& database() { return *db_; }
  connectors::ConnectorStore& connectors() { return *store_; }
  connectors::DeliveryEngine& engine() { return *engine_; }
  intake::SubmissionService& submissions() { return *submissions_; }
  intake::SubjectService& subjects() { return *subjects_; }
  admin::AuditLog& audit() { return *audit_; }
  connectors::HostAllowlist& upstream_hosts() { return *allowlist_; }
  admin::ConfigIO& config_io() { return *config_io_; }
  admin::FormEditor& form_editor() { return *form_editor_; }
  admin::UpstreamForms& upstream_forms() { return *upstream_forms_; }
  admin::OrgUnitAdmin& org_units() { return *org_units_; }
  db::GroupCommitWriter& writer() { return *writer_; }

 private:
  App() = default;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<db::GroupCommitWriter> writer_;
  std::unique_ptr<admin::Accounts> accounts_;
  std::unique_ptr<admin::AuditLog> audit_;
  std::unique_ptr<admin::UserAdmin> users_;
  std::unique_ptr<connectors::HostAllowlist> allowlist_;
  std::unique_ptr<admin::ConfigIO> config_io_;
  std::unique_ptr<admin::Catalog> catalog_;
  std::unique_ptr<connectors::ConnectorRegistry> registry_;
  std::unique_ptr<connectors::ConnectorStore> store_;
  std::unique_ptr<connectors::HttpClient> http_;
  std::unique_ptr<connectors::DeliveryEngine> engine_;
  std::unique_ptr<admin::ConnectorAdmin> connector_admin_;
  std::unique_ptr<dedupe::SubjectRegistry> registry_subjects_;
  std::unique_ptr<intake::SubmissionService> submissions_;
  std::unique_ptr<admin::Dashboard> dashboard_;
  std::unique_ptr<intake::SubjectService> subjects_;
  bool deliver_ = true;
  std::unique_ptr<admin::FormEditor> form_editor_;
  std::unique_ptr<admin::UpstreamForms> upstream_forms_;
  std::unique_ptr<admin::OrgUnitAdmin> org_units_;
  std::unique_ptr<Server> server_;
  admin::Bootstrap bootstrap_;
  admin::DemoSeed demo_;
  std::string demo_password_;
};

}  // namespace yb::gateway
