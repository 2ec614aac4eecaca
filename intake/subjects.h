// Subjects as the API sees them: lookup by ID number, name search, while-typing matching and
// the county admins' duplicate review — each scoped to the caller's org subtree and masked by
// role. Over dedupe::SubjectRegistry (storage and matching). Thread-safe.
//
// Visibility (docs/dedupe.md): a subject outside the caller's subtree is 404, exactly like an
// unknown one. A lookup by ID number shows that number in full (the caller typed it); lists
// (search, match candidates) show ID numbers masked ("1301**********123X") unless the caller
// is a county or system admin. Auditors see sensitive fields (PIPL art. 28) as masked.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/catalog.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/group_commit.h"
#include "dedupe/registry.h"
#include "intake/prefill.h"

namespace yb::intake {

class SubjectService {
 public:
  // REQUIRES: every argument outlives the service.
  SubjectService(db::Database& db, db::GroupCommitWriter& writer, admin::Accounts& accounts,
                 admin::Catalog& catalog, dedupe::SubjectRegistry& registry, const Clock& clock);

  // GET /api/v1/subjects/lookup?id_number=...
  Result<nlohmann::json> lookup(const admin::User& u, const std::string& id_number);
  // GET /api/v1/subjects?name=...  (prefix of the normalised name, within scope)
  Result<nlohmann::json> search(const admin::User& u, const std::string& name, int limit);
  // POST /api/v1/subjects/match {name?, id_number?, birth_date?, sex?, phone?, org_unit?}
  Result<nlohmann::json> match(const admin::User& u, const nlohmann::json& body);
  // GET /api/v1/admin/duplicates?status=open|merged|kept
  Result<nlohmann::json> duplicates(const admin::User& u, const std::string& status, int limit);
  // POST /api/v1/admin/duplicates/{id}/merge|keep|undo
  Result<nlohmann::json> decide(const admin::User& u, int64_t pair_id, const std::string& decision);

  // Prefill (intake/prefill.h) of `form` for a person in the caller's scope: by subject id or
  // by ID number (any accepted spelling; exactly one of them non-empty). kNotFound for an
  // unknown person, a household id or one outside the scope; kInvalidArgument for a malformed
  // subject id or ID number. Unmasked: the form needs the values (callers mask per role).
  Result<Prefill> prefill(const admin::User& u, const forms::Form& form, const std::string& subject,
                          const std::string& id_number);
  // GET /api/v1/forms/{id}/prefill: values and per-field provenance, masked by role.
  Result<nlohmann::json> prefill_json(const admin::User& u, const forms::Form& form,
                                      const Prefill& p);

  // The persons of the caller's villages (org subtree), by name, `per_page` at a time from
  // page `page` (1-based). `query` (optional): a name prefix, or an ID number in any
  // spelling. ID numbers masked. {"people": [...], "page", "has_next", "query"}.
  Result<nlohmann::json> village(const admin::User& u, const std::string& query, int page,
                                 int per_page);

 private:
  bool full_ids(const admin::User& u) const;
  nlohmann::json summary(const admin::User& u, int64_t id, const dedupe::Identity& w, bool show_id);
  Result<nlohmann::json> subject_json(const admin::User& u, const dedupe::Subject& s, bool show_id);
  Result<std::optional<dedupe::Subject>> load_in_scope(const admin::User& u, int64_t id);
  Result<nlohmann::json> pair_json(const admin::User& u, const dedupe::DuplicatePair& p,
                                   bool* in_scope);

  db::Database& db_;
  db::GroupCommitWriter& writer_;
  admin::Accounts& accounts_;
  admin::Catalog& catalog_;
  dedupe::SubjectRegistry& registry_;
  const Clock& clock_;
};

}  // namespace yb::intake
