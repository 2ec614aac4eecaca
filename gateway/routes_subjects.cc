// Subjects (prefill lookup, name search, while-typing match) and the county admins' duplicate
// review queue (docs/api.md, docs/dedupe.md).
#include "gateway/routing.h"

namespace yb::gateway {

using Json = nlohmann::json;

namespace {
int int_param(const httplib::Request& req, const char* name, int def) {
  if (!req.has_param(name)) return def;
  const std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 6) return -1;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
  }
  return std::stoi(v);
}
Error bad_limit() {
  return Error::make(ErrorKind::kInvalidArgument, "bad_query", "limit 应为正整数",
                     "limit must be a positive whole number");
}
}  // namespace

void add_subject_routes(Routing& rt) {
  auto& http = rt.http;
  auto& subj = rt.s.subjects;
  http.Get("/api/v1/subjects/lookup", [&rt, &subj](const httplib::Request& req,
                                                   httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    if (!req.has_param("id_number")) {
      return rt.send_error(res, Error::make(ErrorKind::kInvalidArgument, "bad_query",
                                            "请提供身份证号 id_number", "id_number is required"));
    }
    rt.reply(res, subj.lookup(*u, req.get_param_value("id_number")));
  });
  http.Get("/api/v1/subjects", [&rt, &subj](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    const int limit = int_param(req, "limit", 20);
    if (limit <= 0) return rt.send_error(res, bad_limit());
    rt.reply(res, subj.search(*u, req.get_param_value("name"), limit));
  });
  http.Post("/api/v1/subjects/match",
            [&rt, &subj](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              auto body = rt.json_body(req, res);
              if (!body) return;
              rt.reply(res, subj.match(*u, *body));
            });
  http.Get("/api/v1/admin/duplicates", [&rt, &subj](const httplib::Request& req,
                                                    httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    const int limit = int_param(req, "limit", 50);
    if (limit <= 0) return rt.send_error(res, bad_limit());
    const std::string status = req.has_param("status") ? req.get_param_value("status") : "open";
    auto r = subj.duplicates(*u, status, limit);
    // The queue shows people's records in full: who looked is recorded.
    rt.audit(req, *u, "duplicates.view", status, r ? "ok" : "failed",
             r ? Json{{"pairs", (*r)["duplicates"].size()}} : Json::object());
    rt.reply(res, r);
  });
  http.Post(R"(/api/v1/admin/duplicates/([0-9]{1,15})/(merge|keep|undo))",
            [&rt, &subj](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.admin_user(req, res);
              if (!u) return;
              auto r = subj.decide(*u, std::stoll(req.matches[1]), req.matches[2]);
              rt.audit(req, *u, "duplicate." + std::string(req.matches[2]), req.matches[1],
                       r ? "ok" : "failed");
              rt.reply(res, r);
            });
}

}  // namespace yb::gateway
