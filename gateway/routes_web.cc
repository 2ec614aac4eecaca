// The cadre's web pages (gateway/web/pages.h renders them): login, home, the form, its
// receipt. Cookie sessions on top of admin::Accounts sessions; a CSRF token on every
// state-changing form; a strict Content-Security-Policy (no inline script or style). Form
// posts are decoded into the same values the JSON API takes and go through the same
// SubmissionService.
#include <memory>

#include "core/clock.h"
#include "core/crypto.h"
#include "gateway/http_errors.h"
#include "gateway/routing.h"
#include "gateway/web/pages.h"
#include "gateway/web/session.h"

namespace yb::gateway {
namespace {

using web::Chrome;
using web::Pages;
using namespace web;  // cookies, session, CSP (gateway/web/session.h)

constexpr int kRecentLimit = 10;

struct Web {
  Routing& rt;
  Pages pages;
  const char* csp;

  void send_html(httplib::Response& res, int status, const std::string& html) {
    web::send_html(res, csp, status, html);
  }

  void redirect(httplib::Response& res, const std::string& to) { web::redirect(res, csp, to); }

  Chrome chrome(const httplib::Request& req, const std::string& page, const std::string& title) {
    Chrome c;
    std::string lang = cookie(req, kLangCookie);
    if (web::known_language(lang)) c.lang = lang;
    c.elder = cookie(req, kElderCookie) == "1";
    c.page = page;
    c.title = title;
    c.path = req.path;
    return c;
  }

  std::optional<Session> session(const httplib::Request& req) {
    return web::session(rt.s.accounts, req);
  }
  Chrome chrome(const httplib::Request& req, const std::string& page, const std::string& title,
                const Session& s) {
    Chrome c = chrome(req, page, title);
    c.user = s.user.display_name.empty() ? s.user.username : s.user.display_name;
    c.csrf = s.csrf;
    c.admin = s.user.role != admin::Role::kCadre;
    return c;
  }
  // The session, or a redirect to the login page (which comes back here afterwards).
  std::optional<Session> require(const httplib::Request& req, httplib::Response& res) {
    auto s = session(req);
    if (!s) redirect(res, "/?next=" + req.path);
    return s;
  }

  void login_page(const httplib::Request& req, httplib::Response& res, int status,
                  const std::string& username, const std::string& error, const std::string& next) {
    std::string pre = cookie(req, kPreCookie);
    if (pre.size() != 32) {
      pre = crypto::random_hex(16);
      set_cookie(res, req, kPreCookie, pre, -1);
    }
    Chrome c = chrome(req, "login", pages.text(chrome(req, "", "").lang, "login_title"));
    send_html(res, status, pages.login(c, username, error, pre, next));
  }

  const forms::Form* find_form(const std::vector<admin::FormPtr>& all, const std::string& id) {
    for (const auto& f : all) {
      if (f->id == id) return f.get();
    }
    return nullptr;
  }

  std::string today() { return iso_date_utc(rt.s.clock.now_ms() + 8 * 3600 * 1000); }

  void add_routes() {
    auto& http = rt.http;

    http.Get("/static/app.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "public, max-age=3600");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(std::string(Pages::asset("app.css")), "text/css; charset=utf-8");
    });
    http.Get("/static/app.js", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "public, max-age=3600");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(std::string(Pages::asset("app.js")), "text/javascript; charset=utf-8");
    });

    http.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;  // no icon: one request less on a slow line
      res.set_header("Cache-Control", "public, max-age=86400");
    });

    http.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::string next = local_path(req.get_param_value("next"), "/home");
      if (session(req)) return redirect(res, next);
      login_page(req, res, 200, "", "", next);
    });

    http.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      auto p = web::parse_urlencoded(req.body);
      std::string user, pass, csrf, next = "/home";
      for (const auto& [k, v] : p) {
        if (k == "username") user = v;
        if (k == "password") pass = v;
        if (k == "_csrf") csrf = v;
        if (k == "next") next = local_path(v, "/home");
      }
      const std::string lang = chrome(req, "", "").lang;
      const std::string pre = cookie(req, kPreCookie);
      if (pre.empty() || !crypto::equal_ct(pre, csrf)) {
        return login_page(req, res, 403, user, pages.text(lang, "csrf_failed"), next);
      }
      if (user.empty() || pass.empty()) {
        return login_page(req, res, 422, user, pages.text(lang, "login_missing"), next);
      }
      auto token = rt.s.accounts.login(user, pass, req.remote_addr);
      if (!token) {
        const Error& e = token.error();
        if (e.kind == ErrorKind::kRateLimited) {
          std::string msg = pages.text(lang, "login_locked");
          auto at = msg.find("{minutes}");
          if (at != std::string::npos) {
            msg.replace(at, 9, std::to_string((e.retry_after_seconds + 59) / 60));
          }
          res.set_header("Retry-After", std::to_string(e.retry_after_seconds));
          return login_page(req, res, 429, user, msg, next);
        }
        if (e.kind == ErrorKind::kUnauthenticated) {
          return login_page(req, res, 401, user, pages.text(lang, "login_failed"), next);
        }
        return login_page(req, res, http_status(e.kind), user,
                          lang == "en" ? e.message.en : e.message.zh, next);
      }
      set_cookie(res, req, kSessionCookie, *token, -1);
      redirect(res, next);
    });

    http.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = session(req);
      if (s) {
        std::string csrf;
        for (const auto& [k, v] : web::parse_urlencoded(req.body)) {
          if (k == "_csrf") csrf = v;
        }
        if (!crypto::equal_ct(csrf, s->csrf)) {
          Chrome c =
              chrome(req, "message", pages.text(chrome(req, "", "").lang, "error_title"), *s);
          return send_html(
              res, 403,
              pages.message(c, pages.text(c.lang, "error_title"), pages.text(c.lang, "csrf_failed"),
                            "/home", pages.text(c.lang, "back_home")));
        }
        rt.s.accounts.logout(s->token);
      }
      set_cookie(res, req, kSessionCookie, "", 0);
      redirect(res, "/");
    });

    // Language and elder mode: remembered for a year, one tap from every page, work without
    // JavaScript. Only preferences change, so a plain link is enough.
    http.Get("/prefs", [this](const httplib::Request& req, httplib::Response& res) {
      const int64_t year = 365LL * 24 * 3600;
      std::string lang = req.get_param_value("lang");
      if (web::known_language(lang)) set_cookie(res, req, kLangCookie, lang, year, false);
      std::string elder = req.get_param_value("elder");
      if (elder == "1" || elder == "0") {
        // Both cookies may change in one answer: httplib keeps repeated Set-Cookie headers.
        set_cookie(res, req, kElderCookie, elder, year, false);
      }
      redirect(res, local_path(req.get_param_value("next"), "/"));
    });

    http.Get("/home", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = require(req, res);
      if (!s) return;
      Chrome c = chrome(req, "home", pages.text(chrome(req, "", "").lang, "home_title"), *s);
      auto forms = rt.s.catalog.published_forms();
      if (!forms) return rt.send_error(res, forms.error());
      std::vector<const forms::Form*> fl;
      for (const auto& f : *forms) fl.push_back(f.get());
      auto recent = rt.s.submissions.recent(s->user, kRecentLimit);
      if (!recent) return rt.send_error(res, recent.error());
      std::vector<std::pair<intake::StoredSubmission, const forms::Form*>> rl;
      for (auto& r : *recent) {
        const forms::Form* f = find_form(*forms, r.receipt.form_id);
        rl.emplace_back(std::move(r), f);
      }
      send_html(res, 200, pages.home(c, fl, rl));
    });

    const std::string form_re = R"(/forms/([A-Za-z0-9_.-]{1,64}))";
    http.Get(form_re, [this](const httplib::Request& req, httplib::Response& res) {
      auto s = require(req, res);
      if (!s) return;
      auto f = rt.s.catalog.published_form(req.matches[1]);
      if (!f) return not_found(req, res, *s);
      Chrome c = chrome(req, "form", pages.text(chrome(req, "", "").lang, "app_name"), *s);
      c.title = c.lang == "en" && !(*f)->title.en.empty()   ? (*f)->title.en
                : c.lang == "ug" && !(*f)->title.ug.empty() ? (*f)->title.ug
                                                            : (*f)->title.zh;
      web::FormPost post;
      post.client_id = "w-" + crypto::random_hex(12);
      send_html(res, 200, pages.form(c, **f, post, {}, "", today()));
    });

    http.Get(form_re + "/print", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = require(req, res);
      if (!s) return;
      auto f = rt.s.catalog.published_form(req.matches[1]);
      if (!f) return not_found(req, res, *s);
      Chrome c = chrome(req, "print", (*f)->title.zh, *s);
      send_html(res, 200, pages.print(c, **f));
    });

    http.Post(form_re, [this](const httplib::Request& req, httplib::Response& res) {
      auto s = require(req, res);
      if (!s) return;
      auto f = rt.s.catalog.published_form(req.matches[1]);
      if (!f) return not_found(req, res, *s);
      const forms::Form& form = **f;
      Chrome c = chrome(req, "form", form.title.zh, *s);
      auto post = web::read_form_post(form, web::parse_urlencoded(req.body));
      if (!crypto::equal_ct(post.csrf, s->csrf)) {
        return send_html(
            res, 403,
            pages.message(c, pages.text(c.lang, "error_title"), pages.text(c.lang, "csrf_failed"),
                          req.path, pages.text(c.lang, "fill_form")));
      }
      if (post.client_id.empty()) post.client_id = "w-" + crypto::random_hex(12);
      // Add or remove a repeat item without JavaScript: the same page, one item more or less.
      if (web::apply_repeat_action(form, post.action, post.raw)) {
        return send_html(res, 200, pages.form(c, form, post, {}, "", today()));
      }
      if (s->user.role == admin::Role::kAuditor) {
        return send_html(res, 403,
                         pages.form(c, form, post, {}, "审计员只能查看，不能提交信息", today()));
      }
      intake::SubmitRequest sr;
      sr.form_id = form.id;
      sr.client_id = post.client_id;
      sr.values = web::values_from_raw(form, post.raw);
      sr.channel = intake::valid_channel(post.channel) ? post.channel : "";
      sr.paper_ref = sr.channel.empty() ? "" : post.paper_ref.substr(0, 64);
      auto receipt = rt.s.submissions.submit(s->user, sr);
      if (!receipt) {
        const Error& e = receipt.error();
        if (e.kind == ErrorKind::kValidation && !e.details.empty()) {
          return send_html(res, 422, pages.form(c, form, post, e.details, "", today()));
        }
        if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
          rt.s.log->error("{}: {}", e.code, e.message.en);
        }
        std::string msg = c.lang == "en" ? e.message.en : e.message.zh;
        return send_html(res, http_status(e.kind), pages.form(c, form, post, {}, msg, today()));
      }
      redirect(res, "/submissions/" + std::to_string(receipt->id));
    });

    http.Get(R"(/submissions/(\d{1,18}))", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      auto s = require(req, res);
      if (!s) return;
      auto sub = rt.s.submissions.get(s->user, std::stoll(req.matches[1]));
      if (!sub) return not_found(req, res, *s);
      auto f = rt.s.catalog.form_version(sub->receipt.form_id, sub->receipt.form_version);
      Chrome c = chrome(req, "receipt", pages.text(chrome(req, "", "").lang, "receipt_title"), *s);
      send_html(res, 200, pages.receipt(c, *sub, f ? f->get() : nullptr));
    });

    // The receipt's live progress (polled by app.js), with the same cookie session.
    http.Get(R"(/submissions/(\d{1,18})/status)", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
      auto s = session(req);
      if (!s) {
        return rt.send_error(res, Error::make(ErrorKind::kUnauthenticated, "unauthenticated",
                                              "登录已过期，请重新登录", "Log in again"));
      }
      auto sub = rt.s.submissions.get(s->user, std::stoll(req.matches[1]));
      if (!sub) return rt.send_error(res, sub.error());
      std::string lang = chrome(req, "", "").lang;
      nlohmann::json ds = pages.deliveries_json(lang, sub->receipt.deliveries);
      bool final = true;
      for (const auto& d : sub->receipt.deliveries) {
        final = final && (d.status == "delivered" || d.status == "skipped" || d.status == "dead");
      }
      send_json(res, 200, {{"id", sub->receipt.id}, {"final", final}, {"deliveries", ds}});
    });
  }

  void not_found(const httplib::Request& req, httplib::Response& res, const Session& s) {
    Chrome c = chrome(req, "message", pages.text(chrome(req, "", "").lang, "not_found"), s);
    send_html(res, 404,
              pages.message(c, pages.text(c.lang, "error_title"), pages.text(c.lang, "not_found"),
                            "/home", pages.text(c.lang, "back_home")));
  }
};

}  // namespace

void add_web_routes(Routing& rt) {
  // Lives as long as the server's routes (one per Server; freed with the process).
  auto* w = new Web{rt, Pages{}, rt.opts.web_allow_injected_scripts ? kDemoCsp : kCsp};
  w->add_routes();
  rt.web_state = std::shared_ptr<void>(w, [](void* p) { delete static_cast<Web*>(p); });
}

}  // namespace yb::gateway
