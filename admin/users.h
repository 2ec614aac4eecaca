// Account management for the admin API, with separated duties (三员分立):
//
//   caller          may list            may create / reset / disable / enable
//   cadre           -                   -
//   auditor         users in its scope  -            (reads the audit log; changes nothing)
//   county_admin    users in its scope  cadres in its org subtree
//   security_admin  users in its scope  cadres, county_admins and auditors in its subtree
//   system_admin    everyone            security_admins and system_admins (whole tree)
//
// Nobody acts on their own account here, nobody grants a role they may not manage, and the
// target's org unit (new or current) must lie in the caller's subtree. Passwords set here
// follow password_policy_problems(). A reset or disable ends the user's sessions at once.
// Every change and every refusal is audited in the same writer job as the change.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/audit.h"

namespace yb::admin {

// Who is asking, and from where (for the audit record).
struct Caller {
  User user;
  std::string remote_addr;
};

class UserAdmin {
 public:
  UserAdmin(db::Database& db, Accounts& accounts, AuditLog& audit)
      : db_(db), accounts_(accounts), audit_(audit) {}

  // Whether `actor` may create or change accounts of role `target` (ignoring scope).
  static bool may_manage(Role actor, Role target);

  Result<nlohmann::json> list(const Caller& c);
  // {"username", "password", "role", "org_unit", "display_name"}
  Result<nlohmann::json> create(const Caller& c, const nlohmann::json& body);
  Status reset_password(const Caller& c, const std::string& username, const nlohmann::json& body);
  Result<nlohmann::json> set_disabled(const Caller& c, const std::string& username, bool disabled);

  static nlohmann::json user_json(const User& u);

 private:
  // The target user if the caller may manage it; kForbidden / kNotFound otherwise.
  Result<User> managed_target(const Caller& c, const std::string& username);
  void audit_refusal(const Caller& c, const std::string& action, const std::string& target,
                     const Error& e);

  db::Database& db_;
  Accounts& accounts_;
  AuditLog& audit_;
};

}  // namespace yb::admin
