#include "gateway/app.h"

#include "connectors/outbox/outbox.h"

namespace yb::gateway {

Result<std::unique_ptr<App>> App::create(const AppConfig& cfg, const Clock& clock,
                                         std::shared_ptr<spdlog::logger> log,
                                         std::unique_ptr<connectors::HttpClient> http) {
  std::unique_ptr<App> a(new App());
  db::Options db_opts = cfg.db;
  db_opts.watched_tables.emplace_back(connectors::kDeliveriesTable);  // for resent answers
  auto db = db::Database::open(cfg.db_path, db_opts);
  if (!db) return db.take_error();
  a->db_ = std::move(*db);
  // Under load, a small batch waits up to 2 ms for 24 jobs (core/group_commit.h): bench/ingest
  // offered 4,000 answers/s, p99 12.7-16.7 against 15.5-28.3 ms, the writer busy 67-77 %
  // against 87-90 %.
  auto writer = db::GroupCommitWriter::start(*a->db_, /*max_batch=*/256,
                                             {.jobs = 24, .wait = std::chrono::milliseconds(2)},
                                             cfg.writer_priority);
  if (!writer) return writer.take_error();
  a->writer_ = std::move(*writer);
  if (cfg.writer_priority > 0 && !a->writer_->priority_raised()) {
    log->warn(
        "the database writer runs at the process's priority: raising it {} steps needs "
        "CAP_SYS_NICE (root, or LimitNICE= in a systemd unit); see --writer-priority",
        cfg.writer_priority);
  }
  a->accounts_ = std::make_unique<admin::Accounts>(*a->db_, clock, cfg.accounts);
  a->audit_ = std::make_unique<admin::AuditLog>(*a->db_, *a->writer_, clock);
  a->users_ = std::make_unique<admin::UserAdmin>(*a->db_, *a->accounts_, *a->audit_);
  a->allowlist_ = std::make_unique<connectors::HostAllowlist>(*a->db_, clock);
  a->catalog_ = std::make_unique<admin::Catalog>(*a->db_, clock);
  a->registry_ = std::make_unique<connectors::ConnectorRegistry>();
  connectors::register_builtin_connectors(*a->registry_);
  a->store_ = std::make_unique<connectors::ConnectorStore>(
      *a->db_, *a->registry_,
      [cat = a->catalog_.get()]() -> std::shared_ptr<const forms::Dictionary> {
        auto d = cat->dictionary();
        return d ? *d : nullptr;
      },
      clock);
  // Every request to an upstream passes the host allowlist first.
  a->http_ = connectors::make_guarded_http_client(
      http ? std::move(http) : connectors::make_http_client(), *a->allowlist_);
  a->deliver_ = cfg.deliver;
  a->engine_ = std::make_unique<connectors::DeliveryEngine>(
      *a->db_, *a->writer_, *a->store_, *a->http_, clock, log, cfg.engine,
      [] { return static_cast<double>(crypto::random_uniform(1'000'000)) / 1e6; });
  auto* engine = a->engine_.get();
  a->connector_admin_ = std::make_unique<admin::ConnectorAdmin>(
      *a->db_, *a->writer_, *a->accounts_, *a->catalog_, *a->store_, *a->http_, clock,
      [engine] { engine->wake(); },
      [engine](const std::string& id) { return engine->breaker_state(id); });
  a->config_io_ = std::make_unique<admin::ConfigIO>(*a->db_, *a->accounts_, *a->catalog_,
                                                    *a->store_, *a->registry_, *a->allowlist_);
  if (auto pruned = a->audit_->prune(cfg.audit_retention_days); !pruned) {
    return pruned.take_error();
  } else if (*pruned > 0) {
    log->info("audit log: pruned {} records older than {} days", *pruned, cfg.audit_retention_days);
  }
  a->registry_subjects_ = std::make_unique<dedupe::SubjectRegistry>();
  a->submissions_ = std::make_unique<intake::SubmissionService>(
      *a->db_, *a->writer_, *a->accounts_, *a->catalog_, *a->store_, clock,
      [engine] { engine->wake(); }, intake::IntakeOptions{}, a->registry_subjects_.get());
  a->subjects_ = std::make_unique<intake::SubjectService>(
      *a->db_, *a->writer_, *a->accounts_, *a->catalog_, *a->registry_subjects_, clock);

  auto boot = admin::bootstrap_admin(*a->accounts_, cfg.admin_password);
  if (!boot) return boot.take_error();
  a->bootstrap_ = *boot;
  if (cfg.demo) {
    std::string pw = cfg.demo_password;
    const bool already = a->accounts_->find_user("cadre1").has_value();
    if (pw.empty() && !already) pw = a->demo_password_ = crypto::random_password();
    if (pw.empty()) pw = crypto::random_password();  // unused: the demo is already seeded
    // The demo upstreams run on this machine: the demo allows 127.0.0.1 explicitly.
    if (auto st = a->allowlist_->add("127.0.0.1", "demo"); !st) return st.take_error();
    auto seed = admin::seed_demo(*a->accounts_, *a->catalog_, *a->store_, pw);
    if (!seed) return seed.take_error();
    a->demo_ = *seed;
  }
  // Connectors configured before the allowlist existed get nothing sent until the system
  // admin allows their hosts: say so at start rather than let deliveries fail quietly.
  if (auto hosts = a->allowlist_->list(); hosts && hosts->empty()) {
    if (auto snap = a->store_->snapshot(); snap && !(*snap)->empty()) {
      log->warn(
          "no upstream host is allowed yet: all {} connectors are refused at send time; "
          "allow hosts with PUT /api/v1/admin/upstream-hosts (system admin)",
          (*snap)->size());
    }
  }
  a->dashboard_ = std::make_unique<admin::Dashboard>(*a->db_, *a->accounts_, *a->store_, clock);
  a->form_editor_ = std::make_unique<admin::FormEditor>(*a->db_, *a->catalog_, *a->audit_);
  a->upstream_forms_ = std::make_unique<admin::UpstreamForms>(*a->db_, *a->catalog_, *a->audit_,
                                                              *a->connector_admin_, *a->allowlist_);
  a->org_units_ = std::make_unique<admin::OrgUnitAdmin>(*a->db_, *a->accounts_, *a->audit_);
  a->server_ = std::make_unique<Server>(
      Services{*a->accounts_, *a->catalog_, *a->submissions_, *a->subjects_, *a->connector_admin_,
               *a->store_, *a->db_, clock, std::move(log), *a->dashboard_, *a->audit_, *a->users_,
               *a->config_io_, *a->allowlist_,
               [engine](const std::string& id) { return engine->breaker_state(id); },
               *a->form_editor_, *a->upstream_forms_, *a->org_units_,
               [w = a->writer_.get()] { return w->stats(); }},
      cfg.server);
  return a;
}

void App::serve() {
  if (deliver_) engine_->start();
  server_->serve();
}

App::~App() {
  // Order matters: no request and no delivery may reach the writer after it stopped.
  server_.reset();
  if (engine_) engine_->stop();
  if (writer_) writer_->stop();
}

}  // namespace yb::gateway
