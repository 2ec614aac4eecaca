// The HTTP front door: decodes requests, calls the services, encodes answers. No domain logic
// here. httplib.h stays inside gateway/*.cc and gateway/routing.h.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "admin/accounts.h"
#include "admin/audit.h"
#include "admin/catalog.h"
#include "admin/config_io.h"
#include "admin/connector_admin.h"
#include "admin/dashboard.h"
#include "admin/form_editor.h"
#include "admin/org_units.h"
#include "admin/upstream_forms.h"
#include "admin/users.h"
#include "connectors/delivery/allowlist.h"
#include "core/clock.h"
#include "core/group_commit.h"
#include "intake/subjects.h"
#include "intake/submissions.h"

namespace yb::gateway {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0 = any free port
  int threads = 64;                 // worker threads; each keep-alive connection holds one
  size_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  int max_json_depth = 32;          // deeper JSON gets 400; reading stops at that depth
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  int keep_alive_timeout_s = 5;
  int keep_alive_max_requests = 1000;
  int listen_backlog = 1024;
  // Web pages' Content-Security-Policy also admits inline <script> elements (never inline
  // event handlers or styles), so tools such as axe-core can be injected. Demo mode only.
  bool web_allow_injected_scripts = false;
  // Serve HTTPS with this certificate chain and key (PEM files); both empty = plain HTTP.
  std::string tls_cert, tls_key;
  // Lets a Prometheus scraper read /metrics with "Authorization: Bearer <token>" instead of
  // an admin session; empty = sessions only.
  std::string metrics_token;
  // Reverse proxies whose X-Forwarded-For (its last entry) names the client for the audit log
  // and the login lockout; empty = the socket's peer address is the client.
  std::vector<std::string> trusted_proxies;
};

// Everything the handlers need, owned elsewhere (main wires it).
struct Services {
  admin::Accounts& accounts;
  admin::Catalog& catalog;
  intake::SubmissionService& submissions;
  intake::SubjectService& subjects;
  admin::ConnectorAdmin& connector_admin;
  connectors::ConnectorStore& connectors;
  db::Database& db;
  const Clock& clock;
  std::shared_ptr<spdlog::logger> log;
  admin::Dashboard& dashboard;
  // Security and operations (routes_security.cc).
  admin::AuditLog& audit;
  admin::UserAdmin& users;
  admin::ConfigIO& config_io;
  connectors::HostAllowlist& upstream_hosts;
  std::function<std::string(const std::string&)> breaker_state;
  // Dictionary, forms and upstream forms (routes_forms.cc).
  admin::FormEditor& form_editor;
  admin::UpstreamForms& upstream_forms;
  admin::OrgUnitAdmin& org_units;
  // The group-commit writer's figures, for /metrics (empty: none shown).
  std::function<db::GroupCommitWriter::Stats()> writer_stats = {};
};

class Server {
 public:
  Server(Services services, ServerOptions opts);
  ~Server();
  // Binds the listening socket; returns the bound port (useful with port 0).
  Result<int> bind();
  // Serves until stop(); returns after in-flight requests have finished. REQUIRES: bind().
  void serve();
  // Stops accepting; serve() returns once in-flight requests are done. Thread-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when the JSON text nests objects/arrays at most max_depth deep (strings are skipped).
// Cheap single pass, run before parsing untrusted bodies.
bool json_depth_within(std::string_view text, int max_depth);

}  // namespace yb::gateway
