#include "admin/users.h"

namespace yb::admin {
namespace {

using Json = nlohmann::json;

Error forbidden(const std::string& zh, const std::string& en) {
  return Error::make(ErrorKind::kForbidden, "role_forbidden", zh, en);
}

Error not_found(const std::string& username) {
  return Error::make(ErrorKind::kNotFound, "user_not_found", "在你管辖的范围内没有用户 " + username,
                     "No user " + username + " within your org unit's subtree");
}

Error invalid(std::vector<FieldError> errs) {
  Error e = Error::make(ErrorKind::kValidation, "invalid_user", "用户信息有误，请按提示修改",
                        "The user is not valid; see the details");
  e.details = std::move(errs);
  return e;
}

// A required string member, or a field error.
std::optional<std::string> string_field(const Json& body, const char* key, bool required,
                                        std::vector<FieldError>& errs) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) {
      errs.push_back(
          {key, "required", {std::string("请填写 ") + key, std::string(key) + " is required"}});
    }
    return std::nullopt;
  }
  if (!it->is_string()) {
    errs.push_back(
        {key, "type", {std::string(key) + " 应为文字", std::string(key) + " must be a string"}});
    return std::nullopt;
  }
  return it->get<std::string>();
}

void reject_unknown(const Json& body, std::initializer_list<const char*> allowed,
                    std::vector<FieldError>& errs) {
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) {
      errs.push_back({k, "unknown_key", {"不认识的字段 " + k, "Unknown field " + k}});
    }
  }
}

bool whole_tree(const User& u) { return !u.org_code.has_value(); }

}  // namespace

bool UserAdmin::may_manage(Role actor, Role target) {
  switch (actor) {
    case Role::kCountyAdmin:
      return target == Role::kCadre;
    case Role::kSecurityAdmin:
      return target == Role::kCadre || target == Role::kCountyAdmin || target == Role::kAuditor;
    case Role::kSystemAdmin:
      return target == Role::kSecurityAdmin || target == Role::kSystemAdmin;
    case Role::kCadre:
    case Role::kAuditor:
      return false;
  }
  return false;
}

Json UserAdmin::user_json(const User& u) {
  return Json{{"username", u.username},
              {"role", to_string(u.role)},
              {"org_unit", u.org_code ? Json(*u.org_code) : Json(nullptr)},
              {"display_name", u.display_name},
              {"disabled", u.disabled}};
}

void UserAdmin::audit_refusal(const Caller& c, const std::string& action, const std::string& target,
                              const Error& e) {
  (void)audit_.record({c.user.username, to_string(c.user.role), action, target, c.remote_addr,
                       e.kind == ErrorKind::kValidation ? "invalid" : "denied",
                       Json{{"code", e.code}}});
}

Result<Json> UserAdmin::list(const Caller& c) {
  if (c.user.role == Role::kCadre) {
    return forbidden("村干部不能查看用户列表", "Cadres cannot list users");
  }
  auto users = accounts_.list_users();
  if (!users) return users.take_error();
  Json out = Json::array();
  for (const auto& u : *users) {
    const bool visible =
        whole_tree(c.user) || (u.org_code && accounts_.in_scope(c.user.org_code, *u.org_code));
    if (visible) out.push_back(user_json(u));
  }
  return Json{{"users", out}};
}

Result<User> UserAdmin::managed_target(const Caller& c, const std::string& username) {
  auto t = accounts_.find_user(username);
  if (!t) return not_found(username);
  const bool in_scope =
      whole_tree(c.user) || (t->org_code && accounts_.in_scope(c.user.org_code, *t->org_code));
  if (!in_scope) return not_found(username);
  if (t->id == c.user.id) {
    return forbidden("不能在这里修改自己的账号，请找有权限的管理员",
                     "You cannot change your own account here; ask another administrator");
  }
  if (!may_manage(c.user.role, t->role)) {
    return forbidden(std::string("你的角色不能管理 ") + to_string(t->role) + " 账号",
                     std::string("Your role may not manage ") + to_string(t->role) + " accounts");
  }
  return *t;
}

Result<Json> UserAdmin::create(const Caller& c, const Json& body) {
  auto refuse = [&](Error e, const std::string& target) -> Result<Json> {
    audit_refusal(c, "user.create", target, e);
    return e;
  };
  if (!may_manage(c.user.role, Role::kCadre) && !may_manage(c.user.role, Role::kSecurityAdmin)) {
    return refuse(forbidden("你的角色不能创建用户", "Your role may not create users"), "");
  }
  std::vector<FieldError> errs;
  reject_unknown(body, {"username", "password", "role", "org_unit", "display_name"}, errs);
  auto username = string_field(body, "username", true, errs);
  auto password = string_field(body, "password", true, errs);
  auto role_name = string_field(body, "role", true, errs);
  auto org = string_field(body, "org_unit", false, errs);
  auto display = string_field(body, "display_name", false, errs);
  std::optional<Role> role;
  if (role_name) {
    role = role_from_string(*role_name);
    if (!role) {
      errs.push_back({"role",
                      "unknown_role",
                      {"没有角色 " + *role_name +
                           "；可选 cadre、county_admin、security_admin、auditor、system_admin",
                       "No role " + *role_name +
                           "; choose cadre, county_admin, security_admin, auditor or "
                           "system_admin"}});
    }
  }
  if (password) {
    for (auto& e : password_policy_problems(username.value_or(""), *password)) {
      errs.push_back(std::move(e));
    }
  }
  if (role && *role != Role::kSystemAdmin && !org) {
    errs.push_back({"org_unit",
                    "required",
                    {"请选择单位（12位区划代码）", "org_unit (a 12-digit code) is required"}});
  }
  if (role && *role == Role::kSystemAdmin && org) {
    errs.push_back({"org_unit",
                    "not_allowed",
                    {"系统管理员管辖全部范围，不属于某个单位",
                     "A system_admin covers the whole tree and has no org unit"}});
  }
  const std::string target = username.value_or("");
  if (!errs.empty()) return refuse(invalid(std::move(errs)), target);
  if (!may_manage(c.user.role, *role)) {
    return refuse(
        forbidden(std::string("你的角色不能创建 ") + to_string(*role) + " 账号",
                  std::string("Your role may not create ") + to_string(*role) + " accounts"),
        target);
  }
  if (org && accounts_.org_unit(*org) && !whole_tree(c.user) &&
      !accounts_.in_scope(c.user.org_code, *org)) {
    return refuse(forbidden("单位 " + *org + " 不在你的管辖范围内",
                            "Org unit " + *org + " is outside your subtree"),
                  target);
  }
  auto nu = accounts_.prepare_user(*username, *password, *role, org, display.value_or(""));
  if (!nu) return refuse(nu.take_error(), target);
  std::optional<User> created;
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto u = accounts_.insert_user(conn, *nu);
    if (!u) return u.take_error();
    created = *u;
    return AuditLog::append(
        conn,
        {c.user.username, to_string(c.user.role), "user.create", *username, c.remote_addr, "ok",
         Json{{"role", *role_name}, {"org_unit", org ? Json(*org) : Json()}}},
        audit_.clock().now_ms());
  });
  if (!st) return refuse(st.take_error(), target);
  return user_json(*created);
}

Status UserAdmin::reset_password(const Caller& c, const std::string& username, const Json& body) {
  auto t = managed_target(c, username);
  if (!t) {
    audit_refusal(c, "user.password_reset", username, t.error());
    return t.take_error();
  }
  std::vector<FieldError> errs;
  reject_unknown(body, {"password"}, errs);
  auto password = string_field(body, "password", true, errs);
  if (password) {
    for (auto& e : password_policy_problems(username, *password)) errs.push_back(std::move(e));
  }
  if (!errs.empty()) {
    Error e = invalid(std::move(errs));
    audit_refusal(c, "user.password_reset", username, e);
    return e;
  }
  auto hash = accounts_.hash_password(*password);
  if (!hash) return hash.take_error();
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto q = conn.prepare("UPDATE users SET password_hash = ? WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, *hash).bind(2, t->id);
    if (auto s = q->run(); !s) return s;
    auto d = conn.prepare("DELETE FROM sessions WHERE user_id = ?");
    if (!d) return d.take_error();
    d->bind(1, t->id);
    if (auto s = d->run(); !s) return s;
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), "user.password_reset",
                             username, c.remote_addr, "ok", Json::object()},
                            audit_.clock().now_ms());
  });
  if (st) accounts_.forget_sessions(t->id);
  return st;
}

Result<Json> UserAdmin::set_disabled(const Caller& c, const std::string& username, bool disabled) {
  const std::string action = disabled ? "user.disable" : "user.enable";
  auto t = managed_target(c, username);
  if (!t) {
    audit_refusal(c, action, username, t.error());
    return t.take_error();
  }
  auto st = audit_.writer().run([&](db::Conn& conn) -> Status {
    auto q = conn.prepare("UPDATE users SET disabled = ? WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, disabled ? 1 : 0).bind(2, t->id);
    if (auto s = q->run(); !s) return s;
    if (disabled) {
      auto d = conn.prepare("DELETE FROM sessions WHERE user_id = ?");
      if (!d) return d.take_error();
      d->bind(1, t->id);
      if (auto s = d->run(); !s) return s;
    }
    return AuditLog::append(conn,
                            {c.user.username, to_string(c.user.role), action, username,
                             c.remote_addr, "ok", Json::object()},
                            audit_.clock().now_ms());
  });
  if (!st) return st.take_error();
  if (disabled) accounts_.forget_sessions(t->id);
  t->disabled = disabled;
  return user_json(*t);
}

}  // namespace yb::admin
