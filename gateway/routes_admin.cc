// Admin API for connectors, deliveries and secrets, and the upstream feeds (docs/api.md).
#include "admin/connector_admin.h"
#include "gateway/routing.h"

namespace yb::gateway {

using Json = nlohmann::json;

void add_admin_routes(Routing& rt) {
  auto& http = rt.http;
  auto& s = rt.s;
  (void)s;
  auto& ca = s.connector_admin;
  http.Get("/api/v1/admin/connectors",
           [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
             if (!rt.admin_user(req, res)) return;
             rt.reply(res, ca.list());
           });
  const std::string conn = R"(/api/v1/admin/connectors/([a-z0-9_]{1,40}))";
  http.Get(conn, [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    if (!rt.admin_user(req, res)) return;
    rt.reply(res, ca.get(req.matches[1]));
  });
  http.Put(conn, [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    // Only upstream hosts the system admin allows (checked again at send time).
    if (auto st = rt.s.upstream_hosts.check_config(*body); !st) {
      rt.audit(req, *u, "connector.put", req.matches[1], "denied", Json{{"code", st.error().code}});
      return rt.send_error(res, st.error());
    }
    auto r = ca.put(req.matches[1], std::move(*body));
    rt.audit(req, *u, "connector.put", req.matches[1], r ? "ok" : "invalid");
    rt.reply(res, r);
  });
  http.Post(conn + "/preview", [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    if (!rt.admin_user(req, res)) return;
    auto body = req.body.empty() ? std::optional<Json>(Json::object()) : rt.json_body(req, res);
    if (!body) return;
    rt.reply(res, ca.preview(req.matches[1], *body));
  });
  http.Post(conn + "/test", [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    auto body = req.body.empty() ? std::optional<Json>(Json::object()) : rt.json_body(req, res);
    if (!body) return;
    auto r = ca.test(req.matches[1], *body);
    rt.audit(req, *u, "connector.test", req.matches[1], r ? "ok" : "failed");
    rt.reply(res, r);
  });
  for (const char* action : {"pause", "resume"}) {
    const bool pause = std::string(action) == "pause";
    http.Post(conn + "/" + action,
              [&rt, &ca, pause](const httplib::Request& req, httplib::Response& res) {
                auto u = rt.admin_user(req, res);
                if (!u) return;
                auto st = ca.pause(req.matches[1], pause);
                rt.audit(req, *u, pause ? "connector.pause" : "connector.resume", req.matches[1],
                         st ? "ok" : "failed");
                if (!st) return rt.send_error(res, st.error());
                rt.reply(res, ca.get(req.matches[1]));
              });
  }
  http.Get("/api/v1/admin/deliveries", [&rt, &ca](const httplib::Request& req,
                                                  httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    admin::DeliveryQuery q;
    q.status = req.get_param_value("status");
    q.connector = req.get_param_value("connector");
    q.org_unit = req.get_param_value("org_unit");
    for (auto [name, out] : {std::pair{"from", &q.from_ms}, {"to", &q.to_ms}}) {
      if (!req.has_param(name)) continue;
      auto t = admin::parse_time_param(req.get_param_value(name));
      if (!t) {
        return rt.send_error(
            res, Error::make(ErrorKind::kInvalidArgument, "bad_query",
                             std::string(name) + " 应为毫秒时间戳或 YYYY-MM-DD 日期（北京时间）",
                             std::string(name) + " must be a millisecond timestamp or a YYYY-MM-DD "
                                                 "date (China time)"));
      }
      *out = *t;
    }
    if (!rt.page_params(req, res, q.after_seq, q.limit)) return;
    rt.reply(res, ca.deliveries(*u, q));
  });
  const std::string deliv = R"(/api/v1/admin/deliveries/(msg_[a-z0-9]{1,40}))";
  http.Get(deliv, [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    rt.reply(res, ca.delivery(*u, req.matches[1]));
  });
  http.Post(deliv + "/retry", [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    auto r = ca.retry(*u, req.matches[1]);
    rt.audit(req, *u, "delivery.retry", req.matches[1], r ? "ok" : "failed");
    rt.reply(res, r);
  });
  http.Post(deliv + "/rerender", [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    auto r = ca.rerender(*u, req.matches[1]);
    rt.audit(req, *u, "delivery.rerender", req.matches[1], r ? "ok" : "failed");
    rt.reply(res, r);
  });
  http.Post("/api/v1/admin/deliveries/retry",
            [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.admin_user(req, res);
              if (!u) return;
              auto body = rt.json_body(req, res);
              if (!body) return;
              auto r = ca.bulk_retry(*u, *body);
              rt.audit(req, *u, "delivery.bulk_retry", "", r ? "ok" : "failed", *body);
              rt.reply(res, r);
            });
  http.Post(conn + "/export", [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    const std::string format =
        req.has_param("format") ? req.get_param_value("format") : std::string("xlsx");
    auto f = ca.export_sheet(*u, req.matches[1], format, req.get_param_value("again") == "1",
                             req.get_param_value("period"));
    rt.audit(req, *u, "connector.export", req.matches[1], f ? "ok" : "failed",
             f ? Json{{"rows", f->rows}, {"format", format}} : Json::object());
    if (!f) return rt.send_error(res, f.error());
    res.status = 200;
    res.set_header("Content-Disposition", "attachment; filename=\"" + f->filename + "\"");
    res.set_header("X-Rows", std::to_string(f->rows));
    res.set_header("Cache-Control", "no-store");
    res.set_content(f->bytes, f->content_type);
  });
  // Upstreams that pull: a token scoped to one connector, not a user session.
  http.Get(R"(/api/v1/feeds/([a-z0-9_]{1,40}))", [&rt, &ca](const httplib::Request& req,
                                                            httplib::Response& res) {
    const auto& h = req.get_header_value("Authorization");
    std::optional<int> limit;
    if (req.has_param("limit")) {
      try {
        limit = std::stoi(req.get_param_value("limit"));
      } catch (...) {
        return rt.send_error(res, Error::make(ErrorKind::kInvalidArgument, "bad_query",
                                              "limit 应为数字", "limit is a number"));
      }
    }
    auto page = ca.feed_page(req.matches[1], h.rfind("Bearer ", 0) == 0 ? h.substr(7) : "",
                             req.get_param_value("after"), limit);
    rt.audit(
        req, std::nullopt, "feed.pull", req.matches[1],
        page ? "ok" : (page.error().kind == ErrorKind::kUnauthenticated ? "denied" : "failed"));
    rt.reply(res, page);
  });
  http.Get("/api/v1/admin/secrets",
           [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
             if (!rt.admin_user(req, res)) return;
             rt.reply(res, ca.secret_names());
           });
  http.Put(R"(/api/v1/admin/secrets/([A-Za-z0-9_.-]{1,64}))",
           [&rt, &ca](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.admin_user(req, res);
             if (!u) return;
             auto body = rt.json_body(req, res);
             if (!body) return;
             auto v = body->find("value");
             if (v == body->end() || !v->is_string()) {
               return rt.send_error(res, Error::make(ErrorKind::kValidation, "invalid_secret",
                                                     "请填写密钥内容 value", "value is required"));
             }
             auto st = ca.put_secret(*u, req.matches[1], *v);
             rt.audit(req, *u, "secret.set", req.matches[1], st ? "ok" : "failed");
             if (!st) return rt.send_error(res, st.error());
             res.status = 204;
           });
}

}  // namespace yb::gateway
