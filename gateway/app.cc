#include "gateway/app.h"

namespace yb::gateway {

Result<std::unique_ptr<App>> App::create(const AppConfig& cfg, const Clock& clock,
                                         std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<App> a(new App());
  auto db = db::Database::open(cfg.db_path, cfg.db);
  if (!db) return db.take_error();
  a->db_ = std::move(*db);
  auto writer = db::GroupCommitWriter::start(*a->db_);
  if (!writer) return writer.take_error();
  a->writer_ = std::move(*writer);
  a->accounts_ = std::make_unique<admin::Accounts>(*a->db_, clock, cfg.accounts);
  a->catalog_ = std::make_unique<admin::Catalog>(*a->db_, clock);
  a->submissions_ = std::make_unique<intake::SubmissionService>(*a->db_, *a->writer_, *a->accounts_,
                                                                *a->catalog_, clock);

  auto boot = admin::bootstrap_admin(*a->accounts_, cfg.admin_password);
  if (!boot) return boot.take_error();
  a->bootstrap_ = *boot;
  if (cfg.demo) {
    std::string pw = cfg.demo_password;
    const bool already = a->accounts_->find_user("cadre1").has_value();
    if (pw.empty() && !already) pw = a->demo_password_ = crypto::random_password();
    if (pw.empty()) pw = crypto::random_password();  // unused: the demo is already seeded
    auto seed = admin::seed_demo(*a->accounts_, *a->catalog_, pw);
    if (!seed) return seed.take_error();
    a->demo_ = *seed;
  }
  a->server_ = std::make_unique<Server>(
      Services{*a->accounts_, *a->catalog_, *a->submissions_, clock, std::move(log)}, cfg.server);
  return a;
}

App::~App() {
  // Order matters: no request may reach the writer after it stopped.
  server_.reset();
  if (writer_) writer_->stop();
}

}  // namespace yb::gateway
