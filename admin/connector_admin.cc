#include "admin/connector_admin.h"

#include <cstdio>
#include <ctime>
#include <tuple>

#include "admin/demo.h"
#include "admin/masking.h"
#include "connectors/delivery/auth.h"
#include "connectors/delivery/signing.h"
#include "connectors/feed/feed.h"
#include "connectors/outbox/outbox.h"
#include "connectors/outbox/sheets.h"
#include "connectors/spreadsheet/spreadsheet.h"
#include "core/crypto.h"

namespace yb::admin {
namespace {

Error not_found(const std::string& what) {
  return Error::make(ErrorKind::kNotFound, "not_found", "找不到 " + what, "No " + what);
}

std::string today_cn(const Clock& clock) { return iso_date_utc(clock.now_ms() + 8 * 3600'000); }

Json request_json(const connectors::HttpRequest& r) {
  Json h = Json::object();
  for (const auto& [k, v] : r.headers) h[k] = v;
  Json body = Json::parse(r.body, nullptr, false);
  return Json{{"method", r.method},
              {"url", r.url},
              {"content_type", r.content_type},
              {"headers", h},
              {"body", r.body},
              {"body_json", body.is_discarded() ? Json(nullptr) : body}};
}

bool is_status(const std::string& s) {
  return s == "pending" || s == "sending" || s == "retrying" || s == "delivered" || s == "dead" ||
         s == "skipped";
}

Error changed_meanwhile() {
  return Error::make(ErrorKind::kConflict, "changed_meanwhile",
                     "这条推送的状态刚刚变了，请刷新后再看",
                     "The delivery changed meanwhile; reload it");
}

// True when a later delivery about the same person to the same upstream has already been
// delivered: resending this older one would overwrite newer data there.
Result<bool> superseded(db::Database& db, const std::string& id) {
  return db.with_conn([&](db::Conn& c) -> Result<bool> {
    auto q = c.prepare(
        "SELECT 1 FROM deliveries d JOIN deliveries n ON n.connector_id = d.connector_id "
        "AND n.subject_key = d.subject_key AND n.seq > d.seq WHERE d.id = ? "
        "AND d.subject_key <> '' AND n.status = 'delivered'");
    if (!q) return q.take_error();
    q->bind(1, id);
    auto r = q->step();
    if (!r) return r.take_error();
    return *r;
  });
}

Error newer_delivered() {
  return Error::make(ErrorKind::kConflict, "superseded",
                     "这个人后来的信息已经送达该系统，重发这条旧信息会覆盖新信息，因此不重发",
                     "A later answer about this person already reached this upstream; resending "
                     "this older one would overwrite it");
}

}  // namespace

ConnectorAdmin::ConnectorAdmin(db::Database& db, db::GroupCommitWriter& writer, Accounts& accounts,
                               Catalog& catalog, connectors::ConnectorStore& store,
                               connectors::HttpClient& client, const Clock& clock,
                               std::function<void()> wake_engine,
                               std::function<std::string(const std::string&)> breaker_state)
    : db_(db),
      writer_(writer),
      accounts_(accounts),
      catalog_(catalog),
      store_(store),
      client_(client),
      clock_(clock),
      wake_(std::move(wake_engine)),
      breaker_state_(std::move(breaker_state)) {}

Status ConnectorAdmin::require_admin(const User& u) {
  if (u.role == Role::kCountyAdmin || u.role == Role::kSystemAdmin) return ok_status();
  return Error::make(ErrorKind::kForbidden, "role_forbidden", "只有县级管理员可以管理接口和推送",
                     "Only county admins and system admins manage connectors and deliveries");
}

Result<Json> ConnectorAdmin::list() {
  auto snap = store_.snapshot();
  if (!snap) return snap.take_error();
  Json out = Json::array();
  for (const auto& e : **snap) {
    const auto& c = *e.connector;
    Json reads = Json::array();
    for (const auto& r : c.mapping.reads()) reads.push_back(r);
    Json j = {{"id", c.id},
              {"type", c.type},
              {"name", {{"zh-CN", c.name.zh}, {"en", c.name.en}, {"ug", c.name.ug}}},
              {"paused", e.paused},
              {"pause_reason", e.pause_reason},
              {"version", e.version},
              {"pushes", c.pushes()},
              {"circuit", c.pushes() ? breaker_state_(c.id) : "n/a"},
              {"receives_fields", reads},
              {"missing_secrets", store_.missing_secrets(c)}};
    if (c.raw.contains("url")) j["url"] = c.raw["url"];
    out.push_back(j);
  }
  return Json{{"connectors", out}};
}

Result<Json> ConnectorAdmin::get(const std::string& id) {
  auto e = store_.get(id);
  if (!e) return e.take_error();
  return Json{{"connector", e->connector->raw},
              {"status",
               {{"paused", e->paused},
                {"pause_reason", e->pause_reason},
                {"version", e->version},
                {"missing_secrets", store_.missing_secrets(*e->connector)}}}};
}

Result<Json> ConnectorAdmin::put(const std::string& id, Json config) {
  if (!config.is_object()) {
    return Error::make(ErrorKind::kInvalidArgument, "malformed_json", "接口配置应为 JSON 对象",
                       "A connector config is a JSON object");
  }
  if (!config.contains("id")) config["id"] = id;
  if (config["id"] != id) {
    Error e = Error::make(ErrorKind::kValidation, "invalid_connector", "接口配置有误",
                          "The connector config is not valid");
    e.details.push_back(
        {"id", "mismatch", {"配置中的 id 与地址中的 " + id + " 不一致", "id must equal " + id}});
    return e;
  }
  auto saved = store_.put(config);
  if (!saved) return saved.take_error();
  wake_();
  return get(id);
}

Status ConnectorAdmin::pause(const std::string& id, bool paused) {
  auto s = store_.set_paused(id, paused, paused ? "paused by an admin" : "");
  if (s && !paused) wake_();
  return s;
}

Result<std::pair<connectors::ConnectorPtr, Json>> ConnectorAdmin::render_sample(
    const std::string& id, const Json& body, connectors::HttpRequest* req) {
  auto e = store_.get(id);
  if (!e) return e.take_error();
  const std::string form_id = body.value("form", std::string("resident_household"));
  auto form = catalog_.published_form(form_id);
  if (!form) return form.take_error();
  Json raw = body.contains("values") ? body["values"] : demo_sample_values(1);
  auto values = forms::validate(**form, raw, {today_cn(clock_)});
  if (!values) return values.take_error();
  auto payload = connectors::render_payload(*e->connector, form_id, *values, today_cn(clock_));
  if (!payload) return payload.take_error();
  Json out = {{"connector", id}, {"skipped", !payload->has_value()}};
  if (!*payload) return std::make_pair(e->connector, out);
  out["payload"] = **payload;
  if (e->connector->pushes()) {
    connectors::RequestContext ctx{"msg_preview", clock_.now_s(), std::nullopt};
    auto names_only = [](const std::string& n) -> std::optional<std::string> {
      return "<secret " + n + ">";
    };
    auto r = e->connector->build_request(**payload, ctx, names_only);
    if (!r) return r.take_error();
    if (const auto* a = e->connector->auth(); a && a->type != "none") {
      r->headers.emplace_back(a->type == "api_key" ? a->header : "Authorization",
                              "<added at send time from secret " + a->secret + ">");
    }
    if (!e->connector->signing_secret_name().empty()) {
      r->headers.emplace_back("webhook-signature", "<v1,HMAC-SHA256 computed at send time>");
    }
    out["request"] = request_json(*r);
    if (req) *req = *r;
  }
  return std::make_pair(e->connector, out);
}

Result<Json> ConnectorAdmin::preview(const std::string& id, const Json& body) {
  auto r = render_sample(id, body, nullptr);
  if (!r) return r.take_error();
  return r->second;
}

Result<Json> ConnectorAdmin::test(const std::string& id, const Json& body) {
  connectors::HttpRequest req;
  auto r = render_sample(id, body, &req);
  if (!r) return r.take_error();
  const auto& c = r->first;
  if (!c->pushes() || r->second["skipped"].get<bool>()) return r->second;
  // Build again with real secrets (the preview shows placeholders).
  auto secrets = [&](const std::string& n) { return store_.secret(n); };
  const std::string test_id = connectors::new_delivery_id();
  auto real =
      c->build_request(r->second["payload"],
                       connectors::RequestContext{test_id, clock_.now_s(), std::nullopt}, secrets);
  if (!real) return real.take_error();
  if (!c->signing_secret_name().empty()) {
    auto secret = store_.secret(c->signing_secret_name());
    if (secret) {
      auto sig = connectors::webhook_signature(*secret, test_id, clock_.now_s(), real->body);
      if (sig) real->headers.emplace_back("webhook-signature", *sig);
    }
  }
  real->headers.emplace_back("X-Yibiao-Test", "1");
  if (const auto* a = c->auth(); a && a->type != "none") {
    connectors::Authenticator auth(client_);
    auto s =
        auth.apply(c->id, *a, c->send_options() ? *c->send_options() : connectors::SendOptions{},
                   secrets, clock_.now_ms(), *real);
    if (!s) return s.take_error();
  }
  auto resp =
      client_.send(*real, c->send_options() ? *c->send_options() : connectors::SendOptions{});
  Json out = r->second;
  out["test"] = {{"status", resp.status},
                 {"ok", resp.status >= 200 && resp.status < 300},
                 {"duration_ms", resp.duration_ms},
                 {"error", resp.error},
                 {"response_excerpt", resp.body.substr(0, 512)}};
  return out;
}

std::optional<int64_t> parse_time_param(const std::string& s, int utc_offset_minutes) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    try {
      return std::stoll(s);
    } catch (...) {
      return std::nullopt;
    }
  }
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 9999 ||
      m < 1 || m > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  return static_cast<int64_t>(timegm(&tm)) * 1000 - int64_t{utc_offset_minutes} * 60'000;
}

Status ConnectorAdmin::check_org_filter(const User& u, const std::string& org) {
  if (org.empty()) return ok_status();
  if (!accounts_.org_unit(org) || !accounts_.in_scope(u.org_code, org)) {
    return Error::make(ErrorKind::kNotFound, "org_unit_not_found",
                       "找不到单位 " + org.substr(0, 20) + "，或它不在你的管辖范围内",
                       "No org unit " + org.substr(0, 20) + " within your subtree");
  }
  return ok_status();
}

Result<Json> ConnectorAdmin::deliveries(const User& u, const DeliveryQuery& q) {
  if (!q.status.empty() && !is_status(q.status)) {
    return Error::make(ErrorKind::kValidation, "invalid_status",
                       "status 只能是 pending、sending、retrying、delivered、dead 或 skipped",
                       "status must be pending, sending, retrying, delivered, dead or skipped");
  }
  if (auto st = check_org_filter(u, q.org_unit); !st) return st.take_error();
  const std::optional<std::string> org_root =
      q.org_unit.empty() ? std::nullopt : std::optional<std::string>(q.org_unit);
  const int limit = std::clamp(q.limit, 1, 500);
  return db_.with_conn([&](db::Conn& c) -> Result<Json> {
    auto s = c.prepare(
        "SELECT seq, id, submission_id, connector_id, org_code, status, attempts, "
        "next_attempt_at, last_error, upstream_id, created_at, updated_at FROM deliveries "
        "WHERE seq > ? AND (? = '' OR status = ?) AND (? = '' OR connector_id = ?) "
        "AND created_at >= ? AND created_at < ? ORDER BY seq LIMIT ?");
    if (!s) return s.take_error();
    s->bind(1, q.after_seq).bind(2, q.status).bind(3, q.status).bind(4, q.connector);
    s->bind(5, q.connector).bind(6, q.from_ms).bind(7, q.to_ms).bind(8, limit * 4 + 1);
    Json items = Json::array();
    int64_t last = q.after_seq;
    int scanned = 0;
    bool more = false;
    for (;;) {
      auto r = s->step();
      if (!r) return r.take_error();
      if (!*r) break;
      if (static_cast<int>(items.size()) == limit) {
        more = true;
        break;
      }
      last = s->get_int(0);
      ++scanned;
      if (!accounts_.in_scope(u.org_code, s->get_text(4))) continue;
      if (org_root && !accounts_.in_scope(org_root, s->get_text(4))) continue;
      Json d = {{"id", s->get_text(1)},
                {"submission", s->get_int(2)},
                {"connector", s->get_text(3)},
                {"org_unit", s->get_text(4)},
                {"status", s->get_text(5)},
                {"attempts", s->get_int(6)},
                {"next_attempt_at", iso8601_utc(s->get_int(7))},
                {"last_error", s->get_text(8)},
                {"created_at", iso8601_utc(s->get_int(10))},
                {"updated_at", iso8601_utc(s->get_int(11))}};
      if (auto up = s->get_opt_text(9)) d["upstream_id"] = *up;
      items.push_back(d);
    }
    Json out = {{"deliveries", items}};
    // Also when the scan stopped at its cap with fewer rows in the caller's scope: the next
    // page starts after the last row looked at.
    if (more || static_cast<int>(items.size()) == limit || scanned == limit * 4 + 1) {
      out["next"] = std::to_string(last);
    }
    return out;
  });
}

Result<Json> ConnectorAdmin::delivery(const User& u, const std::string& id) {
  auto d = delivery_full(u, id);
  if (!d || sees_personal_data(u)) return d;
  // Masked roles (admin/masking.h): sensitive values by the connector's mapping, identifiers
  // anywhere, also in upstream responses and errors.
  std::set<std::string> keys;
  if (auto dict = catalog_.dictionary(); dict) keys = masked_field_keys(**dict);
  Json raw = Json::object();
  if (auto e = store_.get((*d)["connector"].get<std::string>()); e) raw = e->connector->raw;
  if (d->contains("payload")) (*d)["payload"] = mask_payload((*d)["payload"], raw, keys);
  (*d)["attempt_log"] = mask_identifiers_in((*d)["attempt_log"]);
  (*d)["last_error"] = mask_identifiers_in((*d)["last_error"]);
  (*d)["masked"] = true;
  return d;
}

Result<Json> ConnectorAdmin::delivery_full(const User& u, const std::string& id) {
  return db_.with_conn([&](db::Conn& c) -> Result<Json> {
    auto s = c.prepare(
        "SELECT id, submission_id, connector_id, org_code, status, attempts, next_attempt_at, "
        "last_error, upstream_id, payload FROM deliveries WHERE id = ?");
    if (!s) return s.take_error();
    s->bind(1, id);
    auto r = s->step();
    if (!r) return r.take_error();
    if (!*r || !accounts_.in_scope(u.org_code, s->get_text(3))) return not_found("delivery " + id);
    Json d = {{"id", s->get_text(0)},
              {"submission", s->get_int(1)},
              {"connector", s->get_text(2)},
              {"org_unit", s->get_text(3)},
              {"status", s->get_text(4)},
              {"attempts", s->get_int(5)},
              {"next_attempt_at", iso8601_utc(s->get_int(6))},
              {"last_error", s->get_text(7)}};
    if (auto up = s->get_opt_text(8)) d["upstream_id"] = *up;
    if (auto p = s->get_opt_text(9)) d["payload"] = Json::parse(*p, nullptr, false);
    auto a = c.prepare(
        "SELECT attempt, started_at, duration_ms, http_status, error, response_excerpt "
        "FROM delivery_attempts WHERE delivery_id = ? ORDER BY id");
    if (!a) return a.take_error();
    a->bind(1, id);
    Json attempts = Json::array();
    for (;;) {
      auto ar = a->step();
      if (!ar) return ar.take_error();
      if (!*ar) break;
      attempts.push_back({{"attempt", a->get_int(0)},
                          {"started_at", iso8601_utc(a->get_int(1))},
                          {"duration_ms", a->get_int(2)},
                          {"http_status", a->get_int(3)},
                          {"error", a->get_text(4)},
                          {"response_excerpt", a->get_text(5)}});
    }
    d["attempt_log"] = attempts;
    return d;
  });
}

Result<Json> ConnectorAdmin::retry(const User& u, const std::string& id) {
  auto d = delivery(u, id);
  if (!d) return d;
  const std::string st = (*d)["status"];
  if (st != "dead" && st != "retrying") {
    return Error::make(ErrorKind::kConflict, "not_retryable",
                       "只有失败（dead）或重试中的推送可以重试",
                       "Only dead or retrying deliveries can be retried");
  }
  if (!d->contains("payload") || (*d)["payload"].is_null()) {
    return Error::make(ErrorKind::kConflict, "needs_rerender",
                       "这条推送没有可发送的内容，请先修正映射再“重新生成”",
                       "This delivery has no payload; fix the mapping and re-render it");
  }
  auto newer = superseded(db_, id);
  if (!newer) return newer.take_error();
  if (*newer) return newer_delivered();
  // A manual retry starts the schedule afresh; earlier attempts stay in the log.
  return guarded_update(u, id, [&](db::Conn& c) -> Result<db::Stmt> {
    auto q = c.prepare(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
        "updated_at = ? WHERE id = ? AND status IN ('dead', 'retrying')");
    if (q) q->bind(1, clock_.now_ms()).bind(2, clock_.now_ms()).bind(3, id);
    return q;
  });
}

Result<Json> ConnectorAdmin::guarded_update(
    const User& u, const std::string& id,
    const std::function<Result<db::Stmt>(db::Conn&)>& prepare_bound) {
  // The UPDATE carries the status it was checked with; if the engine changed the delivery
  // meanwhile it matches no row, and nothing is sent twice.
  bool changed = false;
  auto s = writer_.run([&](db::Conn& c) -> Status {
    auto q = prepare_bound(c);
    if (!q) return q.take_error();
    if (auto st = q->run(); !st) return st;
    changed = c.changes() == 1;
    return ok_status();
  });
  if (!s) return s.take_error();
  if (!changed) return changed_meanwhile();
  wake_();
  return delivery(u, id);
}

Result<Json> ConnectorAdmin::rerender(const User& u, const std::string& id) {
  auto d = delivery(u, id);
  if (!d) return d;
  const std::string st = (*d)["status"];
  if (st != "dead" && st != "skipped") {
    return Error::make(ErrorKind::kConflict, "not_rerenderable",
                       "只有失败（dead）或跳过的推送可以重新生成",
                       "Only dead or skipped deliveries can be re-rendered");
  }
  auto e = store_.get((*d)["connector"]);
  if (!e) return e.take_error();
  if (!e->connector->pushes() && e->connector->type == "feed") {
    // A puller has moved its cursor past this delivery; a re-rendered one would never be read.
    return Error::make(ErrorKind::kConflict, "not_rerenderable",
                       "订阅（拉取）类接口的推送不能重新生成",
                       "Feed deliveries cannot be re-rendered");
  }
  auto newer = superseded(db_, id);
  if (!newer) return newer.take_error();
  if (*newer) return newer_delivered();
  struct Sub {
    std::string form, values;
  };
  auto sub = db_.with_conn([&](db::Conn& c) -> Result<Sub> {
    auto q = c.prepare("SELECT form_id, values_json FROM submissions WHERE id = ?");
    if (!q) return q.take_error();
    q->bind(1, (*d)["submission"].get<int64_t>());
    auto r = q->step();
    if (!r) return r.take_error();
    if (!*r) return not_found("submission");
    return Sub{q->get_text(0), q->get_text(1)};
  });
  if (!sub) return sub.take_error();
  auto payload = connectors::render_payload_text(
      *e->connector, sub->form, Json::parse(sub->values, nullptr, false), today_cn(clock_));
  if (!payload) return payload.take_error();  // still broken: the admin sees why
  const bool skip = !payload->has_value();
  const std::optional<std::string>& text = *payload;
  return guarded_update(u, id, [&](db::Conn& c) -> Result<db::Stmt> {
    auto q = c.prepare(
        "UPDATE deliveries SET status = ?, payload = ?, attempts = 0, next_attempt_at = ?, "
        "last_error = '', updated_at = ? WHERE id = ? AND status IN ('dead', 'skipped')");
    if (q) {
      q->bind(1, skip ? "skipped" : "pending").bind(2, text);
      q->bind(3, clock_.now_ms()).bind(4, clock_.now_ms()).bind(5, id);
    }
    return q;
  });
}

Result<Json> ConnectorAdmin::bulk_retry(const User& u, const Json& filter) {
  const std::string status = filter.value("status", std::string("dead"));
  const std::string connector = filter.value("connector", std::string());
  if (status != "dead" && status != "retrying") {
    return Error::make(ErrorKind::kValidation, "invalid_status",
                       "批量重试只适用于 dead 或 retrying",
                       "Bulk retry takes status dead or retrying");
  }
  std::vector<FieldError> bad;
  auto text_of = [&](const char* key) -> std::string {
    auto it = filter.find(key);
    if (it == filter.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
    bad.push_back(
        {key, "type", {std::string(key) + " 应为字符串", std::string(key) + " is a string"}});
    return "";
  };
  const std::string org = text_of("org_unit"), from_s = text_of("from"), to_s = text_of("to");
  int64_t from_ms = 0, to_ms = INT64_MAX;
  for (auto [key, text, out] : {std::tuple{"from", &from_s, &from_ms}, {"to", &to_s, &to_ms}}) {
    if (text->empty()) continue;
    if (auto t = parse_time_param(*text)) {
      *out = *t;
    } else {
      bad.push_back(
          {key,
           "bad_time",
           {std::string(key) + " 应为毫秒时间戳或 YYYY-MM-DD 日期（北京时间）",
            std::string(key) + " is a millisecond timestamp or a YYYY-MM-DD date (China time)"}});
    }
  }
  if (!bad.empty()) {
    Error e = Error::make(ErrorKind::kValidation, "invalid_filter", "筛选条件有误",
                          "The filter is not valid");
    e.details = std::move(bad);
    return e;
  }
  if (auto st = check_org_filter(u, org); !st) return st.take_error();
  const std::optional<std::string> org_root =
      org.empty() ? std::nullopt : std::optional<std::string>(org);
  // Read on a pool connection (not inside the writer, where it would hold up intake), then
  // update in bounded chunks, each guarded by the status it was read with.
  std::vector<std::string> ids;
  auto read = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "SELECT id, org_code FROM deliveries WHERE status = ? AND payload IS NOT NULL "
        "AND (? = '' OR connector_id = ?) AND created_at >= ? AND created_at < ?");
    if (!q) return q.take_error();
    q->bind(1, status).bind(2, connector).bind(3, connector).bind(4, from_ms).bind(5, to_ms);
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      if (accounts_.in_scope(u.org_code, q->get_text(1)) &&
          (!org_root || accounts_.in_scope(org_root, q->get_text(1)))) {
        ids.push_back(q->get_text(0));
      }
    }
    return ok_status();
  });
  if (!read) return read.take_error();
  int64_t n = 0;
  constexpr size_t kChunk = 500;
  for (size_t from = 0; from < ids.size(); from += kChunk) {
    auto s = writer_.run([&](db::Conn& c) -> Status {
      for (size_t i = from; i < std::min(ids.size(), from + kChunk); ++i) {
        auto w = c.cached(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
            "updated_at = ? WHERE id = ? AND status = ?");
        if (!w) return w.take_error();
        (*w)->bind(1, clock_.now_ms()).bind(2, clock_.now_ms()).bind(3, ids[i]).bind(4, status);
        if (auto st = (*w)->run(); !st) return st;
        n += c.changes();
      }
      return ok_status();
    });
    if (!s) return s.take_error();
  }
  wake_();
  return Json{{"requeued", n}};
}

Result<Json> ConnectorAdmin::feed_page(const std::string& id, const std::string& token,
                                       const std::string& after, std::optional<int> limit) {
  auto denied = Error::make(ErrorKind::kUnauthenticated, "unauthenticated", "订阅令牌不对",
                            "Wrong or missing feed token for this connector");
  auto e = store_.get(id);
  if (!e) return denied;  // do not reveal which connectors exist
  const auto* feed = dynamic_cast<const connectors::FeedConnector*>(e->connector.get());
  if (!feed) return denied;
  auto expected = store_.secret(feed->token_secret);
  if (!expected || token.empty() || !crypto::equal_ct(*expected, token)) return denied;
  auto from = connectors::decode_cursor(id, after);
  if (!from) return from.take_error();
  const int n = connectors::feed_page_limit(*feed, limit);
  const int64_t now = clock_.now_ms();
  Json items = Json::array();
  int64_t last = *from;
  auto s = writer_.run([&](db::Conn& c) -> Status {
    if (*from > 0) {
      auto ack = c.prepare(
          "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, updated_at = ? "
          "WHERE connector_id = ? AND seq <= ? AND status = 'pending'");
      if (!ack) return ack.take_error();
      ack->bind(1, now).bind(2, id).bind(3, *from);
      if (auto st = ack->run(); !st) return st;
    }
    auto q = c.prepare(
        "SELECT seq, id, submission_id, payload, created_at FROM deliveries "
        "WHERE connector_id = ? AND seq > ? AND status IN ('pending', 'delivered') "
        "AND payload IS NOT NULL ORDER BY seq LIMIT ?");
    if (!q) return q.take_error();
    q->bind(1, id).bind(2, *from).bind(3, n);
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      last = q->get_int(0);
      items.push_back({{"delivery_id", q->get_text(1)},
                       {"submission", q->get_int(2)},
                       {"payload", Json::parse(q->get_text(3), nullptr, false)},
                       {"created_at", iso8601_utc(q->get_int(4))}});
    }
    return ok_status();
  });
  if (!s) return s.take_error();
  return Json{{"items", items},
              {"next", connectors::encode_cursor(id, last)},
              {"more", static_cast<int>(items.size()) == n}};
}

Result<ConnectorAdmin::SheetFile> ConnectorAdmin::export_sheet(const User& u, const std::string& id,
                                                               const std::string& format,
                                                               bool again,
                                                               const std::string& period) {
  // An export hands the answers over in full: it is a delivery, done by the county admin.
  if (!sees_personal_data(u)) {
    return Error::make(ErrorKind::kForbidden, "role_forbidden",
                       "导出表格即报送完整的个人信息，请由县级管理员导出",
                       "An export hands over personal data in full; a county admin does it");
  }
  auto e = store_.get(id);
  if (!e) return e.take_error();
  const auto* sheet = dynamic_cast<const connectors::SpreadsheetConnector*>(e->connector.get());
  if (!sheet) {
    return Error::make(ErrorKind::kValidation, "not_a_spreadsheet", "这个接口不是表格导出类型",
                       "This connector does not produce spreadsheets");
  }
  if (format != "csv" && format != "xlsx") {
    return Error::make(ErrorKind::kValidation, "invalid_format", "格式只能是 csv 或 xlsx",
                       "format must be csv or xlsx");
  }
  if (!period.empty() && (sheet->period == "batch" || period.size() > 16 ||
                          period.find_first_not_of("0123456789-W") != std::string::npos)) {
    return Error::make(ErrorKind::kValidation, "invalid_period",
                       sheet->period == "batch"
                           ? "这个表格按批导出，不按时段；去掉 period 参数即可"
                           : "period 的格式应为 2026-11-27（日）、2026-W48（周）或 2026-11（月）",
                       sheet->period == "batch"
                           ? "This spreadsheet is exported per batch; drop \"period\""
                           : "period must look like 2026-11-27, 2026-W48 or 2026-11");
  }
  std::vector<Json> payloads;
  std::vector<std::string> ids;
  auto read = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "SELECT id, org_code, payload, created_at FROM deliveries WHERE connector_id = ? AND "
        "payload IS NOT NULL AND (status = 'pending' OR (? = 1 AND status = 'delivered')) "
        "ORDER BY seq");
    if (!q) return q.take_error();
    q->bind(1, id).bind(2, again ? 1 : 0);
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      if (!accounts_.in_scope(u.org_code, q->get_text(1))) continue;
      if (!period.empty() && connectors::sheet_period_of(sheet->period, q->get_int(3)) != period) {
        continue;
      }
      ids.push_back(q->get_text(0));
      payloads.push_back(Json::parse(q->get_text(2), nullptr, false));
    }
    return ok_status();
  });
  if (!read) return read.take_error();
  SheetFile f;
  f.rows = static_cast<int>(payloads.size());
  const std::string stamp = iso_date_utc(clock_.now_ms() + 8 * 3600'000);
  f.filename = id + "-" + (period.empty() ? stamp : period) + "." + format;
  if (format == "csv") {
    f.bytes = connectors::render_csv(*sheet, payloads);
    f.content_type = "text/csv; charset=utf-8";
  } else {
    auto x = connectors::render_xlsx(*sheet, payloads);
    if (!x) return x.take_error();
    f.bytes = std::move(*x);
    f.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  if (!again && !ids.empty()) {
    auto s = writer_.run([&](db::Conn& c) -> Status {
      for (const auto& did : ids) {
        auto q = c.cached(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, updated_at = ? "
            "WHERE id = ? AND status = 'pending'");
        if (!q) return q.take_error();
        (*q)->bind(1, clock_.now_ms()).bind(2, did);
        if (auto st = (*q)->run(); !st) return st;
      }
      return ok_status();
    });
    if (!s) return s.take_error();
  }
  return f;
}

Status ConnectorAdmin::put_secret(const User& u, const std::string& name,
                                  const std::string& value) {
  if (u.role != Role::kSystemAdmin) {
    return Error::make(ErrorKind::kForbidden, "role_forbidden", "只有系统管理员可以设置密钥",
                       "Only a system admin sets secrets");
  }
  return store_.put_secret(name, value);
}

Result<Json> ConnectorAdmin::secret_names() {
  return db_.with_conn([&](db::Conn& c) -> Result<Json> {
    auto q = c.prepare("SELECT name, updated_at FROM secrets ORDER BY name");
    if (!q) return q.take_error();
    Json out = Json::array();
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      out.push_back({{"name", q->get_text(0)}, {"updated_at", iso8601_utc(q->get_int(1))}});
    }
    return Json{{"secrets", out}};
  });
}

}  // namespace yb::admin
