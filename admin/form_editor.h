// What county and system admins do with the field dictionary and the forms: read and replace the
// dictionary, save a form as a draft, publish it, close it. Every change is validated first with
// ALL problems reported at once (kValidation, one FieldError per problem naming the field), and
// audited in the same writer job as the change; refusals are audited too.
//
// Lifecycle of a form id: the editor saves a draft (the newest version row, status "draft",
// replaced in place by the next save); publish turns that draft into a published version (the
// one cadres are offered from then on); close turns every published version into "closed", so
// the form is no longer offered, while stored submissions stay readable and their deliveries go
// on. A closed form is offered again by saving and publishing a new draft.
//
// Types never change: a dictionary field keeps the type it had in every earlier dictionary
// version, and a published form keeps, for every answer key it had in an earlier version, that
// key's type (kValidation "type_changed" naming the field). Thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "admin/audit.h"
#include "admin/catalog.h"
#include "admin/users.h"

namespace yb::admin {

class FormEditor {
 public:
  // REQUIRES: all arguments outlive the editor.
  FormEditor(db::Database& db, Catalog& catalog, AuditLog& audit)
      : db_(db), catalog_(catalog), audit_(audit) {}

  // county_admin and system_admin edit forms; everyone else gets kForbidden.
  static Status require_editor(const User& u);

  // {"version": n, "definition": {...}}; version 0 and {"fields": []} before the first save.
  Result<nlohmann::json> dictionary(const Caller& c);
  // Validates (parse_dictionary, no type change of an existing field, no field removed that a
  // published form still uses) and stores the next version: {"version": n, "changed": bool}.
  // Saving a definition equal to the latest stores nothing.
  Result<nlohmann::json> put_dictionary(const Caller& c, const nlohmann::json& def);

  // Every form id: {"forms": [{"id", "title", "status", "published_version", "draft_version",
  // "versions": [{"version", "status", "dictionary_version", "created_at"}]}]}. "status" is what
  // cadres see: "published" while some version is published, else "closed" if one was, else
  // "draft".
  Result<nlohmann::json> list_forms(const Caller& c);
  // One form: the summary above plus "draft" and "published" definitions (null when none).
  Result<nlohmann::json> form(const Caller& c, const std::string& id);
  // Saves `def` (its "id" must be absent or equal `id`) as the form's draft, validated against
  // the latest dictionary. Returns form(id).
  Result<nlohmann::json> put_draft(const Caller& c, const std::string& id,
                                   const nlohmann::json& def);
  // Draft -> published (re-validated against the latest dictionary; refused with "type_changed"
  // naming each field whose type differs from an earlier version). kConflict without a draft.
  Result<nlohmann::json> publish(const Caller& c, const std::string& id);
  // Published -> closed. kConflict when nothing is published.
  Result<nlohmann::json> close(const Caller& c, const std::string& id);

  // The current draft parsed as the cadre's form page would render it (for the preview).
  Result<FormPtr> draft(const std::string& id);

 private:
  Status refuse(const Caller& c, const std::string& action, const std::string& target,
                const Error& e);
  db::Database& db_;
  Catalog& catalog_;
  AuditLog& audit_;
};

}  // namespace yb::admin
