// Admin API for the field dictionary, forms (draft -> publish -> close), upstream systems' own
// forms with their coverage, and the org unit tree (docs/api.md "Dictionary and forms",
// "Upstream forms", "Org units"). The services check roles and scope and audit; this file only
// decodes and encodes.
#include "admin/form_editor.h"
#include "admin/org_units.h"
#include "admin/upstream_forms.h"
#include "gateway/routing.h"

namespace yb::gateway {

using Json = nlohmann::json;

void add_form_routes(Routing& rt) {
  auto& http = rt.http;
  auto& fe = rt.s.form_editor;
  auto& up = rt.s.upstream_forms;
  auto caller = [&rt](const httplib::Request& req, const admin::User& u) {
    return admin::Caller{u, rt.client_addr(req)};
  };

  // ---- Dictionary ----
  http.Get("/api/v1/admin/dictionary",
           [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.authenticate(req, res);
             if (!u) return;
             rt.reply(res, fe.dictionary(caller(req, *u)));
           });
  http.Put("/api/v1/admin/dictionary",
           [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.authenticate(req, res);
             if (!u) return;
             auto body = rt.json_body(req, res);
             if (!body) return;
             rt.reply(res, fe.put_dictionary(caller(req, *u), *body));
           });

  // ---- Forms ----
  http.Get("/api/v1/admin/forms",
           [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.authenticate(req, res);
             if (!u) return;
             rt.reply(res, fe.list_forms(caller(req, *u)));
           });
  const std::string form = R"(/api/v1/admin/forms/([a-z0-9_]{1,40}))";
  http.Get(form, [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    rt.reply(res, fe.form(caller(req, *u), req.matches[1]));
  });
  http.Put(form, [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    rt.reply(res, fe.put_draft(caller(req, *u), req.matches[1], *body));
  });
  http.Post(form + "/publish",
            [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              rt.reply(res, fe.publish(caller(req, *u), req.matches[1]));
            });
  http.Post(form + "/close",
            [&rt, &fe, caller](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              rt.reply(res, fe.close(caller(req, *u), req.matches[1]));
            });
  // The draft exactly as the cadre's client would receive it from GET /api/v1/forms/{id}.
  http.Get(form + "/draft", [&rt, &fe](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.admin_user(req, res);
    if (!u) return;
    auto f = fe.draft(req.matches[1]);
    if (!f) return rt.send_error(res, f.error());
    send_json(res, 200, (*f)->to_json());
  });

  // ---- Upstream forms ----
  http.Get("/api/v1/admin/upstream-forms",
           [&rt, &up, caller](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.authenticate(req, res);
             if (!u) return;
             rt.reply(res, up.list(caller(req, *u)));
           });
  http.Post("/api/v1/admin/upstream-forms/suggest",
            [&rt, &up, caller](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              auto body = rt.json_body(req, res);
              if (!body) return;
              rt.reply(res, up.suggest(caller(req, *u), *body));
            });
  const std::string upf = R"(/api/v1/admin/upstream-forms/([a-z0-9_]{1,40}))";
  http.Get(upf, [&rt, &up, caller](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    rt.reply(res, up.get(caller(req, *u), req.matches[1]));
  });
  http.Put(upf, [&rt, &up, caller](const httplib::Request& req, httplib::Response& res) {
    auto u = rt.authenticate(req, res);
    if (!u) return;
    auto body = rt.json_body(req, res);
    if (!body) return;
    auto r = up.put(caller(req, *u), req.matches[1], *body);
    rt.reply(res, r, r && r->value("created", false) ? 201 : 200);
  });
  http.Post(upf + "/connector",
            [&rt, &up, caller](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              auto body = rt.json_body(req, res);
              if (!body) return;
              rt.reply(res, up.make_connector(caller(req, *u), req.matches[1], *body));
            });

  // ---- Org units ----
  auto& ou = rt.s.org_units;
  http.Post("/api/v1/admin/org-units/import",
            [&rt, &ou, caller](const httplib::Request& req, httplib::Response& res) {
              auto u = rt.authenticate(req, res);
              if (!u) return;
              const bool dry = req.get_param_value("dry_run") == "1";
              rt.reply(res, ou.import_csv(caller(req, *u), req.body, dry));
            });
  http.Get("/api/v1/admin/org-units",
           [&rt, &ou, caller](const httplib::Request& req, httplib::Response& res) {
             auto u = rt.authenticate(req, res);
             if (!u) return;
             std::optional<std::string> parent;
             if (req.has_param("parent")) parent = req.get_param_value("parent");
             rt.reply(res, ou.children(caller(req, *u), parent));
           });
}

}  // namespace yb::gateway
