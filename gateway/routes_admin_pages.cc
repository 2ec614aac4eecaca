// The county admin console's web pages (docs/api.md "Admin pages"): dashboard, connectors,
// deliveries, duplicate review, audit log, users. Server-rendered like the cadre pages, with
// the same cookie session, CSRF token on every state-changing form and strict CSP; they call
// the same services as the JSON admin API and record the same audit actions. Each role sees
// only the pages it may use, and the server refuses the others (403), whatever the links say.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <set>

#include "admin/connector_admin.h"
#include "admin/dashboard.h"
#include "admin/form_editor.h"
#include "admin/masking.h"
#include "admin/org_units.h"
#include "admin/upstream_forms.h"
#include "admin/users.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/markup.h"
#include "forms/forms.h"
#include "gateway/http_errors.h"
#include "gateway/routing.h"
#include "gateway/web/pages.h"
#include "gateway/web/session.h"

namespace yb::gateway {
namespace {

using admin::Role;
using web::Chrome;
using web::Pages;
using web::Params;
using web::Session;
using Json = nlohmann::json;

enum class Area {
  kDashboard,
  kConnectors,
  kDeliveries,
  kDuplicates,
  kForms,
  kOrgUnits,
  kAudit,
  kUsers
};

// Who may open which page: the same rules as the JSON API behind it.
bool may(Role r, Area a) {
  switch (a) {
    case Area::kDashboard:
    case Area::kOrgUnits:
    case Area::kUsers:  // auditors read the list; the service decides who may change whom
      return r != Role::kCadre;
    case Area::kConnectors:
    case Area::kDeliveries:
    case Area::kDuplicates:
    case Area::kForms:
      return r == Role::kCountyAdmin || r == Role::kSystemAdmin;
    case Area::kAudit:
      return r == Role::kAuditor || r == Role::kSecurityAdmin || r == Role::kSystemAdmin;
  }
  return false;
}

struct NavItem {
  Area area;
  const char* href;
  const char* key;
};
constexpr NavItem kNav[] = {{Area::kDashboard, "/admin", "adm_nav_dashboard"},
                            {Area::kConnectors, "/admin/connectors", "adm_nav_connectors"},
                            {Area::kDeliveries, "/admin/deliveries", "adm_nav_deliveries"},
                            {Area::kDuplicates, "/admin/duplicates", "adm_nav_duplicates"},
                            {Area::kForms, "/admin/forms", "adm_nav_forms"},
                            {Area::kForms, "/admin/upstream-forms", "adm_nav_upstream"},
                            {Area::kOrgUnits, "/admin/org-units", "adm_nav_org_units"},
                            {Area::kAudit, "/admin/audit", "adm_nav_audit"},
                            {Area::kUsers, "/admin/users", "adm_nav_users"}};

// Notices after a redirect (?done=KEY): only these keys are shown, as catalogue text.
const std::set<std::string> kDone = {"saved",    "paused",    "resumed", "retried", "rerendered",
                                     "requeued", "merge",     "keep",    "undo",    "created",
                                     "password", "disable",   "enable",  "draft",   "publish",
                                     "close",    "registered"};

std::string digits_only(const std::string& s, size_t max_len = 18) {
  if (s.empty() || s.size() > max_len || s.find_first_not_of("0123456789") != std::string::npos) {
    return "";
  }
  return s;
}

std::string param(const Params& p, const std::string& name) {
  for (const auto& [k, v] : p) {
    if (k == name) return v;
  }
  return "";
}

std::string pct(const Json& v) {
  if (!v.is_number()) return "–";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", v.get<double>() * 100);
  return buf;
}

std::string age_text(int64_t s) {
  if (s <= 0) return "–";
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

// Adds "has_KEY": true beside every non-empty list, so a template can wrap a list once
// ({{#has_rows}}<table>…{{/has_rows}}).
void mark_lists(Json& j) {
  if (j.is_array()) {
    for (auto& e : j) mark_lists(e);
    return;
  }
  if (!j.is_object()) return;
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_array() && !it.value().empty()) keys.push_back(it.key());
    mark_lists(it.value());
  }
  for (const auto& k : keys) j["has_" + k] = true;
}

struct Admin {
  Routing& rt;
  Pages pages;
  const char* csp;

  std::string lang(const httplib::Request& req) {
    std::string l = web::cookie(req, web::kLangCookie);
    return web::known_language(l) ? l : "zh-CN";
  }
  std::string text(const std::string& lang, const std::string& key) {
    return pages.text(lang, key);
  }
  std::string msg(const std::string& lang, const Error& e) {
    return lang == "en" ? e.message.en : e.message.zh;
  }

  Chrome chrome(const httplib::Request& req, const Session& s, const std::string& title_key) {
    Chrome c;
    c.lang = lang(req);
    c.elder = web::cookie(req, web::kElderCookie) == "1";
    c.page = "admin";
    c.title = text(c.lang, title_key);
    c.path = req.path;
    c.user = s.user.display_name.empty() ? s.user.username : s.user.display_name;
    c.csrf = s.csrf;
    c.admin = s.user.role != Role::kCadre;
    return c;
  }

  void show(const httplib::Request& req, httplib::Response& res, const Session& s, Area area,
            const std::string& tmpl, const std::string& title_key, Json view, int status = 200) {
    Chrome c = chrome(req, s, title_key);
    Json nav = Json::array();
    for (const auto& n : kNav) {
      if (!may(s.user.role, n.area)) continue;
      nav.push_back(
          {{"href", n.href}, {"label", text(c.lang, n.key)}, {"current", n.area == area}});
    }
    view["nav"] = nav;
    view["csrf"] = s.csrf;
    view["heading"] = c.title;
    view["role_label"] = text(c.lang, std::string("adm_role_") + admin::to_string(s.user.role));
    const std::string done = req.get_param_value("done");
    if (kDone.count(done)) {
      std::string n = digits_only(req.get_param_value("n"), 9);
      std::string notice = text(c.lang, "adm_done_" + done);
      if (!n.empty()) notice += " (" + n + ")";
      view["notice"] = notice;
    }
    mark_lists(view);
    web::send_html(res, csp, status, pages.page(c, tmpl, std::move(view)));
  }

  void message(const httplib::Request& req, httplib::Response& res, const Session& s, int status,
               const std::string& m) {
    Chrome c = chrome(req, s, "error_title");
    c.page = "message";
    web::send_html(res, csp, status,
                   pages.message(c, text(c.lang, "error_title"), m,
                                 may(s.user.role, Area::kDashboard) ? "/admin" : "/home",
                                 text(c.lang, "back_home")));
  }

  // The session of a user who may open `area`; otherwise the login page (no session) or 403.
  std::optional<Session> require(const httplib::Request& req, httplib::Response& res, Area area) {
    auto s = web::session(rt.s.accounts, req);
    if (!s) {
      web::redirect(res, csp, "/?next=" + web::local_path(req.path, "/admin"));
      return std::nullopt;
    }
    if (!may(s->user.role, area)) {
      message(req, res, *s, 403, text(lang(req), "adm_forbidden"));
      return std::nullopt;
    }
    return s;
  }

  // As require(), for a form post: also the body, and a 403 page unless its _csrf matches.
  std::optional<std::pair<Session, Params>> require_post(const httplib::Request& req,
                                                         httplib::Response& res, Area area) {
    auto s = require(req, res, area);
    if (!s) return std::nullopt;
    // Forms with a large text (a configuration, a definition, a CSV) are sent as
    // multipart/form-data: cpp-httplib refuses url-encoded bodies over 8 KB.
    Params p;
    if (req.is_multipart_form_data()) {
      for (const auto& [name, part] : req.files) p.emplace_back(name, part.content);
    } else {
      p = web::parse_urlencoded(req.body);
    }
    if (!crypto::equal_ct(param(p, "_csrf"), s->csrf)) {
      message(req, res, *s, 403, text(lang(req), "csrf_failed"));
      return std::nullopt;
    }
    return std::make_pair(std::move(*s), std::move(p));
  }

  void fail(const httplib::Request& req, httplib::Response& res, const Session& s, const Error& e) {
    if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
      rt.s.log->error("{}: {}", e.code, e.message.en);
    }
    message(req, res, s, http_status(e.kind), msg(lang(req), e));
  }

  // Every problem of a validation error, one line each (path: message).
  Json problems(const std::string& lang, const Error& e) {
    Json out = Json::array();
    for (const auto& d : e.details) {
      out.push_back({{"path", d.path}, {"message", lang == "en" ? d.message.en : d.message.zh}});
    }
    if (out.empty()) out.push_back({{"path", ""}, {"message", msg(lang, e)}});
    return out;
  }

  std::string label(const std::string& lang, const Json& names) {
    if (!names.is_object()) return names.is_string() ? names.get<std::string>() : "";
    for (const char* k : {lang.c_str(), "zh-CN"}) {
      auto it = names.find(k);
      if (it != names.end() && it->is_string() && !it->get<std::string>().empty()) return *it;
    }
    return "";
  }

  // ---- dashboard ----
  void dashboard(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kDashboard);
    if (!s) return;
    const std::string l = lang(req);
    std::string days_s = digits_only(req.get_param_value("days"), 3);
    int days = days_s.empty() ? 30 : std::stoi(days_s);
    if (days < 1 || days > 366) days = 30;
    auto d = rt.s.dashboard.data(s->user, days);
    if (!d) return fail(req, res, *s, d.error());
    Json j = d->to_json();
    Json view;
    view["org_name"] = d->root_name;
    view["days"] = std::to_string(days);
    Json choices = Json::array();
    for (int n : {7, 30, 90}) {
      choices.push_back({{"n", std::to_string(n)}, {"selected", n == days}});
    }
    view["day_choices"] = choices;
    Json daily = Json::array();
    for (auto day : j["days"]) {
      const double answers = day["typed"].get<double>() + day["prefilled"].get<double>();
      day["rate"] = answers > 0 ? pct(day["prefilled"].get<double>() / answers) : "–";
      daily.push_back(day);
    }
    // Newest first in the table (the chart runs oldest to newest).
    std::reverse(daily.begin(), daily.end());
    view["daily"] = daily;
    view["places"] = j["places"];
    Json conns = Json::array();
    for (auto c : j["connectors"]) {
      c["rate"] = pct(c["success_rate"]);
      c["age"] = age_text(c["oldest_backlog_age_s"].get<int64_t>());
      c["paused"] = c["circuit"] == "paused";
      conns.push_back(c);
    }
    view["connectors"] = conns;
    view["forms"] = j["forms"];
    // Upstream forms consolidated into the unified form: how much of each it covers.
    Json ups = Json::array();
    for (auto u : j["upstream_forms"].value("list", Json::array())) {
      u["rate"] = pct(u["ratio"]);
      ups.push_back(u);
    }
    view["upstream"] = ups;
    view["upstream_rate"] = pct(j["upstream_forms"].value("ratio", Json()));
    Json charts = Json::array();
    for (const char* name : {"saved", "prefill", "places", "health", "coverage"}) {
      charts.push_back({{"name", name},
                        {"days", std::to_string(days)},
                        {"alt", text(l, std::string("adm_chart_") + name)}});
    }
    view["charts"] = charts;
    show(req, res, *s, Area::kDashboard, "admin_dashboard", "adm_dashboard_title", view);
  }

  void chart(const httplib::Request& req, httplib::Response& res) {
    auto s = web::session(rt.s.accounts, req);
    if (!s || !may(s->user.role, Area::kDashboard)) {
      res.status = s ? 403 : 401;
      return;
    }
    std::string days_s = digits_only(req.get_param_value("days"), 3);
    int days = days_s.empty() ? 30 : std::stoi(days_s);
    if (days < 1 || days > 366) days = 30;
    auto d = rt.s.dashboard.data(s->user, days);
    if (!d) return rt.send_error(res, d.error());
    auto svg = admin::dashboard_chart(*d, req.matches[1]);
    if (!svg) return rt.send_error(res, svg.error());
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy", "default-src 'none'");
    res.set_content(*svg, "image/svg+xml; charset=utf-8");
  }

  // ---- connectors ----
  // The dictionary's sensitivity of a field key: "sensitive", "personal", "public" or "".
  std::string sensitivity(const std::string& key) {
    auto dict = rt.s.catalog.dictionary();
    if (!dict) return "";
    const auto* f = (*dict)->find(key);
    return f ? forms::to_string(f->sensitivity) : "";
  }

  Json receives(const Json& fields) {
    Json out = Json::array();
    for (const auto& f : fields) {
      if (!f.is_string()) continue;
      const std::string k = f;
      const std::string sens = sensitivity(k);
      out.push_back(
          {{"key", k}, {"sensitive", sens == "sensitive"}, {"personal", sens == "personal"}});
    }
    return out;
  }

  // A starting point for a new connector's configuration (docs/connectors.md has them all).
  static std::string starter_config() {
    Json c = {{"type", "http_json"},
              {"name", {{"zh-CN", ""}, {"en", ""}}},
              {"forms", {"resident_household"}},
              {"url", "https://"},
              {"method", "POST"},
              {"mapping", {{"fields", {{{"to", "name"}, {"from", "person.name"}}}}}}};
    return c.dump(2);
  }

  void connectors(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kConnectors);
    if (!s) return;
    connectors_page(req, res, *s, Json::object());
  }

  void connectors_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                       Json extra, int status = 200) {
    auto list = rt.s.connector_admin.list();
    if (!list) return fail(req, res, s, list.error());
    const std::string l = lang(req);
    Json rows = Json::array();
    for (const auto& c : (*list)["connectors"]) {
      rows.push_back({{"id", c["id"]},
                      {"name", label(l, c["name"])},
                      {"type", c["type"]},
                      {"url", c.value("url", Json(""))},
                      {"paused", c["paused"]},
                      {"pause_reason", c["pause_reason"]},
                      {"circuit", c["circuit"]},
                      {"fields", receives(c["receives_fields"])},
                      {"missing_secrets", c["missing_secrets"]}});
    }
    Json view = std::move(extra);
    view["connectors"] = rows;
    if (!view.contains("new_config")) view["new_config"] = starter_config();
    show(req, res, s, Area::kConnectors, "admin_connectors", "adm_connectors_title", view, status);
  }

  // A new connector from its id and configuration (the same checks as saving one).
  void connector_create(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kConnectors);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string l = lang(req);
    const std::string id = param(p, "id"), text_in = param(p, "config");
    auto invalid = [&](const Json& problems) {
      connectors_page(req, res, s, {{"new_id", id}, {"new_config", text_in}, {"errors", problems}},
                      422);
    };
    const bool id_ok =
        !id.empty() && id.size() <= 40 &&
        id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!id_ok) return invalid(Json::array({{{"path", "id"}, {"message", text(l, "adm_bad_id")}}}));
    if (rt.s.connector_admin.get(id)) {
      return invalid(Json::array({{{"path", "id"}, {"message", text(l, "adm_id_taken")}}}));
    }
    Json cfg = Json::parse(text_in, nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) {
      return invalid(Json::array({{{"path", ""}, {"message", text(l, "adm_config_not_json")}}}));
    }
    if (!cfg.contains("id")) cfg["id"] = id;
    if (auto st = rt.s.upstream_hosts.check_config(cfg); !st) {
      rt.audit(req, s.user, "connector.put", id, "denied", Json{{"code", st.error().code}});
      return invalid(problems(l, st.error()));
    }
    auto r = rt.s.connector_admin.put(id, std::move(cfg));
    rt.audit(req, s.user, "connector.put", id, r ? "ok" : "invalid");
    if (!r) return invalid(problems(l, r.error()));
    web::redirect(res, csp, "/admin/connectors/" + id + "?done=saved");
  }

  // The connector page; `extra` carries what a post adds (errors, preview, test result).
  void connector_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                      const std::string& id, Json extra, int status = 200) {
    auto got = rt.s.connector_admin.get(id);
    if (!got) return fail(req, res, s, got.error());
    auto list = rt.s.connector_admin.list();
    if (!list) return fail(req, res, s, list.error());
    const std::string l = lang(req);
    Json view = std::move(extra);
    view["id"] = id;
    for (const auto& c : (*list)["connectors"]) {
      if (c["id"] != id) continue;
      view["name"] = label(l, c["name"]);
      view["type"] = c["type"];
      view["url"] = c.value("url", Json(""));
      view["circuit"] = c["circuit"];
      view["fields"] = receives(c["receives_fields"]);
      view["missing_secrets"] = c["missing_secrets"];
    }
    const Json& st = (*got)["status"];
    view["paused"] = st["paused"];
    view["pause_reason"] = st["pause_reason"];
    view["version"] = st["version"];
    if (!view.contains("config")) view["config"] = (*got)["connector"].dump(2);
    show(req, res, s, Area::kConnectors, "admin_connector", "adm_connector_title", view, status);
  }

  void connector(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kConnectors);
    if (!s) return;
    connector_page(req, res, *s, req.matches[1], Json::object());
  }

  void connector_save(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kConnectors);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string id = req.matches[1];
    const std::string l = lang(req);
    const std::string text_in = param(p, "config");
    Json cfg = Json::parse(text_in, nullptr, false);
    auto invalid = [&](const Json& problems) {
      connector_page(req, res, s, id, {{"config", text_in}, {"errors", problems}}, 422);
    };
    if (cfg.is_discarded() || !cfg.is_object()) {
      return invalid(Json::array({{{"path", ""}, {"message", text(l, "adm_config_not_json")}}}));
    }
    if (auto st = rt.s.upstream_hosts.check_config(cfg); !st) {
      rt.audit(req, s.user, "connector.put", id, "denied", Json{{"code", st.error().code}});
      return invalid(problems(l, st.error()));
    }
    auto r = rt.s.connector_admin.put(id, std::move(cfg));
    rt.audit(req, s.user, "connector.put", id, r ? "ok" : "invalid");
    if (!r) return invalid(problems(l, r.error()));
    web::redirect(res, csp, "/admin/connectors/" + id + "?done=saved");
  }

  // Preview or test send on a sample answer (the posted JSON values, or the built-in sample).
  void connector_try(const httplib::Request& req, httplib::Response& res, bool send) {
    auto sp = require_post(req, res, Area::kConnectors);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string id = req.matches[1];
    const std::string l = lang(req);
    const std::string values_in = param(p, "values");
    Json body = Json::object();
    Json extra = {{"values", values_in}};
    if (!values_in.empty()) {
      Json v = Json::parse(values_in, nullptr, false);
      if (v.is_discarded() || !v.is_object()) {
        extra["try_errors"] =
            Json::array({{{"path", ""}, {"message", text(l, "adm_values_not_json")}}});
        return connector_page(req, res, s, id, extra, 422);
      }
      body["values"] = v;
    }
    auto r = send ? rt.s.connector_admin.test(id, body) : rt.s.connector_admin.preview(id, body);
    if (send) rt.audit(req, s.user, "connector.test", id, r ? "ok" : "failed");
    if (!r) {
      extra["try_errors"] = problems(l, r.error());
      return connector_page(req, res, s, id, extra, http_status(r.error().kind));
    }
    Json out = {{"skipped", r->value("skipped", false)}};
    if (r->contains("request")) {
      const Json& rq = (*r)["request"];
      Json headers = Json::array();
      for (const auto& h : rq["headers"]) {
        if (h.is_array() && h.size() == 2) {
          headers.push_back({{"name", h[0]}, {"value", h[1]}});
        } else if (h.is_object()) {
          headers.push_back({{"name", h.value("name", "")}, {"value", h.value("value", "")}});
        }
      }
      if (rq["headers"].is_object()) {
        for (auto it = rq["headers"].begin(); it != rq["headers"].end(); ++it) {
          headers.push_back({{"name", it.key()}, {"value", it.value()}});
        }
      }
      out["request"] = {{"method", rq["method"]},
                        {"url", rq["url"]},
                        {"headers", headers},
                        {"body", rq["body_json"].is_null() ? rq["body"].get<std::string>()
                                                           : rq["body_json"].dump(2)}};
    } else if (r->contains("payload")) {
      out["payload"] = (*r)["payload"].dump(2);
    }
    if (r->contains("test")) {
      const Json& t = (*r)["test"];
      out["test"] = {{"status", t["status"]},
                     {"ok", t["ok"]},
                     {"duration_ms", t["duration_ms"]},
                     {"error", t["error"]},
                     {"response_excerpt", t["response_excerpt"]}};
    }
    extra[send ? "tested" : "previewed"] = out;
    connector_page(req, res, s, id, extra);
  }

  void connector_pause(const httplib::Request& req, httplib::Response& res, bool pause) {
    auto sp = require_post(req, res, Area::kConnectors);
    if (!sp) return;
    auto& s = sp->first;
    const std::string id = req.matches[1];
    auto st = rt.s.connector_admin.pause(id, pause);
    rt.audit(req, s.user, pause ? "connector.pause" : "connector.resume", id, st ? "ok" : "failed");
    if (!st) return fail(req, res, s, st.error());
    web::redirect(res, csp, "/admin/connectors/" + id + (pause ? "?done=paused" : "?done=resumed"));
  }

  // ---- deliveries ----
  static bool known_status(const std::string& st) {
    static const std::set<std::string> k = {"pending",   "sending", "retrying",
                                            "delivered", "skipped", "dead"};
    return k.count(st) > 0;
  }

  void deliveries(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kDeliveries);
    if (!s) return;
    const std::string l = lang(req);
    admin::DeliveryQuery q;
    const std::string status = req.get_param_value("status");
    const std::string connector = req.get_param_value("connector");
    if (known_status(status)) q.status = status;
    auto list = rt.s.connector_admin.list();
    if (!list) return fail(req, res, *s, list.error());
    Json conns = Json::array();
    std::map<std::string, std::string> names;
    for (const auto& c : (*list)["connectors"]) {
      const std::string id = c["id"];
      names[id] = label(l, c["name"]);
      if (id == connector) q.connector = id;
      conns.push_back({{"id", id}, {"name", names[id]}, {"selected", id == connector}});
    }
    const std::string org = digits_only(req.get_param_value("org_unit"), 12);
    q.org_unit = org;
    Json errors = Json::array();
    std::string from = req.get_param_value("from").substr(0, 10),
                to = req.get_param_value("to").substr(0, 10);
    for (auto [name, v, out] : {std::tuple{"from", &from, &q.from_ms}, {"to", &to, &q.to_ms}}) {
      if (v->empty()) continue;
      auto t = admin::parse_time_param(*v);
      if (!t || v->size() != 10) {
        errors.push_back({{"path", name}, {"message", text(l, "adm_audit_bad_date")}});
        continue;
      }
      *out = std::string(name) == "to" ? *t + 86400000 : *t;  // "to" is the last day shown
    }
    std::string after = digits_only(req.get_param_value("after"));
    if (!after.empty()) q.after_seq = std::stoll(after);
    q.limit = 50;
    auto r = errors.empty() ? rt.s.connector_admin.deliveries(s->user, q)
                            : Result<Json>(Json{{"deliveries", Json::array()}});
    if (!r) return fail(req, res, *s, r.error());
    Json rows = Json::array();
    for (auto d : (*r)["deliveries"]) {
      const std::string st = d["status"];
      d["connector_name"] = names.count(d["connector"]) ? names[d["connector"]] : "";
      d["status_label"] = text(l, known_status(st) ? "status_" + st : "status_unknown");
      d["retryable"] = st == "dead" || st == "retrying";
      d["rerenderable"] = st == "dead" || st == "skipped";
      rows.push_back(d);
    }
    Json statuses = Json::array();
    for (const char* st : {"pending", "sending", "retrying", "delivered", "skipped", "dead"}) {
      statuses.push_back({{"value", st},
                          {"label", text(l, std::string("status_") + st)},
                          {"selected", status == st}});
    }
    Json view = {{"deliveries", rows},
                 {"statuses", statuses},
                 {"connectors", conns},
                 {"status", q.status},
                 {"connector", q.connector},
                 {"org_unit", org},
                 {"from", from},
                 {"to", to},
                 {"errors", errors}};
    if (r->contains("next") && !(*r)["next"].is_null() && rows.size() >= 50) {
      view["next"] =
          "/admin/deliveries?status=" + web::url_encode(q.status) +
          "&connector=" + web::url_encode(q.connector) + "&org_unit=" + org +
          "&from=" + web::url_encode(from) + "&to=" + web::url_encode(to) + "&after=" +
          ((*r)["next"].is_string() ? (*r)["next"].get<std::string>() : (*r)["next"].dump());
    }
    show(req, res, *s, Area::kDeliveries, "admin_deliveries", "adm_deliveries_title", view,
         errors.empty() ? 200 : 422);
  }

  void delivery(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kDeliveries);
    if (!s) return;
    const std::string l = lang(req);
    auto r = rt.s.connector_admin.delivery(s->user, req.matches[1]);
    if (!r) return fail(req, res, *s, r.error());
    Json d = *r;
    const std::string st = d.value("status", "");
    d["status_label"] = text(l, known_status(st) ? "status_" + st : "status_unknown");
    d["retryable"] = st == "dead" || st == "retrying";
    d["rerenderable"] = st == "dead" || st == "skipped";
    d["payload_text"] = d.contains("payload") ? d["payload"].dump(2) : "";
    d.erase("payload");
    show(req, res, *s, Area::kDeliveries, "admin_delivery", "adm_delivery_title", d);
  }

  void delivery_action(const httplib::Request& req, httplib::Response& res, bool rerender) {
    auto sp = require_post(req, res, Area::kDeliveries);
    if (!sp) return;
    auto& s = sp->first;
    const std::string id = req.matches[1];
    auto r = rerender ? rt.s.connector_admin.rerender(s.user, id)
                      : rt.s.connector_admin.retry(s.user, id);
    rt.audit(req, s.user, rerender ? "delivery.rerender" : "delivery.retry", id,
             r ? "ok" : "failed");
    if (!r) return fail(req, res, s, r.error());
    const std::string back = web::local_path(param(sp->second, "back"), "/admin/deliveries/" + id);
    web::redirect(res, csp,
                  back + (back.find('?') == std::string::npos ? "?" : "&") +
                      (rerender ? "done=rerendered" : "done=retried"));
  }

  void bulk_retry(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kDeliveries);
    if (!sp) return;
    auto& [s, p] = *sp;
    Json filter = {{"status", param(p, "status") == "retrying" ? "retrying" : "dead"}};
    const std::string c = param(p, "connector");
    if (!c.empty()) filter["connector"] = c;
    auto r = rt.s.connector_admin.bulk_retry(s.user, filter);
    rt.audit(req, s.user, "delivery.bulk_retry", "", r ? "ok" : "failed", filter);
    if (!r) return fail(req, res, s, r.error());
    web::redirect(res, csp,
                  "/admin/deliveries?status=" + filter["status"].get<std::string>() +
                      "&connector=" + web::url_encode(c) +
                      "&done=requeued&n=" + std::to_string(r->value("requeued", 0)));
  }

  // ---- duplicates ----
  void duplicates(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kDuplicates);
    if (!s) return;
    const std::string l = lang(req);
    std::string status = req.get_param_value("status");
    if (status != "merged" && status != "kept") status = "open";
    auto r = rt.s.subjects.duplicates(s->user, status, 50);
    rt.audit(req, s->user, "duplicates.view", status, r ? "ok" : "failed",
             r ? Json{{"pairs", (*r)["duplicates"].size()}} : Json::object());
    if (!r) return fail(req, res, *s, r.error());
    Json pairs = Json::array();
    for (const auto& p : (*r)["duplicates"]) {
      Json rows = Json::array();
      for (const char* k : {"name", "id_number", "birth_date", "sex", "phone", "org_name"}) {
        auto v = [&](const char* side) {
          const Json& x = p[side].value(k, Json());
          return x.is_string() ? x.get<std::string>() : x.is_null() ? "" : x.dump();
        };
        const std::string a = v("a"), b = v("b");
        rows.push_back({{"label", text(l, std::string("adm_dup_") + k)},
                        {"a", a},
                        {"b", b},
                        {"same", !a.empty() && a == b}});
      }
      Json reasons = Json::array();
      for (const auto& x : p["reasons"])
        reasons.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      pairs.push_back({{"id", p["id"].dump()},
                       {"score", p["score"].is_number()
                                     ? [&] {
                                         char b[16];
                                         std::snprintf(b, sizeof b, "%.1f", p["score"].get<double>());
                                         return std::string(b);
                                       }()
                                     : p["score"].dump()},
                       {"reasons", reasons},
                       {"created_at", p["created_at"]},
                       {"a_id", p["a"].value("id", Json()).dump()},
                       {"b_id", p["b"].value("id", Json()).dump()},
                       {"rows", rows},
                       {"open", p["status"] == "open"},
                       {"merged", p["status"] == "merged"}});
    }
    Json tabs = Json::array();
    for (const char* st : {"open", "merged", "kept"}) {
      tabs.push_back({{"value", st},
                      {"label", text(l, std::string("adm_dup_tab_") + st)},
                      {"current", status == st}});
    }
    show(req, res, *s, Area::kDuplicates, "admin_duplicates", "adm_duplicates_title",
         {{"pairs", pairs}, {"tabs", tabs}, {"status", status}});
  }

  void duplicate_decide(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kDuplicates);
    if (!sp) return;
    auto& s = sp->first;
    const std::string decision = req.matches[2];
    auto r = rt.s.subjects.decide(s.user, std::stoll(req.matches[1]), decision);
    rt.audit(req, s.user, "duplicate." + decision, req.matches[1], r ? "ok" : "failed");
    if (!r) return fail(req, res, s, r.error());
    web::redirect(res, csp,
                  std::string("/admin/duplicates?status=") +
                      (decision == "merge"  ? "merged"
                       : decision == "keep" ? "kept"
                                            : "open") +
                      "&done=" + decision);
  }

  // ---- audit log (read-only) ----
  void audit_log(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kAudit);
    if (!s) return;
    const std::string l = lang(req);
    admin::AuditQuery q;
    q.actor = req.get_param_value("actor").substr(0, 64);
    q.action = req.get_param_value("action").substr(0, 64);
    Json view = {{"actor", q.actor}, {"action", q.action}};
    Json errors = Json::array();
    for (const char* name : {"from", "to"}) {
      const std::string v = req.get_param_value(name);
      view[name] = v.substr(0, 10);
      if (v.empty()) continue;
      // Days in UTC, as the audit API reads them.
      const auto day = admin::parse_time_param(v, /*utc_offset_minutes=*/0);
      if (!day || v.find('-') == std::string::npos) {
        errors.push_back({{"path", name}, {"message", text(l, "adm_audit_bad_date")}});
        continue;
      }
      const int64_t ms = *day;
      // "to" is the last day shown, inclusive.
      (std::string(name) == "from" ? q.from_ms : q.to_ms) =
          std::string(name) == "to" ? ms + 86400000 : ms;
    }
    std::string after = digits_only(req.get_param_value("after"));
    if (!after.empty()) q.after_seq = std::stoll(after);
    q.limit = 100;
    if (!errors.empty()) {
      view["errors"] = errors;
      view["records"] = Json::array();
      return show(req, res, *s, Area::kAudit, "admin_audit", "adm_audit_title", view, 422);
    }
    auto recs = rt.s.audit.query(q);
    if (!recs) return fail(req, res, *s, recs.error());
    Json rows = Json::array();
    for (const auto& r : *recs) {
      Json j = r.to_json();
      // As the API: nobody reading the log sees personal data in full (admin/masking.h).
      for (const char* k : {"target", "detail"}) {
        if (j.contains(k)) j[k] = admin::mask_identifiers_in(j[k]);
      }
      std::time_t t = static_cast<std::time_t>(r.at_ms / 1000 + 8 * 3600);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
      j["when"] = buf;
      j["detail_text"] = j["detail"].is_object() && j["detail"].empty() ? "" : j["detail"].dump();
      j["seq"] = std::to_string(r.seq);
      j["ok"] = r.entry.result == "ok";
      rows.push_back(j);
    }
    rt.audit(
        req, s->user, "audit.view", "", "ok",
        Json{{"actor", q.actor}, {"action", q.action}, {"records", recs->size()}, {"page", true}});
    view["records"] = rows;
    if (recs->size() >= 100) {
      view["next"] = "/admin/audit?actor=" + web::url_encode(q.actor) +
                     "&action=" + web::url_encode(q.action) +
                     "&from=" + web::url_encode(view["from"].get<std::string>()) +
                     "&to=" + web::url_encode(view["to"].get<std::string>()) +
                     "&after=" + std::to_string(recs->back().seq);
    }
    show(req, res, *s, Area::kAudit, "admin_audit", "adm_audit_title", view);
  }

  // ---- users ----
  void users_page(const httplib::Request& req, httplib::Response& res, const Session& s, Json extra,
                  int status = 200) {
    const std::string l = lang(req);
    auto r = rt.s.users.list({s.user, rt.client_addr(req)});
    if (!r) return fail(req, res, s, r.error());
    Json rows = Json::array();
    for (auto u : (*r)["users"]) {
      auto role = admin::role_from_string(u.value("role", ""));
      u["role_label"] = text(l, "adm_role_" + u.value("role", ""));
      u["manage"] = role && admin::UserAdmin::may_manage(s.user.role, *role) &&
                    u.value("username", "") != s.user.username;
      if (u["org_unit"].is_null()) u["org_unit"] = "";
      rows.push_back(u);
    }
    Json roles = Json::array();
    for (Role r2 : {Role::kCadre, Role::kCountyAdmin, Role::kAuditor, Role::kSecurityAdmin,
                    Role::kSystemAdmin}) {
      if (!admin::UserAdmin::may_manage(s.user.role, r2)) continue;
      const std::string name = admin::to_string(r2);
      roles.push_back({{"value", name},
                       {"label", text(l, "adm_role_" + name)},
                       {"selected", extra.value("new_role", "") == name}});
    }
    Json view = std::move(extra);
    view["users"] = rows;
    view["roles"] = roles;
    view["may_create"] = !roles.empty();
    show(req, res, s, Area::kUsers, "admin_users", "adm_users_title", view, status);
  }

  void users(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kUsers);
    if (!s) return;
    users_page(req, res, *s, Json::object());
  }

  void user_create(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kUsers);
    if (!sp) return;
    auto& [s, p] = *sp;
    Json body = {{"username", param(p, "username")},
                 {"password", param(p, "password")},
                 {"role", param(p, "role")}};
    if (!param(p, "org_unit").empty()) body["org_unit"] = param(p, "org_unit");
    if (!param(p, "display_name").empty()) body["display_name"] = param(p, "display_name");
    auto r = rt.s.users.create({s.user, rt.client_addr(req)}, body);
    if (!r) {
      return users_page(req, res, s,
                        {{"errors", problems(lang(req), r.error())},
                         {"new_username", param(p, "username")},
                         {"new_display_name", param(p, "display_name")},
                         {"new_org_unit", param(p, "org_unit")},
                         {"new_role", param(p, "role")}},
                        http_status(r.error().kind));
    }
    web::redirect(res, csp, "/admin/users?done=created");
  }

  void user_action(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kUsers);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string who = req.matches[1], action = req.matches[2];
    const admin::Caller caller{s.user, rt.client_addr(req)};
    Error err;
    bool ok = true;
    if (action == "password") {
      auto st = rt.s.users.reset_password(caller, who, {{"password", param(p, "password")}});
      if (!st) ok = false, err = st.error();
    } else {
      auto r = rt.s.users.set_disabled(caller, who, action == "disable");
      if (!r) ok = false, err = r.error();
    }
    if (!ok) {
      return users_page(req, res, s, {{"errors", problems(lang(req), err)}}, http_status(err.kind));
    }
    web::redirect(res, csp, "/admin/users?done=" + action);
  }
  // ---- dictionary and forms (admin/form_editor.h) ----
  admin::Caller caller(const httplib::Request& req, const Session& s) {
    return admin::Caller{s.user, rt.client_addr(req)};
  }

  void forms_page(const httplib::Request& req, httplib::Response& res, const Session& s, Json extra,
                  int status = 200) {
    const std::string l = lang(req);
    auto r = rt.s.form_editor.list_forms(caller(req, s));
    if (!r) return fail(req, res, s, r.error());
    Json rows = Json::array();
    for (const auto& f : (*r)["forms"]) {
      const std::string st = f.value("status", "");
      rows.push_back({{"id", f["id"]},
                      {"title", label(l, f.value("title", Json()))},
                      {"status", st},
                      {"status_label", text(l, "adm_form_" + st)},
                      {"published_version", f.value("published_version", Json()).dump()},
                      {"has_draft", !f.value("draft_version", Json()).is_null()}});
    }
    Json view = std::move(extra);
    view["forms"] = rows;
    show(req, res, s, Area::kForms, "admin_forms", "adm_forms_title", view, status);
  }

  void forms_list(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    const std::string open = req.get_param_value("open");
    if (!open.empty() && open.size() <= 40 &&
        open.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos) {
      return web::redirect(res, csp, "/admin/forms/" + open);
    }
    forms_page(req, res, *s, Json::object());
  }

  void form_edit_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                      const std::string& id, Json extra, int status = 200) {
    const std::string l = lang(req);
    Json view = std::move(extra);
    view["id"] = id;
    auto f = rt.s.form_editor.form(caller(req, s), id);
    if (f) {
      const Json& j = *f;
      const std::string st = j.value("status", "");
      view["title"] = label(l, j.value("title", Json()));
      view["status_label"] = text(l, "adm_form_" + st);
      view["published"] = st == "published";
      view["draft_exists"] = !j.value("draft", Json()).is_null();
      Json versions = Json::array();
      for (const auto& v : j.value("versions", Json::array())) {
        versions.push_back({{"version", v.value("version", Json()).dump()},
                            {"status_label", text(l, "adm_form_" + v.value("status", ""))},
                            {"created_at", v.value("created_at", Json(""))}});
      }
      view["versions"] = versions;
      if (!view.contains("definition")) {
        const Json& d =
            !j.value("draft", Json()).is_null() ? j["draft"] : j.value("published", Json());
        view["definition"] = d.is_null() ? "" : d.dump(2);
      }
    } else if (f.error().kind != ErrorKind::kNotFound) {
      return fail(req, res, s, f.error());
    } else {
      view["is_new"] = true;
      if (!view.contains("definition")) view["definition"] = "";
    }
    show(req, res, s, Area::kForms, "admin_form", "adm_form_title", view, status);
  }

  void form_edit(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    form_edit_page(req, res, *s, req.matches[1], Json::object());
  }

  void form_save(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string id = req.matches[1], l = lang(req), text_in = param(p, "definition");
    Json def = Json::parse(text_in, nullptr, false);
    auto invalid = [&](const Json& problems, int status) {
      form_edit_page(req, res, s, id, {{"definition", text_in}, {"errors", problems}}, status);
    };
    if (def.is_discarded() || !def.is_object()) {
      return invalid(Json::array({{{"path", ""}, {"message", text(l, "adm_form_not_json")}}}), 422);
    }
    auto r = rt.s.form_editor.put_draft(caller(req, s), id, def);
    if (!r) return invalid(problems(l, r.error()), http_status(r.error().kind));
    web::redirect(res, csp, "/admin/forms/" + id + "?done=draft");
  }

  void form_step(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& s = sp->first;
    const std::string id = req.matches[1], step = req.matches[2];
    auto r = step == "publish" ? rt.s.form_editor.publish(caller(req, s), id)
                               : rt.s.form_editor.close(caller(req, s), id);
    if (!r) {
      return form_edit_page(req, res, s, id, {{"errors", problems(lang(req), r.error())}},
                            http_status(r.error().kind));
    }
    web::redirect(res, csp, "/admin/forms/" + id + "?done=" + step);
  }

  // The draft exactly as a cadre would see it (the cadre's form renderer), posting back here:
  // repeat items added or removed and the answer validated, never stored.
  void form_preview(const httplib::Request& req, httplib::Response& res, bool posted) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    const std::string id = req.matches[1];
    auto f = rt.s.form_editor.draft(id);
    if (!f) {
      auto pub = rt.s.catalog.published_form(id);
      if (!pub) return fail(req, res, *s, f.error());
      f = std::move(pub);
    }
    const forms::Form& form = **f;
    Chrome c = chrome(req, *s, "adm_form_preview");
    c.page = "form";
    c.title = text(c.lang, "adm_form_preview") + " · " +
              (c.lang == "en" && !form.title.en.empty() ? form.title.en : form.title.zh);
    const std::string today = iso_date_utc(rt.s.clock.now_ms() + 8 * 3600 * 1000);
    web::FormPost post;
    post.client_id = "preview";
    std::vector<FieldError> errs;
    std::string general, notice = text(c.lang, "adm_preview_notice");
    int status = 200;
    if (posted) {
      post = web::read_form_post(form, web::parse_urlencoded(req.body));
      if (!crypto::equal_ct(post.csrf, s->csrf)) {
        return message(req, res, *s, 403, text(c.lang, "csrf_failed"));
      }
      if (!web::apply_repeat_action(form, post.action, post.raw)) {
        auto v = forms::validate(form, web::values_from_raw(form, post.raw), {today});
        if (!v) {
          errs = v.error().details;
          status = 422;
          if (errs.empty()) general = msg(c.lang, v.error());
        } else {
          notice = text(c.lang, "adm_preview_valid");
        }
      }
    }
    std::string html = pages.form(c, form, post, errs, general, today);
    // Posts come back to the preview, never to the cadre's submit; app.js keeps no draft of it
    // and never queues it.
    const std::string from = "action=\"/forms/" + form.id + "\"";
    if (auto at = html.find(from); at != std::string::npos) {
      html.replace(at, from.size(),
                   "action=\"/admin/forms/" + form.id + "/preview\" data-preview=\"1\"");
    }
    // Said once, above the form, as a notice (the error summary is for the answer's problems).
    if (auto h1 = html.find("</h1>"); h1 != std::string::npos) {
      html.insert(h1 + 5, "\n<p class=\"notice\" role=\"status\" id=\"preview-notice\">" +
                              xml_escape(notice) + "</p>");
    }
    web::send_html(res, csp, status, html);
  }

  void dictionary_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                       Json extra, int status = 200) {
    auto d = rt.s.form_editor.dictionary(caller(req, s));
    if (!d) return fail(req, res, s, d.error());
    Json view = std::move(extra);
    view["version"] = (*d).value("version", Json(0)).dump();
    if (!view.contains("definition")) view["definition"] = (*d)["definition"].dump(2);
    show(req, res, s, Area::kForms, "admin_dictionary", "adm_dictionary_title", view, status);
  }

  void dictionary(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    dictionary_page(req, res, *s, Json::object());
  }

  void dictionary_save(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string l = lang(req), text_in = param(p, "definition");
    Json def = Json::parse(text_in, nullptr, false);
    auto invalid = [&](const Json& problems, int status) {
      dictionary_page(req, res, s, {{"definition", text_in}, {"errors", problems}}, status);
    };
    if (def.is_discarded() || !def.is_object()) {
      return invalid(Json::array({{{"path", ""}, {"message", text(l, "adm_form_not_json")}}}), 422);
    }
    auto r = rt.s.form_editor.put_dictionary(caller(req, s), def);
    if (!r) return invalid(problems(l, r.error()), http_status(r.error().kind));
    web::redirect(res, csp, "/admin/dictionary?done=saved");
  }

  // ---- upstream forms (admin/upstream_forms.h) ----
  // "key,label" or "key label" per line -> [{"key", "label"}]
  static Json field_lines(const std::string& text_in) {
    Json out = Json::array();
    size_t pos = 0;
    while (pos <= text_in.size()) {
      size_t nl = text_in.find('\n', pos);
      if (nl == std::string::npos) nl = text_in.size();
      std::string line = text_in.substr(pos, nl - pos);
      pos = nl + 1;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.pop_back();
      }
      size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos) continue;
      line = line.substr(b);
      size_t sep = line.find_first_of(",\t ");
      std::string key = sep == std::string::npos ? line : line.substr(0, sep);
      std::string lbl = sep == std::string::npos ? "" : line.substr(sep + 1);
      size_t lb = lbl.find_first_not_of(" \t,");
      lbl = lb == std::string::npos ? "" : lbl.substr(lb);
      out.push_back({{"key", key}, {"label", lbl.empty() ? key : lbl}});
    }
    return out;
  }

  void upstream_forms_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                           Json extra, int status = 200) {
    auto r = rt.s.upstream_forms.list(caller(req, s));
    if (!r) return fail(req, res, s, r.error());
    Json rows = Json::array();
    for (const auto& u : (*r)["upstream_forms"]) {
      const Json& cov = u.value("coverage", Json::object());
      rows.push_back({{"id", u["id"]},
                      {"name", u.value("name", "")},
                      {"system", u.value("system", "")},
                      {"fields", cov.value("fields", Json(0)).dump()},
                      {"covered", std::to_string(cov.value("covered", Json::array()).size())},
                      {"missing", std::to_string(cov.value("missing", Json::array()).size())},
                      {"ratio", pct(cov.value("ratio", Json()))}});
    }
    Json view = std::move(extra);
    view["upstream_forms"] = rows;
    show(req, res, s, Area::kForms, "admin_upstream_forms", "adm_upstream_title", view, status);
  }

  void upstream_forms(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    upstream_forms_page(req, res, *s, Json::object());
  }

  // Registers an upstream form from its field list, mapped by the suggestions to start with.
  void upstream_register(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string l = lang(req), id = param(p, "id");
    Json fields = field_lines(param(p, "fields"));
    auto invalid = [&](const Json& problems, int status) {
      upstream_forms_page(req, res, s,
                          {{"new_id", id},
                           {"new_name", param(p, "name")},
                           {"new_system", param(p, "system")},
                           {"new_fields", param(p, "fields")},
                           {"errors", problems}},
                          status);
    };
    const bool id_ok =
        !id.empty() && id.size() <= 40 &&
        id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!id_ok)
      return invalid(Json::array({{{"path", "id"}, {"message", text(l, "adm_bad_id")}}}), 422);
    Json mapping = Json::object();
    if (!fields.empty()) {
      auto sug = rt.s.upstream_forms.suggest(caller(req, s), {{"fields", fields}});
      if (sug) mapping = sug->value("mapping", Json::object());
    }
    Json body = {{"name", param(p, "name")},
                 {"system", param(p, "system")},
                 {"fields", fields},
                 {"mapping", mapping}};
    auto r = rt.s.upstream_forms.put(caller(req, s), id, body);
    if (!r) return invalid(problems(l, r.error()), http_status(r.error().kind));
    web::redirect(res, csp, "/admin/upstream-forms/" + id + "?done=registered");
  }

  void upstream_form_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                          const std::string& id, Json extra, int status = 200) {
    const std::string l = lang(req);
    auto r = rt.s.upstream_forms.get(caller(req, s), id);
    if (!r) return fail(req, res, s, r.error());
    auto dict = rt.s.catalog.dictionary();
    const Json& u = *r;
    const Json mapping = u.value("mapping", Json::object());
    const Json cov = u.value("coverage", Json::object());
    const Json sugg = u.value("suggested", Json::object()).value("candidates", Json::object());
    Json rows = Json::array();
    for (const auto& f : u.value("fields", Json::array())) {
      const std::string key = f.value("key", "");
      const std::string mapped = mapping.value(key, "");
      Json options = Json::array();
      if (dict) {
        for (const auto& [k, df] : (*dict)->fields()) {
          options.push_back(
              {{"value", k},
               {"label",
                k + " · " + (l == "en" && !df.label.en.empty() ? df.label.en : df.label.zh)},
               {"selected", k == mapped}});
        }
      }
      Json hints = Json::array();
      for (const auto& c : sugg.value(key, Json::array())) {
        hints.push_back(c.value("field", "") + " " + c.value("label", ""));
      }
      rows.push_back({{"key", key},
                      {"label", f.value("label", "")},
                      {"mapped", mapped},
                      {"covered", !mapped.empty()},
                      {"options", options},
                      {"hints", hints},
                      {"sensitive", !mapped.empty() && sensitivity(mapped) == "sensitive"}});
    }
    Json view = std::move(extra);
    view["id"] = id;
    view["name"] = u.value("name", "");
    view["system"] = u.value("system", "");
    view["rows"] = rows;
    view["covered"] = cov.value("covered", Json::array());
    view["missing"] = cov.value("missing", Json::array());
    view["covered_n"] = std::to_string(view["covered"].size());
    view["missing_n"] = std::to_string(view["missing"].size());
    view["ratio"] = pct(cov.value("ratio", Json()));
    if (!view.contains("conn_id")) view["conn_id"] = id;
    show(req, res, s, Area::kForms, "admin_upstream_form", "adm_upstream_form_title", view, status);
  }

  void upstream_form(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kForms);
    if (!s) return;
    upstream_form_page(req, res, *s, req.matches[1], Json::object());
  }

  // The mapping as chosen on the page: map.<upstream key> = dictionary key ("" = not mapped).
  void upstream_map(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string id = req.matches[1];
    auto cur = rt.s.upstream_forms.get(caller(req, s), id);
    if (!cur) return fail(req, res, s, cur.error());
    Json mapping = Json::object();
    for (const auto& [k, v] : p) {
      if (k.rfind("map.", 0) == 0 && !v.empty()) mapping[k.substr(4)] = v;
    }
    Json body = {{"name", cur->value("name", "")},
                 {"system", cur->value("system", "")},
                 {"fields", cur->value("fields", Json::array())},
                 {"mapping", mapping}};
    auto r = rt.s.upstream_forms.put(caller(req, s), id, body);
    if (!r) {
      return upstream_form_page(req, res, s, id, {{"errors", problems(lang(req), r.error())}},
                                http_status(r.error().kind));
    }
    web::redirect(res, csp, "/admin/upstream-forms/" + id + "?done=saved");
  }

  void upstream_connector(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kForms);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string id = req.matches[1];
    const std::string type = param(p, "type") == "http_form" ? "http_form" : "http_json";
    Json body = {{"type", type}, {"url", param(p, "url")}, {"method", "POST"}};
    const std::string cid = param(p, "conn_id");
    if (!cid.empty()) body["id"] = cid;
    if (param(p, "allow_plain_http") == "1") body["tls"] = {{"allow_plain_http", true}};
    auto r = rt.s.upstream_forms.make_connector(caller(req, s), id, body);
    if (!r) {
      return upstream_form_page(req, res, s, id,
                                {{"conn_errors", problems(lang(req), r.error())},
                                 {"conn_id", cid},
                                 {"conn_url", param(p, "url")}},
                                http_status(r.error().kind));
    }
    const std::string made = (*r)["connector"]["connector"].value("id", cid.empty() ? id : cid);
    web::redirect(res, csp, "/admin/connectors/" + made + "?done=saved");
  }

  // ---- org units (admin/org_units.h) ----
  void org_units_page(const httplib::Request& req, httplib::Response& res, const Session& s,
                      Json extra, int status = 200) {
    const std::string l = lang(req);
    std::optional<std::string> parent;
    const std::string pp = digits_only(req.get_param_value("parent"), 12);
    if (!pp.empty()) parent = pp;
    auto r = rt.s.org_units.children(caller(req, s), parent);
    if (!r) return fail(req, res, s, r.error());
    Json view = std::move(extra);
    Json units = Json::array();
    for (auto u : (*r)["units"]) {
      u["level_label"] = text(l, "adm_level_" + u.value("level", ""));
      u["children"] = u.value("children", Json(0)).dump();
      u["has_children"] = u.value("children", "0") != "0";
      units.push_back(u);
    }
    view["units"] = units;
    const Json& par = (*r)["parent"];
    if (par.is_object()) {
      view["parent_name"] = par.value("name", "");
      view["parent_code"] = par.value("code", "");
      view["up"] =
          par.value("parent_code", Json("")).is_string() ? par.value("parent_code", "") : "";
    }
    view["may_import"] = s.user.role == Role::kCountyAdmin || s.user.role == Role::kSystemAdmin;
    show(req, res, s, Area::kOrgUnits, "admin_org_units", "adm_org_title", view, status);
  }

  void org_units(const httplib::Request& req, httplib::Response& res) {
    auto s = require(req, res, Area::kOrgUnits);
    if (!s) return;
    org_units_page(req, res, *s, Json::object());
  }

  void org_import(const httplib::Request& req, httplib::Response& res) {
    auto sp = require_post(req, res, Area::kOrgUnits);
    if (!sp) return;
    auto& [s, p] = *sp;
    const std::string csv = param(p, "csv");
    const bool dry = param(p, "dry_run") == "1";
    auto r = rt.s.org_units.import_csv(caller(req, s), csv, dry);
    if (!r) {
      return org_units_page(req, res, s, {{"csv", csv}, {"errors", problems(lang(req), r.error())}},
                            http_status(r.error().kind));
    }
    Json changes = Json::array();
    for (const auto& c : r->value("changes", Json::array())) {
      changes.push_back({{"line", c.value("line", Json()).dump()},
                         {"code", c.value("code", "")},
                         {"name", c.value("name", "")},
                         {"change", text(lang(req), "adm_change_" + c.value("change", ""))}});
    }
    org_units_page(req, res, s,
                   {{"csv", dry ? csv : ""},
                    {"result",
                     {{"dry_run", dry},
                      {"added", r->value("added", Json(0)).dump()},
                      {"renamed", r->value("renamed", Json(0)).dump()},
                      {"unchanged", r->value("unchanged", Json(0)).dump()},
                      {"changes", changes}}}});
  }
};

void add_routes(const std::shared_ptr<Admin>& a) {
  auto& http = a->rt.http;
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http.Get("/admin", [a](Req q, Res r) { a->dashboard(q, r); });
  http.Get(R"(/admin/charts/([a-z]{1,20})\.svg)", [a](Req q, Res r) { a->chart(q, r); });
  http.Get("/admin/connectors", [a](Req q, Res r) { a->connectors(q, r); });
  http.Post("/admin/connectors", [a](Req q, Res r) { a->connector_create(q, r); });
  const std::string conn = R"(/admin/connectors/([a-z0-9_]{1,40}))";
  http.Get(conn, [a](Req q, Res r) { a->connector(q, r); });
  http.Post(conn, [a](Req q, Res r) { a->connector_save(q, r); });
  http.Post(conn + "/preview", [a](Req q, Res r) { a->connector_try(q, r, false); });
  http.Post(conn + "/test", [a](Req q, Res r) { a->connector_try(q, r, true); });
  http.Post(conn + "/pause", [a](Req q, Res r) { a->connector_pause(q, r, true); });
  http.Post(conn + "/resume", [a](Req q, Res r) { a->connector_pause(q, r, false); });
  http.Get("/admin/deliveries", [a](Req q, Res r) { a->deliveries(q, r); });
  http.Post("/admin/deliveries/retry", [a](Req q, Res r) { a->bulk_retry(q, r); });
  const std::string deliv = R"(/admin/deliveries/(msg_[a-z0-9]{1,40}))";
  http.Get(deliv, [a](Req q, Res r) { a->delivery(q, r); });
  http.Post(deliv + "/retry", [a](Req q, Res r) { a->delivery_action(q, r, false); });
  http.Post(deliv + "/rerender", [a](Req q, Res r) { a->delivery_action(q, r, true); });
  http.Get("/admin/duplicates", [a](Req q, Res r) { a->duplicates(q, r); });
  http.Post(R"(/admin/duplicates/([0-9]{1,15})/(merge|keep|undo))",
            [a](Req q, Res r) { a->duplicate_decide(q, r); });
  http.Get("/admin/forms", [a](Req q, Res r) { a->forms_list(q, r); });
  const std::string form = R"(/admin/forms/([a-z0-9_]{1,40}))";
  http.Get(form, [a](Req q, Res r) { a->form_edit(q, r); });
  http.Post(form, [a](Req q, Res r) { a->form_save(q, r); });
  http.Post(form + "/(publish|close)", [a](Req q, Res r) { a->form_step(q, r); });
  http.Get(form + "/preview", [a](Req q, Res r) { a->form_preview(q, r, false); });
  http.Post(form + "/preview", [a](Req q, Res r) { a->form_preview(q, r, true); });
  http.Get("/admin/dictionary", [a](Req q, Res r) { a->dictionary(q, r); });
  http.Post("/admin/dictionary", [a](Req q, Res r) { a->dictionary_save(q, r); });
  http.Get("/admin/upstream-forms", [a](Req q, Res r) { a->upstream_forms(q, r); });
  http.Post("/admin/upstream-forms", [a](Req q, Res r) { a->upstream_register(q, r); });
  const std::string upf = R"(/admin/upstream-forms/([a-z0-9_]{1,40}))";
  http.Get(upf, [a](Req q, Res r) { a->upstream_form(q, r); });
  http.Post(upf, [a](Req q, Res r) { a->upstream_map(q, r); });
  http.Post(upf + "/connector", [a](Req q, Res r) { a->upstream_connector(q, r); });
  http.Get("/admin/org-units", [a](Req q, Res r) { a->org_units(q, r); });
  http.Post("/admin/org-units/import", [a](Req q, Res r) { a->org_import(q, r); });
  http.Get("/admin/audit", [a](Req q, Res r) { a->audit_log(q, r); });
  http.Get("/admin/users", [a](Req q, Res r) { a->users(q, r); });
  http.Post("/admin/users", [a](Req q, Res r) { a->user_create(q, r); });
  http.Post(R"(/admin/users/([a-z0-9_.-]{1,32})/(password|disable|enable))",
            [a](Req q, Res r) { a->user_action(q, r); });
}

}  // namespace

void add_admin_page_routes(Routing& rt) {
  // Kept alive by the route handlers that capture it.
  add_routes(std::shared_ptr<Admin>(
      new Admin{rt, Pages{}, rt.opts.web_allow_injected_scripts ? web::kDemoCsp : web::kCsp}));
}

}  // namespace yb::gateway
