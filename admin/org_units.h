// The administrative-division tree: import it from CSV and browse it within the caller's scope.
//
// CSV: one unit per line, columns code,name[,parent]; an optional header line (code,name,parent
// or 代码,名称,上级); UTF-8 with or without a BOM; LF or CRLF; RFC 4180 quoting ("a ""b"", c").
// Codes are 12-digit division codes (GB/T 2260 + township and village digits). The level
// follows from the code (PP0000000000 province, PPCC00000000 city, PPCCDD000000 county,
// PPCCDDTTT000 township, else village), and so does the parent when the parent column is empty:
// the nearest enclosing unit by code that is in the file or the database (a township or village
// must find one; a county, city or province without one becomes a root). An explicit parent
// must enclose the unit by code.
//
// Every bad line is reported with its line number, all at once, and nothing is imported. A unit
// already present with the same name and parent is left alone (importing a file twice changes
// nothing); a new name renames it; a different parent is an error (moving a subtree would
// change who can see what). A county admin imports only inside its subtree; a system admin
// anywhere. Applied in one writer job with its audit record. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/audit.h"
#include "admin/users.h"

namespace yb::admin {

inline constexpr size_t kMaxOrgCsvBytes = 4 << 20;  // larger files: kTooLarge
inline constexpr size_t kMaxOrgCsvLines = 50000;
inline constexpr size_t kMaxOrgCsvLineBytes = 2000;

struct OrgCsvRow {
  int line = 0;  // 1-based line number in the file
  std::string code, name;
  std::optional<std::string> parent;  // as given; nullopt = derive from the code
};

// Splits and checks the CSV text (structure, code format, names). kValidation lists every bad
// line ("line 7" + code); kTooLarge over the limits above.
Result<std::vector<OrgCsvRow>> parse_org_csv(std::string_view text);

// "province", "city", "county", "township" or "village" for a 12-digit code.
std::string org_level_of(const std::string& code);
// The code of the enclosing unit one level up (nullopt for a province).
std::optional<std::string> org_structural_parent(const std::string& code);

class OrgUnitAdmin {
 public:
  // REQUIRES: all arguments outlive this.
  OrgUnitAdmin(db::Database& db, Accounts& accounts, AuditLog& audit)
      : db_(db), accounts_(accounts), audit_(audit) {}

  // {"dry_run", "applied", "lines", "added", "renamed", "unchanged",
  //  "changes": [{"line", "code", "name", "parent_code", "level", "change": "add"|"rename"}]}
  Result<nlohmann::json> import_csv(const Caller& c, std::string_view csv, bool dry_run);

  // The children of `parent` (default: the caller's own unit, or the roots for a caller with
  // the whole tree): {"parent": unit|null, "units": [{"code", "name", "level", "parent_code",
  // "children": n}]} ordered by code. Outside the caller's subtree: kNotFound. Cadres:
  // kForbidden.
  Result<nlohmann::json> children(const Caller& c, const std::optional<std::string>& parent);

 private:
  Status refuse(const Caller& c, const std::string& action, const Error& e);
  db::Database& db_;
  Accounts& accounts_;
  AuditLog& audit_;
};

}  // namespace yb::admin
