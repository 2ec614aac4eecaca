// Configuration as code: the dictionary, forms, connectors, org units, the upstream host
// allowlist and the registered upstream forms (admin/upstream_forms.h) as one JSON document. Secrets are never exported: connectors name them, and the
// export lists the names referenced (secrets_referenced) so an operator knows what to set.
//
// The export is canonical: objects with sorted keys, lists sorted by id, no timestamps, no
// database ids, no version numbers, so export → import into an empty database → export gives
// byte-identical JSON.
//
// Import validates the whole document first (structure, dictionary, every form against the
// new dictionary, every connector against the registry and the allowlist, org unit parents)
// and only then applies it section by section: new org units and hosts are added, a changed
// dictionary / form / connector is stored as a new version, a paused flag follows the file.
// Nothing in the database but not in the file is removed (the diff lists it as "kept"), and
// existing org units are never edited (a different name or parent is an error). A dry run
// reports the same diff and changes nothing. Applying is idempotent: importing the same file
// twice changes nothing the second time.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/catalog.h"
#include "connectors/delivery/allowlist.h"
#include "connectors/outbox/store.h"

namespace yb::admin {

class ConfigIO {
 public:
  ConfigIO(db::Database& db, Accounts& accounts, Catalog& catalog,
           connectors::ConnectorStore& store, const connectors::ConnectorRegistry& registry,
           connectors::HostAllowlist& hosts)
      : db_(db),
        accounts_(accounts),
        catalog_(catalog),
        store_(store),
        registry_(registry),
        hosts_(hosts) {}

  Result<nlohmann::json> export_config();
  // The canonical text of an export (2-space indent, trailing newline).
  static std::string to_text(const nlohmann::json& config);

  // {"changes": [{"section", "id", "change", "detail"}], "kept": [...], "applied": bool,
  //  "text": human-readable diff}. kValidation with every problem when the document is bad.
  Result<nlohmann::json> import_config(const nlohmann::json& doc, bool dry_run);

 private:
  db::Database& db_;
  Accounts& accounts_;
  Catalog& catalog_;
  connectors::ConnectorStore& store_;
  const connectors::ConnectorRegistry& registry_;
  connectors::HostAllowlist& hosts_;
};

}  // namespace yb::admin
