// Upstream systems' own forms (残联 残疾人信息采集表, 民政 低保申请表 ...), registered by their
// field list and mapped onto the unified dictionary, so an admin sees which of their fields the
// unified form already covers and which are still missing, and can turn a registration into a
// connector that sends exactly the covered fields under the upstream's own keys.
//
// A registration: {"name": "残联 残疾人信息采集表", "system": "残联",
//                  "fields": [{"key": "xm", "label": "姓名"}, ...],
//                  "mapping": {"xm": "person.name", ...}}   (upstream key -> dictionary key)
// Coverage is computed against the latest dictionary whenever it is read: "covered" are the
// upstream keys mapped onto a dictionary field, "missing" the others, ratio = covered / fields.
// Thread-safe; writes go through the writer with their audit record.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/audit.h"
#include "admin/catalog.h"
#include "admin/connector_admin.h"
#include "admin/users.h"
#include "connectors/delivery/allowlist.h"

namespace yb::admin {

inline constexpr size_t kMaxUpstreamFields = 500;

// Validates a registration body against the dictionary's keys (null: mapping targets are not
// checked). Every problem at once (kValidation naming the field, e.g. "mapping.xm"). Returns
// the canonical stored form {"name", "system", "fields", "mapping"}.
Result<nlohmann::json> validate_upstream_form(const nlohmann::json& body,
                                              const forms::Dictionary* dict);
// {"covered": [keys], "missing": [keys], "fields": n, "ratio": 0..1} of a stored registration.
nlohmann::json upstream_coverage(const nlohmann::json& reg, const std::set<std::string>& dict_keys);
// Suggested dictionary field for each upstream field, by label and synonym matching against the
// dictionary's zh-CN labels: {"mapping": {key: field}, "candidates": {key: [{"field",
// "label", "score"}]}} (best first, score 0..1; only scores >= 0.5; the mapping takes the best
// at >= 0.6).
nlohmann::json suggest_upstream_mapping(const nlohmann::json& fields,
                                        const forms::Dictionary& dict);

class UpstreamForms {
 public:
  // REQUIRES: all arguments outlive this.
  UpstreamForms(db::Database& db, Catalog& catalog, AuditLog& audit, ConnectorAdmin& connectors,
                connectors::HostAllowlist& hosts)
      : db_(db), catalog_(catalog), audit_(audit), connectors_(connectors), hosts_(hosts) {}

  // {"upstream_forms": [{id, name, system, fields, mapping, coverage}]} ordered by id.
  Result<nlohmann::json> list(const Caller& c);
  // One registration with "coverage" and "suggested" (suggestions for its unmapped fields).
  Result<nlohmann::json> get(const Caller& c, const std::string& id);
  // Creates or replaces; returns get(id). 201-worthy creation is told by "created": true.
  Result<nlohmann::json> put(const Caller& c, const std::string& id, const nlohmann::json& body);
  // {"fields": [{key, label}]} -> suggest_upstream_mapping against the latest dictionary.
  Result<nlohmann::json> suggest(const Caller& c, const nlohmann::json& body);
  // Builds a connector config from the registration: body {"type": "http_json"|"http_form"|...,
  // "id" (default: the registration id), "url", "forms" (default: every published form), and
  // any other connector keys (tls, signing_secret, when, method, response_id, limits ...)};
  // "mapping" and "name" come from the registration: the covered fields under the upstream's
  // keys. Checked against the host allowlist and saved through ConnectorAdmin::put (so preview,
  // test and pause work on it). Returns {"connector": ConnectorAdmin::get(..), "sent": [keys],
  // "not_sent": [keys]}.
  Result<nlohmann::json> make_connector(const Caller& c, const std::string& id,
                                        const nlohmann::json& body);

 private:
  Result<nlohmann::json> load(const std::string& id);  // stored registration, kNotFound
  Status refuse(const Caller& c, const std::string& action, const std::string& target,
                const Error& e);
  Result<std::set<std::string>> dictionary_keys();

  db::Database& db_;
  Catalog& catalog_;
  AuditLog& audit_;
  ConnectorAdmin& connectors_;
  connectors::HostAllowlist& hosts_;
};

}  // namespace yb::admin
