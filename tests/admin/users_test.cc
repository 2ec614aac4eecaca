// Separated duties (who may manage whose account) and the password policy.
#include <doctest/doctest.h>

#include "admin/users.h"

using namespace yb;
using admin::Role;
using admin::UserAdmin;

TEST_CASE("duties are separated: each role manages only the roles below its duty") {
  const Role all[] = {Role::kCadre, Role::kCountyAdmin, Role::kAuditor, Role::kSystemAdmin,
                      Role::kSecurityAdmin};
  // Nobody below an admin manages anyone.
  for (Role t : all) {
    CHECK_FALSE(UserAdmin::may_manage(Role::kCadre, t));
    CHECK_FALSE(UserAdmin::may_manage(Role::kAuditor, t));
  }
  CHECK(UserAdmin::may_manage(Role::kCountyAdmin, Role::kCadre));
  for (Role t : {Role::kCountyAdmin, Role::kAuditor, Role::kSystemAdmin, Role::kSecurityAdmin})
    CHECK_FALSE(UserAdmin::may_manage(Role::kCountyAdmin, t));
  for (Role t : {Role::kCadre, Role::kCountyAdmin, Role::kAuditor})
    CHECK(UserAdmin::may_manage(Role::kSecurityAdmin, t));
  // The security admin cannot make a system admin or another security admin: no escalation.
  CHECK_FALSE(UserAdmin::may_manage(Role::kSecurityAdmin, Role::kSystemAdmin));
  CHECK_FALSE(UserAdmin::may_manage(Role::kSecurityAdmin, Role::kSecurityAdmin));
  // The system admin runs the system, not the people: it cannot create cadres or auditors.
  CHECK(UserAdmin::may_manage(Role::kSystemAdmin, Role::kSecurityAdmin));
  CHECK_FALSE(UserAdmin::may_manage(Role::kSystemAdmin, Role::kAuditor));
  CHECK_FALSE(UserAdmin::may_manage(Role::kSystemAdmin, Role::kCadre));
}

TEST_CASE("role names round-trip, security_admin included; unknown names are refused") {
  for (const char* n : {"cadre", "county_admin", "auditor", "system_admin", "security_admin"}) {
    auto r = admin::role_from_string(n);
    REQUIRE(r);
    CHECK(std::string(admin::to_string(*r)) == n);
  }
  CHECK_FALSE(admin::role_from_string("root"));
  CHECK_FALSE(admin::role_from_string("System_Admin"));
  CHECK_FALSE(admin::role_from_string(""));
}

TEST_CASE("password policy: length, three character classes, no username, no repetition") {
  auto codes = [](const std::string& user, const std::string& pw) {
    std::vector<std::string> out;
    for (const auto& e : admin::password_policy_problems(user, pw)) out.push_back(e.code);
    return out;
  };
  CHECK(codes("cadre9", "Village-Work-2026").empty());
  CHECK(codes("cadre9", "Short-1") == std::vector<std::string>{"length"});
  CHECK(codes("cadre9", "alllowercaseletters") == std::vector<std::string>{"too_simple"});
  CHECK(codes("cadre9", "xCADRE9-secret") == std::vector<std::string>{"contains_username"});
  auto rep = codes("cadre9", std::string(12, 'a'));
  CHECK(std::find(rep.begin(), rep.end(), "repeated") != rep.end());
  CHECK(codes("cadre9", std::string(129, 'A') + "a1").front() == "length");
  // Every problem carries a Chinese and an English message.
  for (const auto& e : admin::password_policy_problems("u", "x")) {
    CHECK_FALSE(e.message.zh.empty());
    CHECK_FALSE(e.message.en.empty());
  }
}
