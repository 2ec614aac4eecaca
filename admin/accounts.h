// Org units, users, sessions and login throttling.
//
// Scope: every user belongs to one org unit (county > township > village, 12-digit division
// codes) and reaches that unit's whole subtree; a system_admin without an org unit reaches
// everything. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/result.h"

namespace yb::admin {

// security_admin manages accounts (see admin/users.h for who may manage whom); it was added
// last so the stored names of the others keep their meaning.
enum class Role { kCadre, kCountyAdmin, kAuditor, kSystemAdmin, kSecurityAdmin };
const char* to_string(Role r);
std::optional<Role> role_from_string(const std::string& s);

struct OrgUnit {
  std::string code;  // 12-digit division code
  std::string name;
  std::optional<std::string> parent_code;
  std::string level;  // "province", "city", "county", "township", "village"
};

// Every org unit stored, by code (read fresh; Accounts keeps its own copy).
Result<std::map<std::string, OrgUnit>> read_org_units(db::Conn& c);

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::kCadre;
  std::optional<std::string> org_code;  // nullopt: whole tree (system_admin only)
  std::string display_name;
  bool disabled = false;
};

struct AccountsOptions {
  crypto::HashCost hash_cost = crypto::HashCost::kInteractive;
  int64_t session_idle_s = 30 * 60;      // a session unused this long expires
  int64_t session_max_s = 12 * 60 * 60;  // absolute session lifetime
  int login_max_failures = 5;            // failures within the window before lockout
  int64_t login_window_s = 15 * 60;      // window and lockout length
};

// Counts failed logins per key (username, client address) and locks a key out for the
// window after too many. Pure apart from the injected clock. Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, int max_failures, int64_t window_s)
      : clock_(clock), max_(max_failures), window_ms_(window_s * 1000) {}
  // Seconds until the key may try again; 0 when allowed now.
  int64_t retry_after_s(const std::string& key);
  void record_failure(const std::string& key);
  void record_success(const std::string& key);

 private:
  struct Entry {
    std::vector<int64_t> failures_ms;
    int64_t locked_until_ms = 0;
  };
  const Clock& clock_;
  int max_;
  int64_t window_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

// The password policy for passwords set through the admin API: 10 to 128 characters, at
// least three of lower case, upper case, digits and other characters, not containing the
// username, not one character repeated. Empty when the password is acceptable.
std::vector<FieldError> password_policy_problems(const std::string& username,
                                                 const std::string& password);

class Accounts {
 public:
  Accounts(db::Database& db, const Clock& clock, AccountsOptions opts);

  // Org units. Parents must exist before children.
  Status add_org_unit(const OrgUnit& u);
  std::optional<OrgUnit> org_unit(const std::string& code);
  // True when `code` is `root` or below it; a nullopt root covers everything.
  bool in_scope(const std::optional<std::string>& root, const std::string& code);
  // Drops the cached tree after org units were written elsewhere (admin/org_units.h import);
  // the next lookup reloads it.
  void forget_org_units();

  // Users. Username 3-32 of [a-z0-9_.-]; password at least 8 characters.
  Result<User> add_user(const std::string& username, const std::string& password, Role role,
                        const std::optional<std::string>& org_code,
                        const std::string& display_name = "");
  std::optional<User> find_user(const std::string& username);
  // Every user, ordered by username.
  Result<std::vector<User>> list_users();

  // The same validation and hashing as add_user, split so that the insert can run inside a
  // writer job together with its audit record.
  struct NewUser {
    std::string username, password_hash, role, display_name;
    std::optional<std::string> org_code;
  };
  Result<NewUser> prepare_user(const std::string& username, const std::string& password, Role role,
                               const std::optional<std::string>& org_code,
                               const std::string& display_name);
  Result<User> insert_user(db::Conn& c, const NewUser& u);
  Result<std::string> hash_password(const std::string& password) const;
  // Drops every cached session of the user (after a password reset or disable; the rows
  // are deleted in the same job as the change).
  void forget_sessions(int64_t user_id);
  Result<int64_t> count_users();

  // Login: checks throttling for both username and client address, then the password.
  // kUnauthenticated on a bad password (the same answer for an unknown user), kRateLimited
  // with retry_after_seconds while locked out. Returns a bearer token.
  Result<std::string> login(const std::string& username, const std::string& password,
                            const std::string& client_addr);
  // The user behind a token, extending its idle timeout. kUnauthenticated when unknown,
  // expired or the user is disabled.
  Result<User> authenticate(const std::string& token);
  void logout(const std::string& token);

 private:
  struct CachedSession {
    User user;
    int64_t last_seen_ms;
    int64_t persisted_seen_ms;
    int64_t expires_ms;
  };
  Status load_org_units_locked();

  db::Database& db_;
  const Clock& clock_;
  AccountsOptions opts_;
  LoginThrottle throttle_;
  std::mutex mu_;
  std::map<std::string, OrgUnit> orgs_;                      // GUARDED_BY(mu_)
  bool orgs_loaded_ = false;                                 // GUARDED_BY(mu_)
  std::unordered_map<std::string, CachedSession> sessions_;  // GUARDED_BY(mu_), by token hash
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
};

}  // namespace yb::admin
