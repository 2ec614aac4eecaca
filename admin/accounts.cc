#include "admin/accounts.h"

#include <algorithm>
#include <regex>

namespace yb::admin {
namespace {

constexpr const char* kRoleNames[] = {"cadre", "county_admin", "auditor", "system_admin",
                                      "security_admin"};
constexpr int kRoleCount = 5;

Error unauthenticated() {
  return Error::make(ErrorKind::kUnauthenticated, "unauthenticated",
                     "用户名或密码不对，或登录已过期，请重新登录",
                     "Wrong username or password, or the session expired; please log in again");
}

}  // namespace

const char* to_string(Role r) { return kRoleNames[static_cast<int>(r)]; }

std::optional<Role> role_from_string(const std::string& s) {
  for (int i = 0; i < kRoleCount; ++i) {
    if (s == kRoleNames[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

// ---- LoginThrottle ----

int64_t LoginThrottle::retry_after_s(const std::string& key) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  int64_t now = clock_.now_ms();
  if (it->second.locked_until_ms > now) return (it->second.locked_until_ms - now + 999) / 1000;
  return 0;
}

void LoginThrottle::record_failure(const std::string& key) {
  std::lock_guard lk(mu_);
  int64_t now = clock_.now_ms();
  // Bound memory under a flood of distinct keys: forget entries that have nothing to say.
  if (entries_.size() > 100'000) {
    std::erase_if(entries_, [&](const auto& kv) {
      return kv.second.locked_until_ms <= now &&
             (kv.second.failures_ms.empty() || kv.second.failures_ms.back() < now - window_ms_);
    });
  }
  auto& e = entries_[key];
  std::erase_if(e.failures_ms, [&](int64_t t) { return t < now - window_ms_; });
  e.failures_ms.push_back(now);
  if (static_cast<int>(e.failures_ms.size()) >= max_) {
    e.locked_until_ms = now + window_ms_;
    e.failures_ms.clear();
  }
}

void LoginThrottle::record_success(const std::string& key) {
  std::lock_guard lk(mu_);
  entries_.erase(key);
}

// ---- Accounts ----

Accounts::Accounts(db::Database& db, const Clock& clock, AccountsOptions opts)
    : db_(db),
      clock_(clock),
      opts_(opts),
      throttle_(clock, opts.login_max_failures, opts.login_window_s) {
  auto h = crypto::hash_password("not-a-real-password", opts_.hash_cost);
  if (h) dummy_hash_ = *h;
}

Result<std::map<std::string, OrgUnit>> read_org_units(db::Conn& c) {
  auto q = c.prepare("SELECT code, name, parent_code, level FROM org_units");
  if (!q) return q.take_error();
  std::map<std::string, OrgUnit> out;
  for (;;) {
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) break;
    OrgUnit u{q->get_text(0), q->get_text(1), q->get_opt_text(2), q->get_text(3)};
    out[u.code] = std::move(u);
  }
  return out;
}

Status Accounts::load_org_units_locked() {
  if (orgs_loaded_) return ok_status();
  auto units = db_.with_conn([](db::Conn& c) { return read_org_units(c); });
  if (!units) return units.take_error();
  for (auto& [code, unit] : *units) orgs_[code] = std::move(unit);
  orgs_loaded_ = true;
  return ok_status();
}

Status Accounts::add_org_unit(const OrgUnit& u) {
  static const std::regex kCode("^[0-9]{12}$");
  if (!std::regex_match(u.code, kCode)) {
    return Error::make(ErrorKind::kInvalidArgument, "org_code",
                       "行政区划代码应为12位数字：" + u.code,
                       "An org unit code must be 12 digits: " + u.code);
  }
  if (u.name.empty()) {
    return Error::make(ErrorKind::kInvalidArgument, "org_name", "请填写单位名称",
                       "An org unit needs a name");
  }
  auto s = db_.with_conn([&](db::Conn& c) -> Status {
    auto q =
        c.prepare("INSERT INTO org_units (code, name, parent_code, level) VALUES (?, ?, ?, ?)");
    if (!q) return q.take_error();
    q->bind(1, u.code).bind(2, u.name).bind(3, u.parent_code).bind(4, u.level);
    return q->run();
  });
  if (!s) return s;
  std::lock_guard lk(mu_);
  if (orgs_loaded_) orgs_[u.code] = u;
  return ok_status();
}

void Accounts::forget_org_units() {
  std::lock_guard lk(mu_);
  orgs_.clear();
  orgs_loaded_ = false;
}

std::optional<OrgUnit> Accounts::org_unit(const std::string& code) {
  std::lock_guard lk(mu_);
  if (!load_org_units_locked()) return std::nullopt;
  auto it = orgs_.find(code);
  if (it == orgs_.end()) return std::nullopt;
  return it->second;
}

bool Accounts::in_scope(const std::optional<std::string>& root, const std::string& code) {
  std::lock_guard lk(mu_);
  if (!load_org_units_locked()) return false;
  auto it = orgs_.find(code);
  if (it == orgs_.end()) return false;
  if (!root) return true;
  // Walk up the parent chain; depth is at most five levels, guard against cycles anyway.
  for (int depth = 0; depth < 16 && it != orgs_.end(); ++depth) {
    if (it->first == *root) return true;
    if (!it->second.parent_code) return false;
    it = orgs_.find(*it->second.parent_code);
  }
  return false;
}

Result<Accounts::NewUser> Accounts::prepare_user(const std::string& username,
                                                 const std::string& password, Role role,
                                                 const std::optional<std::string>& org_code,
                                                 const std::string& display_name) {
  static const std::regex kName("^[a-z0-9_.-]{3,32}$");
  std::vector<FieldError> errs;
  if (!std::regex_match(username, kName)) {
    errs.push_back(
        {"username",
         "format",
         {"用户名应为3到32位小写字母、数字或 _ . -", "A username is 3-32 of a-z 0-9 _ . -"}});
  }
  if (password.size() < 8) {
    errs.push_back(
        {"password", "min_length", {"密码至少8位", "A password has at least 8 characters"}});
  }
  if (org_code && !org_unit(*org_code)) {
    errs.push_back({"org",
                    "not_found",
                    {"找不到单位代码 " + *org_code + "，请先导入行政区划",
                     "No org unit " + *org_code + "; import the division tree first"}});
  }
  if (!org_code && role != Role::kSystemAdmin) {
    errs.push_back({"org",
                    "required",
                    {"除系统管理员外，每个用户都要属于一个单位",
                     "Every user but a system_admin needs an org unit"}});
  }
  if (!errs.empty()) {
    Error e = Error::make(ErrorKind::kValidation, "invalid_user", "用户信息有误，请按提示修改",
                          "The user is not valid; see the details");
    e.details = std::move(errs);
    return e;
  }
  auto hash = hash_password(password);
  if (!hash) return hash.take_error();
  return NewUser{username, *hash, to_string(role), display_name, org_code};
}

Result<std::string> Accounts::hash_password(const std::string& password) const {
  return crypto::hash_password(password, opts_.hash_cost);
}

Result<User> Accounts::insert_user(db::Conn& c, const NewUser& u) {
  auto q = c.prepare(
      "INSERT INTO users (username, password_hash, role, org_code, display_name, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!q) return q.take_error();
  q->bind(1, u.username).bind(2, u.password_hash).bind(3, u.role).bind(4, u.org_code);
  q->bind(5, u.display_name).bind(6, clock_.now_s());
  if (auto s = q->run(); !s) {
    if (s.error().kind == ErrorKind::kConflict) {
      return Error::make(ErrorKind::kConflict, "username_taken",
                         "用户名 " + u.username + " 已被使用",
                         "The username " + u.username + " is taken");
    }
    return s.take_error();
  }
  return User{c.last_insert_id(), u.username,     *role_from_string(u.role),
              u.org_code,         u.display_name, false};
}

Result<User> Accounts::add_user(const std::string& username, const std::string& password, Role role,
                                const std::optional<std::string>& org_code,
                                const std::string& display_name) {
  auto nu = prepare_user(username, password, role, org_code, display_name);
  if (!nu) return nu.take_error();
  return db_.with_conn([&](db::Conn& c) { return insert_user(c, *nu); });
}

Result<std::vector<User>> Accounts::list_users() {
  return db_.with_conn([&](db::Conn& c) -> Result<std::vector<User>> {
    auto q = c.prepare(
        "SELECT id, username, role, org_code, display_name, disabled FROM users ORDER BY "
        "username");
    if (!q) return q.take_error();
    std::vector<User> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      auto role = role_from_string(q->get_text(2));
      if (!role) continue;  // a role this build does not know reaches nothing
      out.push_back(User{q->get_int(0), q->get_text(1), *role, q->get_opt_text(3), q->get_text(4),
                         q->get_int(5) != 0});
    }
    return out;
  });
}

void Accounts::forget_sessions(int64_t user_id) {
  std::lock_guard lk(mu_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user.id == user_id; });
}

std::vector<FieldError> password_policy_problems(const std::string& username,
                                                 const std::string& password) {
  std::vector<FieldError> errs;
  if (password.size() < 10 || password.size() > 128) {
    errs.push_back(
        {"password", "length", {"密码应为10到128个字符", "A password has 10 to 128 characters"}});
  }
  bool lower = false, upper = false, digit = false, other = false;
  for (unsigned char ch : password) {
    if (ch >= 'a' && ch <= 'z')
      lower = true;
    else if (ch >= 'A' && ch <= 'Z')
      upper = true;
    else if (ch >= '0' && ch <= '9')
      digit = true;
    else
      other = true;
  }
  if (lower + upper + digit + other < 3) {
    errs.push_back({"password",
                    "too_simple",
                    {"密码要包含小写字母、大写字母、数字、符号中的至少三类",
                     "A password mixes at least three of: lower case, upper case, digits, "
                     "symbols"}});
  }
  if (!username.empty() && username.size() >= 3) {
    std::string lp = password;
    std::transform(lp.begin(), lp.end(), lp.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lp.find(username) != std::string::npos) {
      errs.push_back({"password",
                      "contains_username",
                      {"密码不能包含用户名", "A password must not contain the username"}});
    }
  }
  if (!password.empty() &&
      std::all_of(password.begin(), password.end(), [&](char ch) { return ch == password[0]; })) {
    errs.push_back({"password",
                    "repeated",
                    {"密码不能是同一个字符重复", "A password is not one character repeated"}});
  }
  return errs;
}

std::optional<User> Accounts::find_user(const std::string& username) {
  return db_.with_conn([&](db::Conn& c) -> std::optional<User> {
    auto q = c.prepare(
        "SELECT id, username, role, org_code, display_name, disabled FROM users WHERE username = "
        "?");
    if (!q) return std::nullopt;
    q->bind(1, username);
    auto r = q->step();
    if (!r || !*r) return std::nullopt;
    auto role = role_from_string(q->get_text(2));
    if (!role) return std::nullopt;
    return User{q->get_int(0),      q->get_text(1), *role,
                q->get_opt_text(3), q->get_text(4), q->get_int(5) != 0};
  });
}

Result<int64_t> Accounts::count_users() {
  return db_.with_conn([&](db::Conn& c) -> Result<int64_t> {
    auto q = c.prepare("SELECT COUNT(*) FROM users");
    if (!q) return q.take_error();
    auto r = q->step();
    if (!r) return r.take_error();
    return q->get_int(0);
  });
}

Result<std::string> Accounts::login(const std::string& username, const std::string& password,
                                    const std::string& client_addr) {
  const std::string ukey = "u:" + username, akey = "a:" + client_addr;
  int64_t wait = std::max(throttle_.retry_after_s(ukey), throttle_.retry_after_s(akey));
  if (wait > 0) {
    Error e = Error::make(
        ErrorKind::kRateLimited, "login_locked",
        "登录失败次数过多，请 " + std::to_string((wait + 59) / 60) + " 分钟后再试",
        "Too many failed logins; try again in " + std::to_string((wait + 59) / 60) + " minutes");
    e.retry_after_seconds = static_cast<int>(wait);
    return e;
  }
  auto hash = db_.with_conn([&](db::Conn& c) -> std::optional<std::string> {
    auto q = c.prepare("SELECT password_hash FROM users WHERE username = ? AND disabled = 0");
    if (!q) return std::nullopt;
    q->bind(1, username);
    auto r = q->step();
    if (!r || !*r) return std::nullopt;
    return q->get_text(0);
  });
  bool good = hash ? crypto::verify_password(*hash, password)
                   : (crypto::verify_password(dummy_hash_, password), false);
  if (!good) {
    throttle_.record_failure(ukey);
    throttle_.record_failure(akey);
    return unauthenticated();
  }
  throttle_.record_success(ukey);
  auto user = find_user(username);
  if (!user) return unauthenticated();
  std::string token = crypto::random_hex(32);
  std::string th = crypto::sha256_hex(token);
  int64_t now = clock_.now_ms();
  int64_t expires = now + opts_.session_max_s * 1000;
  auto s = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!q) return q.take_error();
    q->bind(1, th).bind(2, user->id).bind(3, now).bind(4, now).bind(5, expires);
    return q->run();
  });
  if (!s) return s.take_error();
  std::lock_guard lk(mu_);
  sessions_[th] = CachedSession{*user, now, now, expires};
  return token;
}

Result<User> Accounts::authenticate(const std::string& token) {
  if (token.size() != 64) return unauthenticated();
  const std::string th = crypto::sha256_hex(token);
  const int64_t now = clock_.now_ms();
  const int64_t idle = opts_.session_idle_s * 1000;
  {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(th);
    if (it != sessions_.end()) {
      auto& cs = it->second;
      if (now >= cs.expires_ms || now - cs.last_seen_ms >= idle) {
        sessions_.erase(it);
        return unauthenticated();
      }
      cs.last_seen_ms = now;
      // Persist the idle clock at most once a minute, so a restart keeps sessions alive
      // without one write per request.
      if (now - cs.persisted_seen_ms < 60'000) return cs.user;
      cs.persisted_seen_ms = now;
    }
  }
  // Cache miss (or time to persist): the database is the source of truth, so several
  // gateways in front of one database agree, and disabling a user takes effect.
  struct Row {
    User user;
    int64_t last_seen, expires;
  };
  auto row = db_.with_conn([&](db::Conn& c) -> std::optional<Row> {
    auto q = c.prepare(
        "SELECT u.id, u.username, u.role, u.org_code, u.display_name, u.disabled, "
        "s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ?");
    if (!q) return std::nullopt;
    q->bind(1, th);
    auto r = q->step();
    if (!r || !*r) return std::nullopt;
    auto role = role_from_string(q->get_text(2));
    if (!role) return std::nullopt;
    Row out{User{q->get_int(0), q->get_text(1), *role, q->get_opt_text(3), q->get_text(4),
                 q->get_int(5) != 0},
            q->get_int(6), q->get_int(7)};
    auto upd = c.prepare("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
    if (upd && now < out.expires && now - out.last_seen < idle) {
      upd->bind(1, now).bind(2, th);
      (void)upd->run();
    }
    return out;
  });
  std::lock_guard lk(mu_);
  if (!row || row->user.disabled || now >= row->expires || now - row->last_seen >= idle) {
    sessions_.erase(th);
    return unauthenticated();
  }
  auto& cs = sessions_[th];
  cs = CachedSession{row->user, now, now, row->expires};
  return row->user;
}

void Accounts::logout(const std::string& token) {
  const std::string th = crypto::sha256_hex(token);
  {
    std::lock_guard lk(mu_);
    sessions_.erase(th);
  }
  db_.with_conn([&](db::Conn& c) {
    auto q = c.prepare("DELETE FROM sessions WHERE token_hash = ?");
    if (q) {
      q->bind(1, th);
      (void)q->run();
    }
  });
}

}  // namespace yb::admin
