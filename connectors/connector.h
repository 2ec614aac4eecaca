// Connectors: one per upstream system. A connector type (http_json, http_form, spreadsheet,
// feed) is registered by name in a ConnectorRegistry; each type lives in its own folder with
// its config parsing and behaviour. A parsed Connector is immutable and shared; a config
// change builds a new one and swaps it whole.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/http.h"
#include "connectors/mapping.h"
#include "core/result.h"
#include "forms/expr.h"
#include "forms/forms.h"

namespace yb::connectors {

// Delivery policy shared by the push types. Defaults are the documented ones.
struct RetryPolicy {
  // Delay before attempt n+1 after attempt n failed, in seconds; past the end: dead.
  // Default: 0 (immediately), 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
  std::vector<int64_t> schedule_s = {0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400};
  double jitter = 0.2;                      // ±20 %
  int64_t min_after_throttle_s = 60;        // at least this long after a timeout or 429
  std::vector<int> permanent_statuses;      // empty = every 4xx except 408 and 429
  std::vector<int> pause_statuses = {410};  // these pause the connector
};

struct Limits {
  int concurrency = 4;          // requests in flight to this upstream at once
  double rate_per_s = 50;       // token bucket refill rate
  int burst = 50;               // token bucket size
  int breaker_failures = 5;     // consecutive failures that open the circuit
  int64_t breaker_open_s = 30;  // how long it stays open before one half-open probe
};

// Authentication towards the upstream. Secret values are never stored here: `secret` names
// an entry of the secrets store (see SecretLookup), resolved when a request is built.
struct AuthConfig {
  std::string type = "none";                // none, basic, bearer, api_key, oauth2
  std::string username;                     // basic
  std::string secret;                       // name of the secret: password (basic), token (bearer),
                                            // key (api_key), client secret (oauth2)
  std::string header = "X-API-Key";         // api_key
  std::string token_url, client_id, scope;  // oauth2 client credentials
};

using SecretLookup = std::function<std::optional<std::string>(const std::string& name)>;

// How the upstream's own record id is read from a create response.
struct ResponseId {
  std::string json_path;  // e.g. "data.id"; empty = not read from the body
  bool location = false;  // read the last path segment of the Location header
};

// Everything a push connector needs to build one request from a frozen payload.
struct RequestContext {
  std::string delivery_id;                 // "msg_..." — stable across retries
  int64_t timestamp_s = 0;                 // for webhook-timestamp
  std::optional<std::string> upstream_id;  // known record id: send an update
};

class Connector {
 public:
  virtual ~Connector() = default;

  // Common configuration, parsed by parse_common().
  std::string id;  // stable, [a-z0-9_]{1,40}
  std::string type;
  forms::Labels name;              // shown to admins and on receipts ("民政 低保系统")
  std::vector<std::string> forms;  // form ids this connector receives; empty = all
  std::string when;                // expression over canonical values; empty = always
  std::shared_ptr<const forms::Expr> when_expr;
  std::string subject_field = "person.id_number";  // identifies the record upstream
  Mapping mapping;
  Json raw;  // the config as given (with secret names, never values)

  // True for types the engine pushes to (http_json, http_form).
  virtual bool pushes() const { return false; }
  // The exact HTTP request for a frozen payload (push types). kValidation for a
  // configuration problem, e.g. a missing secret.
  virtual Result<HttpRequest> build_request(const Json& payload, const RequestContext& ctx,
                                            const SecretLookup& secrets) const;
  virtual const RetryPolicy* retry() const { return nullptr; }
  virtual const Limits* limits() const { return nullptr; }
  virtual const SendOptions* send_options() const { return nullptr; }
  virtual const AuthConfig* auth() const { return nullptr; }
  virtual const ResponseId* response_id() const { return nullptr; }
  virtual std::string signing_secret_name() const { return {}; }
};

using ConnectorPtr = std::shared_ptr<const Connector>;

// What a type contributes: a name and a parser. Each parser rejects unknown keys and reports
// every problem at once (kValidation with paths such as "auth.token_url").
class ConnectorType {
 public:
  virtual ~ConnectorType() = default;
  virtual std::string name() const = 0;
  virtual Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const = 0;
};

class ConnectorRegistry {
 public:
  // kConflict when the name is taken.
  Status add(std::unique_ptr<ConnectorType> t);
  std::vector<std::string> names() const;
  // Parses a config by its "type"; unknown type → kValidation naming the known ones.
  Result<ConnectorPtr> parse(const Json& config, const forms::Dictionary* dict) const;

 private:
  std::map<std::string, std::unique_ptr<ConnectorType>> types_;
};

// Registers http_json, http_form, spreadsheet and feed. Explicit (no static initialisers).
void register_builtin_connectors(ConnectorRegistry& r);

// Shared by the type parsers: fills the common fields of `c` from `j` and appends problems to
// `errs`; `allowed` receives the common key names so the type can reject the rest.
void parse_common(const Json& j, const forms::Dictionary* dict, Connector& c,
                  std::vector<FieldError>& errs, std::vector<std::string>& allowed);

// Renders the frozen payload for one answer: evaluates `when` (false → nullopt, the delivery
// is "skipped") and applies the mapping. Errors are mapping errors (the delivery is dead
// until the mapping is fixed and it is re-rendered).
Result<std::optional<Json>> render_payload(const Connector& c, const std::string& form_id,
                                           const Json& values, const std::string& today);
// The same, as the frozen text (json_dump() of that document) without building the document;
// `entries` (if given) receives its count_entries().
Result<std::optional<std::string>> render_payload_text(const Connector& c,
                                                       const std::string& form_id,
                                                       const Json& values, const std::string& today,
                                                       int* entries = nullptr);

// ---- Helpers for connector type parsers (added with the built-in types) ----

// Appends an "unknown_key" error for every key of object `j` not in `allowed`; `path` is the
// object's own path ("" for the top level, "auth", "retry" ...).
void reject_unknown_keys(const Json& j, const std::string& path,
                         const std::vector<std::string>& allowed, std::vector<FieldError>& errs);

// The kValidation error returned by the type parsers (code "invalid_connector").
Error connector_config_error(std::vector<FieldError> errs);

// Whether `s` is a valid connector id: [a-z0-9_]{1,40}.
bool valid_connector_id(const std::string& s);

// Whether `s` is a valid secret NAME (never a value): [A-Za-z0-9_.-]{1,64}, not "whsec_...".
bool valid_secret_name(const std::string& s);

}  // namespace yb::connectors
