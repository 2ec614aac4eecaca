#include "gateway/options.h"

namespace yb::gateway {

const std::vector<OptionSpec>& serve_options() {
  static const std::vector<OptionSpec> kOptions = {
      {"db", "yibiao.db", "SQLite database file (created on first start)"},
      {"listen", "127.0.0.1:8080", "HOST:PORT to serve HTTP on (PORT 0 = any free port)"},
      {"config", "", "read options from this file (key = value lines; unknown keys are errors)"},
      {"demo", "", "seed the demo county, users and form on start (idempotent)", true},
      {"threads", "64", "HTTP worker threads; each open keep-alive connection holds one"},
      {"max-body", "1048576", "largest accepted request body in bytes (larger: 413)"},
      {"max-json-depth", "32", "deepest accepted JSON nesting (deeper: 400)"},
      {"read-timeout", "10", "seconds to wait for a request to arrive"},
      {"write-timeout", "10", "seconds to wait while sending an answer"},
      {"keep-alive-timeout", "5", "seconds an idle keep-alive connection stays open"},
      {"keep-alive-max", "1000", "requests served on one keep-alive connection before closing"},
      {"listen-backlog", "1024", "pending connections the kernel queues before accept"},
      {"session-idle", "1800", "seconds of inactivity after which a session token expires"},
      {"session-max", "43200", "seconds after which a session token expires regardless"},
      {"login-max-failures", "5", "failed logins per user or address before a lockout"},
      {"login-window", "900", "seconds over which failures count, and the lockout length"},
      {"db-pool", "4", "database connections for reads and small writes"},
      {"delivery-workers", "32", "threads sending deliveries to upstreams; 0 = no delivery here"},
      {"writer-priority", "10",
       "nice steps the database writer runs above the other threads (0-20; needs CAP_SYS_NICE)"},
      {"delivery-lease", "120", "seconds a claimed delivery stays claimed before it is retried"},
      {"log-level", "info", "trace, debug, info, warn, error or off"},
      {"tls-cert", "", "serve HTTPS with this PEM certificate chain (with --tls-key)"},
      {"tls-key", "", "the PEM private key for --tls-cert"},
      {"metrics-token", "", "bearer token that may read /metrics without an admin session"},
      {"trusted-proxy", "",
       "comma-separated proxy addresses whose X-Forwarded-For names the client"},
      {"audit-retention-days", "190",
       "audit records older than this many days are pruned at start"},
  };
  return kOptions;
}

}  // namespace yb::gateway
