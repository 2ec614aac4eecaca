// Security and operations API (docs/api.md "Users", "Audit log", "Metrics", "Configuration",
// "Upstream hosts"): account management with separated duties, the audit log, Prometheus
// metrics, configuration as code and the upstream host allowlist.
#include <ctime>

#include "admin/connector_admin.h"
#include "admin/masking.h"
#include "admin/metrics.h"
#include "core/crypto.h"
#include "gateway/routing.h"

namespace yb::gateway {
namespace {

using Json = nlohmann::json;
using admin::Role;

Error forbidden(const std::string& zh, const std::string& en) {
  return Error::make(ErrorKind::kForbidden, "role_forbidden", zh, en);
}

Error bad_query(const std::string& name) {
  return Error::make(ErrorKind::kInvalidArgument, "bad_query",
                     name + " 应为毫秒时间戳或 YYYY-MM-DD 日期（UTC）",
                     name + " must be a millisecond timestamp or a YYYY-MM-DD date (UTC)");
}

std::string clip(const std::string& s, size_t n = 200) {
  return s.size() <= n ? s : s.substr(0, n);
}

bool has_role(const admin::User& u, std::initializer_list<Role> roles) {
  for (Role r : roles)
    if (u.role == r) return true;
  return false;
}

}  // namespace

std::string Routing::client_addr(const httplib::Request& req) const {
  for (const auto& p : opts.trusted_proxies) {
    if (p != req.remote_addr) continue;
    std::string xff = req.get_header_value("X-Forwarded-For");
    auto comma = xff.rfind(',');
    std::string last = comma == std::string::npos ? xff : xff.substr(comma + 1);
    while (!last.empty() && last.front() == ' ') last.erase(0, 1);
    while (!last.empty() && last.back() == ' ') last.pop_back();
    if (!last.empty() && last.size() <= 64 &&
        last.find_first_not_of("0123456789abcdefABCDEF.:[]") == std::string::npos) {
      return last;
    }
    break;
  }
  return req.remote_addr;
}

void Routing::audit(const httplib::Request& req, const std::optional<admin::User>& who,
                    const std::string& action, const std::string& target, const std::string& result,
                    Json detail) {
  admin::AuditEntry e{who ? who->username : "-",
                      who ? admin::to_string(who->role) : "",
                      action,
                      clip(target),
                      clip(client_addr(req), 64),
                      result,
                      std::move(detail)};
  if (auto st = s.audit.record(e); !st) {
    s.log->error("audit record for {} failed: {}", action, st.error().message.en);
  }
}

void add_security_routes(Routing& rt) {
  auto& http = rt.http;
  auto& s = rt.s;

  // A caller with one of `roles`, or fills res (401/403) and audits the refusal.
  auto require = [&rt](const httplib::Request& req, httplib::Response& res,
                       std::initializer_list<Role> roles,
                       const std::string& action) -> std::optional<admin::User> {
    auto u = rt.authenticate(req, res);
    if (!u) return std::nullopt;
    if (!has_role(*u, roles)) {
      rt.audit(req, *u, action, "", "denied");
      rt.send_error(res, forbidden("你的角色不能做这件事", "Your role may not do this"));
      return std::nullopt;
    }
    return u;
  };

  // ---- Users ----
  http.Get("/api/v1/admin/users", [&rt, &s](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    rt.reply(res, s.users.list({*u, rt.client_addr(req)}));
  });
  http.Post("/api/v1/admin/users", [&rt, &s](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    rt.reply(res, s.users.create({*u, rt.client_addr(req)}, *body), 201);
  });
  const std::string user_path = R"(/api/v1/admin/users/([a-z0-9_.-]{1,32}))";
  http.Post(user_path + "/password",
            [&rt, &s](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              auto body = rt.json_body(req, res);
              if (!body) return;
              auto st = s.users.reset_password({*u, rt.client_addr(req)}, req.matches[1], *body);
              if (!st) return rt.send_error(res, st.error());
              res.status = 204;
            });
  for (const char* action : {"disable", "enable"}) {
    const bool disable = std::string(action) == "disable";
    http.Post(user_path + "/" + action, [&rt, &s, disable](const httplib::Request& req,
                                                           httplib::Response& res) {
      auto u = rt.authenticate(req, res);
      if (!u) return;
      rt.reply(res, s.users.set_disabled({*u, rt.client_addr(req)}, req.matches[1], disable));
    });
  }

  // ---- Audit log: read-only for auditors, security and system admins ----
  http.Get("/api/v1/admin/audit", [&rt, &s, require](const httplib::Request& req,
                                                     httplib::Response& res) {
    auto u =
        require(req, res, {Role::kAuditor, Role::kSecurityAdmin, Role::kSystemAdmin}, "audit.view");
    if (!u) return;
    admin::AuditQuery q;
    q.actor = req.get_param_value("actor");
    q.action = req.get_param_value("action");
    for (const char* name : {"from", "to"}) {
      if (!req.has_param(name)) continue;
      auto t = admin::parse_time_param(req.get_param_value(name), /*utc_offset_minutes=*/0);
      if (!t) return rt.send_error(res, bad_query(name));
      (std::string(name) == "from" ? q.from_ms : q.to_ms) = *t;
    }
    if (!rt.page_params(req, res, q.after_seq, q.limit)) return;
    auto recs = s.audit.query(q);
    if (!recs) return rt.send_error(res, recs.error());
    Json list = Json::array();
    // Nobody reading the audit log sees personal data in full (admin/masking.h):
    // identifiers in targets and details are masked; the stored hashes are untouched.
    for (const auto& r : *recs) {
      Json j = r.to_json();
      for (const char* k : {"target", "detail"}) {
        if (j.contains(k)) j[k] = admin::mask_identifiers_in(j[k]);
      }
      list.push_back(std::move(j));
    }
    rt.audit(req, *u, "audit.view", "", "ok",
             Json{{"actor", q.actor}, {"action", q.action}, {"records", recs->size()}});
    send_json(res, 200,
              {{"records", list},
               {"next_after", recs->empty() ? Json(nullptr) : Json(recs->back().seq)}});
  });

  // ---- Metrics: an ops admin session, or the metrics token ----
  http.Get("/metrics", [&rt, &s, require](const httplib::Request& req, httplib::Response& res) {
    const auto& h = req.get_header_value("Authorization");
    const std::string token = h.rfind("Bearer ", 0) == 0 ? h.substr(7) : "";
    const bool by_token =
        !rt.opts.metrics_token.empty() && !token.empty() &&
        crypto::equal_ct(crypto::sha256_hex(token), crypto::sha256_hex(rt.opts.metrics_token));
    if (!by_token && !require(req, res, {Role::kSystemAdmin, Role::kCountyAdmin}, "metrics.view")) {
      return;
    }
    auto text = admin::render_metrics(s.db, s.connectors, s.clock, s.breaker_state, s.writer_stats);
    if (!text) return rt.send_error(res, text.error());
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
  });

  // ---- Configuration as code: system admin only (covers the whole tree) ----
  http.Get("/api/v1/admin/config",
           [&rt, &s, require](const httplib::Request& req, httplib::Response& res) {
             auto u = require(req, res, {Role::kSystemAdmin}, "config.export");
             if (!u) return;
             auto cfg = s.config_io.export_config();
             rt.audit(req, *u, "config.export", "", cfg ? "ok" : "failed");
             if (!cfg) return rt.send_error(res, cfg.error());
             res.status = 200;
             res.set_header("Cache-Control", "no-store");
             res.set_content(admin::ConfigIO::to_text(*cfg), "application/json; charset=utf-8");
           });
  http.Post("/api/v1/admin/config", [&rt, &s, require](const httplib::Request& req,
                                                       httplib::Response& res) {
    auto u = require(req, res, {Role::kSystemAdmin}, "config.import");
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    const std::string dr = req.get_param_value("dry_run");
    const bool dry = dr == "1" || dr == "true";
    auto r = s.config_io.import_config(*body, dry);
    rt.audit(req, *u, dry ? "config.import_dry_run" : "config.import", "",
             r ? "ok" : (r.error().kind == ErrorKind::kValidation ? "invalid" : "failed"),
             r ? Json{{"changes", (*r)["changes"].size()}} : Json{{"code", r.error().code}});
    rt.reply(res, r);
  });

  // ---- Upstream host allowlist: read by connector admins, set by the system admin ----
  http.Get("/api/v1/admin/upstream-hosts", [&rt, &s, require](const httplib::Request& req,
                                                              httplib::Response& res) {
    if (!require(req, res, {Role::kSystemAdmin, Role::kCountyAdmin}, "upstream_hosts.view")) return;
    auto l = s.upstream_hosts.list();
    if (!l) return rt.send_error(res, l.error());
    send_json(res, 200, {{"hosts", *l}});
  });
  http.Put("/api/v1/admin/upstream-hosts", [&rt, &s, require](const httplib::Request& req,
                                                              httplib::Response& res) {
    auto u = require(req, res, {Role::kSystemAdmin}, "upstream_hosts.set");
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    auto hs = body->find("hosts");
    std::vector<std::string> hosts;
    bool ok = hs != body->end() && hs->is_array() && body->size() == 1;
    if (ok) {
      for (const auto& h : *hs) {
        if (!h.is_string()) {
          ok = false;
          break;
        }
        hosts.push_back(h.get<std::string>());
      }
    }
    if (!ok) {
      return rt.send_error(res, Error::make(ErrorKind::kValidation, "invalid_hosts",
                                            "请求应为 {\"hosts\": [\"主机名\", ...]}",
                                            "The body is {\"hosts\": [\"host\", ...]}"));
    }
    auto st = s.upstream_hosts.replace(hosts, u->username);
    rt.audit(req, *u, "upstream_hosts.set", "", st ? "ok" : "invalid", Json{{"hosts", hosts}});
    if (!st) return rt.send_error(res, st.error());
    auto l = s.upstream_hosts.list();
    if (!l) return rt.send_error(res, l.error());
    send_json(res, 200, {{"hosts", *l}});
  });
}

}  // namespace yb::gateway
