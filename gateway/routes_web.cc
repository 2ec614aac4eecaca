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
#include "intake/prefill.h"

namespace yb::gateway {
namespace {

using web::Chrome;
using web::Pages;
using namespace web;  // cookies, session, CSP (gateway/web/session.h)

constexpr int kRecentLimit = 10;
constexpr int kVillagePage = 20;  // people per page of the village list

bool digits_only(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

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
  // A form page's answer id, sortable by time as app.js makes them (crypto::sortable_ids).
  std::string new_client_id() {
    return crypto::sortable_ids("w-", rt.s.clock.now_ms(), 1, 16).front();
  }

  // Where a login lands when no page was asked for: cadres fill forms, the others administer.
  static std::string landing(const admin::User& u) {
    return u.role == admin::Role::kCadre ? "/home" : "/admin";
  }

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
      std::string next = local_path(req.get_param_value("next"), "");
      if (auto s = session(req)) return redirect(res, next.empty() ? landing(s->user) : next);
      login_page(req, res, 200, "", "", next);
    });

    http.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      auto p = web::parse_urlencoded(req.body);
      std::string user, pass, csrf, next;
      for (const auto& [k, v] : p) {
        if (k == "username") user = v;
        if (k == "password") pass = v;
        if (k == "_csrf") csrf = v;
        if (k == "next") next = local_path(v, "");
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
      if (next.empty()) {
        auto who = rt.s.accounts.authenticate(*token);
        next = who ? landing(*who) : "/home";
      }
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
      // The people of the cadre's villages (page and search from the query string; no JS).
      nlohmann::json village;
      const std::string pg = req.get_param_value("page");
      const int page = digits_only(pg, 6) ? std::stoi(pg) : 1;
      auto v = rt.s.subjects.village(s->user, req.get_param_value("q").substr(0, 200), page,
                                     kVillagePage);
      if (v) village = std::move(*v);
      send_html(res, 200, pages.home(c, fl, rl, village));
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
      post.client_id = new_client_id();
      // A correction: the form opened with an earlier answer's values.
      if (req.has_param("correct")) {
        const std::string n = req.get_param_value("correct");
        if (!digits_only(n, 15)) return not_found(req, res, *s);
        auto sub = rt.s.submissions.get(s->user, std::stoll(n));
        if (!sub || sub->receipt.form_id != (*f)->id) return not_found(req, res, *s);
        rt.audit(req, s->user, "submission.view", "submission:" + n, "ok",
                 {{"purpose", "correct"}});
        if (sub->receipt.superseded_by) {
          const std::string newer = std::to_string(sub->receipt.superseded_by);
          std::string msg = pages.text(c.lang, "receipt_superseded");
          msg.replace(msg.find("{n}"), 3, newer);
          return send_html(res, 409,
                           pages.message(c, pages.text(c.lang, "error_title"), msg,
                                         "/submissions/" + newer, pages.text(c.lang, "correct")));
        }
        post.raw = intake::to_raw(sub->values);
        post.supersedes = n;
        // The person it is about, if known: unchanged answers then count as prefilled, and
        // the marks say where the values came from (only where they still agree).
        std::optional<web::Prefilled> pf;
        auto idn = sub->values.find("person.id_number");
        if (idn != sub->values.end() && idn->is_string()) {
          if (auto p = rt.s.subjects.prefill(s->user, **f, "", idn->get<std::string>())) {
            rt.audit(req, s->user, "subject.prefill", "subject:" + std::to_string(p->subject_id),
                     "ok", {{"form", (*f)->id}, {"via", "correct"}});
            const nlohmann::json known = intake::to_raw(p->values);
            pf = marks_for(*p);
            for (auto it = pf->marks.begin(); it != pf->marks.end();) {
              const nlohmann::json::json_pointer ptr = pointer_of(it->first);
              const bool same = post.raw.contains(ptr) && known.contains(ptr) &&
                                post.raw.at(ptr) == known.at(ptr);
              it = same ? std::next(it) : pf->marks.erase(it);
            }
            post.prefill_subject = std::to_string(p->subject_id);
          }
        }
        return send_html(res, 200, pages.form(c, **f, post, {}, "", today(), pf ? &*pf : nullptr));
      }
      // Prefill for a known person: ?subject=ID or ?id_number=... (any spelling).
      if (req.has_param("subject") || req.has_param("id_number")) {
        std::optional<web::Prefilled> pf;
        if (!prefill_for(req, res, *s, **f, req.get_param_value("subject"),
                         req.has_param("subject") ? "" : req.get_param_value("id_number"), post, pf,
                         true)) {
          return;
        }
        return send_html(res, 200, pages.form(c, **f, post, {}, "", today(), &*pf));
      }
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
      if (post.client_id.empty()) post.client_id = new_client_id();
      if (!post.supersedes.empty() && !digits_only(post.supersedes, 15)) post.supersedes.clear();
      // The prefill marks again (the registry may have moved on since the page was opened).
      std::optional<web::Prefilled> pf;
      std::optional<intake::Prefill> known;
      if (!post.prefill_subject.empty()) {
        if (!prefill_for(req, res, *s, form, post.prefill_subject, "", post, pf, false, &known)) {
          return;
        }
      }
      const web::Prefilled* pfp = pf ? &*pf : nullptr;
      // Add or remove a repeat item without JavaScript: the same page, one item more or less.
      if (web::apply_repeat_action(form, post.action, post.raw)) {
        return send_html(res, 200, pages.form(c, form, post, {}, "", today(), pfp));
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
      if (known) sr.prefill_subject = known->subject_id;
      if (!post.supersedes.empty()) sr.supersedes = std::stoll(post.supersedes);
      // Stale prefilled values must be confirmed with the resident (ticked) or changed.
      if (known) {
        std::vector<FieldError> stale;
        for (const auto& path :
             intake::unconfirmed_stale(form, sr.values, *known, post.confirmed)) {
          stale.push_back({path, "confirm_stale", stale_message(form, path)});
        }
        if (!stale.empty())
          return send_html(res, 422, pages.form(c, form, post, stale, "", today(), pfp));
      }
      auto receipt = rt.s.submissions.submit(s->user, sr);
      if (!receipt) {
        const Error& e = receipt.error();
        if (e.kind == ErrorKind::kValidation && !e.details.empty()) {
          return send_html(res, 422, pages.form(c, form, post, e.details, "", today(), pfp));
        }
        if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
          rt.s.log->error("{}: {}", e.code, e.message.en);
        }
        std::string msg = c.lang == "en" ? e.message.en : e.message.zh;
        return send_html(res, http_status(e.kind),
                         pages.form(c, form, post, {}, msg, today(), pfp));
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

  // Loads the prefill of `form` for a person (scope-checked, audited) into `post` (when
  // `fill`) and its marks into `pf`. Answers a 404 page and returns false when the person is
  // unknown, outside the cadre's area or the reference malformed.
  bool prefill_for(const httplib::Request& req, httplib::Response& res, const Session& s,
                   const forms::Form& form, const std::string& subject,
                   const std::string& id_number, web::FormPost& post,
                   std::optional<web::Prefilled>& pf, bool fill,
                   std::optional<intake::Prefill>* known = nullptr) {
    auto p = rt.s.subjects.prefill(s.user, form, subject, id_number);
    rt.audit(req, s.user, "subject.prefill", p ? "subject:" + std::to_string(p->subject_id) : "",
             p ? "ok" : p.error().code, {{"form", form.id}, {"via", "web"}});
    if (!p) {
      not_found(req, res, s);
      return false;
    }
    if (fill) post.raw = intake::to_raw(p->values);
    post.prefill_subject = std::to_string(p->subject_id);
    pf = marks_for(*p);
    if (known) *known = std::move(*p);
    return true;
  }

  // "household.members[1].name" -> /household.members/1/name (into the raw answers).
  static nlohmann::json::json_pointer pointer_of(const std::string& path) {
    std::string out;
    auto esc = [](std::string k) {
      for (size_t i = 0; (i = k.find('~', i)) != std::string::npos; i += 2) k.replace(i, 1, "~0");
      for (size_t i = 0; (i = k.find('/', i)) != std::string::npos; i += 2) k.replace(i, 1, "~1");
      return k;
    };
    const size_t br = path.find('[');
    if (br == std::string::npos) return nlohmann::json::json_pointer("/" + esc(path));
    const size_t close = path.find(']', br);
    out = "/" + esc(path.substr(0, br)) + "/" + path.substr(br + 1, close - br - 1) + "/" +
          esc(path.substr(close + 2));
    return nlohmann::json::json_pointer(out);
  }

  // The marks beside prefilled fields: when, who, in which form, stale or not.
  web::Prefilled marks_for(const intake::Prefill& p) {
    web::Prefilled out;
    out.name = p.who.name;
    std::map<std::string, std::string> titles;
    for (const auto& [path, src] : p.sources) {
      if (!titles.count(src.form_id)) {
        auto sf = rt.s.catalog.published_form(src.form_id);
        titles[src.form_id] = sf ? (*sf)->title.zh : src.form_id;
      }
      out.marks[path] = web::PrefillMark{iso_date_utc(src.at_ms + 8 * 3600 * 1000), src.author,
                                         titles[src.form_id], !src.fresh};
    }
    return out;
  }

  // The message beside a stale prefilled answer left unconfirmed, naming the field.
  Text stale_message(const forms::Form& form, const std::string& path) {
    const forms::FormField* field = nullptr;
    for (const auto& sec : form.sections) {
      for (const auto& f : sec.fields) {
        if (path == f.key) field = &f;
        if (path.rfind(f.key + "[", 0) == 0) {
          const std::string child = path.substr(path.rfind('.') + 1);
          for (const auto& ch : f.children) {
            if (ch.key == child) field = &ch;
          }
        }
      }
    }
    if (!field) return pages.stale_error(path, path, path);
    const auto& l = field->def.label;
    return pages.stale_error(l.zh, l.en, l.ug);
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
