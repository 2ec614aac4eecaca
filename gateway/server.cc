#include "gateway/server.h"

#include <sys/socket.h>

#include <httplib.h>
#include <chrono>
#include <thread>

#include "core/json_text.h"
#include "gateway/http_errors.h"
#include "gateway/http_server.h"
#include "gateway/routing.h"

namespace yb::gateway {
namespace {

using Json = nlohmann::json;

// Start time of the request this thread is serving; set before routing, read by the logger.
// (A request is served start to end on one pool thread.)
thread_local std::chrono::steady_clock::time_point t_request_start;

void write_error(httplib::Response& res, const Error& e) {
  if (e.retry_after_seconds > 0) {
    res.set_header("Retry-After", std::to_string(e.retry_after_seconds));
  }
  if (e.kind == ErrorKind::kUnauthenticated) res.set_header("WWW-Authenticate", "Bearer");
  send_json(res, http_status(e.kind), error_body(e));
}

Error bad_json(const std::string& why) {
  return Error::make(ErrorKind::kInvalidArgument, "malformed_json",
                     "请求内容不是有效的 JSON：" + why,
                     "The request body is not valid JSON: " + why);
}

}  // namespace

void send_json(httplib::Response& res, int status, const Json& body) {
  // The text dump() writes, with what is not UTF-8 replaced (core/json_text.h).
  send_json_text(res, status, json_dump(body));
}

void send_json_text(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.body = std::move(body);  // (set_content would copy it)
  res.set_header("Content-Type", "application/json; charset=utf-8");
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

namespace {
std::unique_ptr<httplib::Server> make_http_server(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) return std::make_unique<HttpServer>();
  return std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
}
}  // namespace

Routing::Routing(Services services, ServerOptions o)
    : s(std::move(services)), opts(std::move(o)), server(make_http_server(opts)), http(*server) {}

// Answers with the error; internal ones are logged with their detail (never sent).
void Routing::send_error(httplib::Response& res, const Error& e) {
  if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
    s.log->error("{}: {}", e.code, e.message.en);
  }
  write_error(res, e);
}

// Decodes a JSON object body, or fills res with 400 and returns nullopt.
Result<nlohmann::json> Routing::parse_json_object(const std::string& text) const {
  size_t at = 0;
  auto j = json_parse(text, static_cast<size_t>(opts.max_json_depth), &at);
  if (!j) {
    if (!json_depth_within(text, opts.max_json_depth)) {
      return bad_json("nested deeper than " + std::to_string(opts.max_json_depth));
    }
    return bad_json("byte " + std::to_string(at + 1));  // counted from 1, as parse() counts
  }
  if (!j->is_object()) return bad_json("expected an object");
  return std::move(*j);
}

std::optional<nlohmann::json> Routing::json_body(const httplib::Request& req,
                                                 httplib::Response& res) {
  auto j = parse_json_object(req.body);
  if (!j) {
    send_error(res, j.error());
    return std::nullopt;
  }
  return std::move(*j);
}

// The user behind the bearer token, or fills res with 401.
std::optional<admin::User> Routing::authenticate(const httplib::Request& req,
                                                 httplib::Response& res) {
  const auto& h = req.get_header_value("Authorization");
  std::string token;
  if (h.rfind("Bearer ", 0) == 0) token = h.substr(7);
  auto u = s.accounts.authenticate(token);
  if (!u) {
    send_error(res, u.error());
    return std::nullopt;
  }
  return *u;
}

// The caller, if it is a county or system admin; otherwise fills res (401/403).
bool Routing::page_params(const httplib::Request& req, httplib::Response& res, int64_t& after_seq,
                          int& limit) {
  try {
    if (req.has_param("after")) after_seq = std::stoll(req.get_param_value("after"));
    if (req.has_param("limit")) limit = std::stoi(req.get_param_value("limit"));
  } catch (...) {
    send_error(res, Error::make(ErrorKind::kInvalidArgument, "bad_query", "after 和 limit 应为数字",
                                "after and limit are numbers"));
    return false;
  }
  return true;
}

std::optional<admin::User> Routing::admin_user(const httplib::Request& req,
                                               httplib::Response& res) {
  auto u = authenticate(req, res);
  if (!u) return std::nullopt;
  if (auto s = admin::ConnectorAdmin::require_admin(*u); !s) {
    send_error(res, s.error());
    return std::nullopt;
  }
  return u;
}

void Routing::reply(httplib::Response& res, const Result<Json>& r, int ok_status) {
  if (!r) return send_error(res, r.error());
  send_json(res, ok_status, *r);
}

struct Server::Impl : Routing {
  int listen_fd = -1;
  std::atomic<bool> serving{false}, stop_requested{false};

  Impl(Services services, ServerOptions o) : Routing(std::move(services), std::move(o)) {}

  void routes() {
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}});
    });

    http.Post("/api/v1/sessions", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = json_body(req, res);
      if (!body) return;
      auto u = body->find("username"), p = body->find("password");
      if (u == body->end() || p == body->end() || !u->is_string() || !p->is_string()) {
        Error e = Error::make(ErrorKind::kValidation, "invalid_login", "请填写用户名和密码",
                              "username and password are required strings");
        if (u == body->end() || !u->is_string())
          e.details.push_back({"username", "required", {"请填写用户名", "Enter the username"}});
        if (p == body->end() || !p->is_string())
          e.details.push_back({"password", "required", {"请填写密码", "Enter the password"}});
        return send_error(res, e);
      }
      auto token = s.accounts.login(*u, *p, client_addr(req));
      if (!token) {
        audit(req, std::nullopt, "login", u->get<std::string>(),
              token.error().kind == ErrorKind::kRateLimited ? "locked" : "failed");
        return send_error(res, token.error());
      }
      auto user = s.accounts.authenticate(*token);
      if (!user) return send_error(res, user.error());
      audit(req, *user, "login", user->username, "ok");
      send_json(res, 200,
                {{"token", *token},
                 {"user",
                  {{"username", user->username},
                   {"role", admin::to_string(user->role)},
                   {"org_unit", user->org_code ? Json(*user->org_code) : Json(nullptr)}}}});
    });

    http.Delete("/api/v1/sessions", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authenticate(req, res)) return;
      s.accounts.logout(req.get_header_value("Authorization").substr(7));
      res.status = 204;
    });

    http.Get("/api/v1/forms", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authenticate(req, res)) return;
      auto forms = s.catalog.published_forms();
      if (!forms) return send_error(res, forms.error());
      Json list = Json::array();
      for (const auto& f : *forms) {
        Json full = f->to_json();
        list.push_back({{"id", f->id},
                        {"version", f->version},
                        {"title", full["title"]},
                        {"description", full.value("description", Json::object())}});
      }
      send_json(res, 200, {{"forms", list}});
    });

    http.Get(R"(/api/v1/forms/([A-Za-z0-9_.-]{1,64}))",
             [this](const httplib::Request& req, httplib::Response& res) {
               if (!authenticate(req, res)) return;
               auto f = s.catalog.published_form(req.matches[1]);
               if (!f) return send_error(res, f.error());
               send_json(res, 200, (*f)->to_json());
             });

    http.Post("/api/v1/submissions", [this](const httplib::Request& req, httplib::Response& res) {
      auto user = authenticate(req, res);
      if (!user) return;
      if (user->role == admin::Role::kAuditor) {
        return send_error(
            res, Error::make(ErrorKind::kForbidden, "role_forbidden",
                             "审计员只能查看，不能提交信息", "Auditors read; they cannot submit"));
      }
      auto receipt = s.submissions.submit_body(
          *user, req.body, [this](const std::string& text) -> Result<intake::SubmitRequest> {
            auto body = parse_json_object(text);
            if (!body) return body.take_error();
            return intake::decode_submit_request(std::move(*body));
          });
      if (!receipt) return send_error(res, receipt.error());
      send_json_text(res, receipt->replayed ? 200 : 201, receipt->to_json_text());
    });

    http.Get(R"(/api/v1/submissions/(\d{1,18}))", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
      auto user = authenticate(req, res);
      if (!user) return;
      auto sub = s.submissions.get(*user, std::stoll(req.matches[1]));
      audit(req, *user, "submission.view", req.matches[1],
            sub ? "ok" : (sub.error().kind == ErrorKind::kNotFound ? "not_found" : "denied"));
      if (!sub) return send_error(res, sub.error());
      send_json(res, 200, sub->to_json());
    });
  }

  void hooks() {
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Errors the router or the library produce (404, 405, 413, 414...) get the JSON shape too.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request&,
                                                                       httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      Error e;
      switch (res.status) {
        case 404:
          e = Error::make(ErrorKind::kNotFound, "not_found", "没有这个地址", "No such endpoint");
          break;
        case 413:
          e = Error::make(ErrorKind::kTooLarge, "too_large",
                          "提交的内容太大（上限 " + std::to_string(opts.max_body_bytes / 1024) +
                              " KB），请删去附件或分开提交",
                          "The request body is over the limit of " +
                              std::to_string(opts.max_body_bytes / 1024) + " KB");
          break;
        case 414:
          e = Error::make(ErrorKind::kTooLarge, "uri_too_long", "地址太长", "The URI is too long");
          break;
        default:
          e = Error::make(ErrorKind::kInvalidArgument, "bad_request", "请求有误",
                          "Bad request (HTTP " + std::to_string(res.status) + ")");
      }
      int status = res.status;
      send_json(res, status, error_body(e));
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          s.log->error("unhandled exception on {} {}: {}", req.method, req.path, what);
          send_error(res, Error::make(ErrorKind::kInternal, "internal", "", what));
        });
    // One line per request: method, path (never the query string or body), status, duration.
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (!s.log->should_log(spdlog::level::info)) return;
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t_request_start)
                          .count();
      // "POST /api/v1/submissions 201 5.3ms", put together by hand: a format string would be
      // parsed again for every request.
      const int64_t tenths = (us + 50) / 100;
      std::string line;
      line.reserve(req.method.size() + req.path.size() + 32);
      line.append(req.method).append(1, ' ').append(req.path).append(1, ' ');
      line.append(std::to_string(res.status)).append(1, ' ').append(std::to_string(tenths / 10));
      line.append(1, '.').append(1, static_cast<char>('0' + tenths % 10)).append("ms");
      s.log->log(spdlog::level::info, spdlog::string_view_t(line));
    });
  }
};

Server::Server(Services services, ServerOptions opts)
    : impl_(std::make_unique<Impl>(std::move(services), std::move(opts))) {
  auto& h = impl_->http;
  const auto& o = impl_->opts;
  // Debian's compiled cpp-httplib keeps Nagle on unless asked: every keep-alive answer would
  // wait ~40 ms for the delayed ACK.
  h.set_tcp_nodelay(true);
  h.set_payload_max_length(o.max_body_bytes);
  h.set_read_timeout(o.read_timeout_s, 0);
  h.set_write_timeout(o.write_timeout_s, 0);
  h.set_keep_alive_timeout(o.keep_alive_timeout_s);
  h.set_keep_alive_max_count(static_cast<size_t>(o.keep_alive_max_requests));
  h.new_task_queue = [threads = o.threads]() -> httplib::TaskQueue* {
    return new WorkerPool(static_cast<size_t>(threads));
  };
  // Remember the listening socket so bind() can raise the compiled-in backlog of 5.
  h.set_socket_options([impl = impl_.get()](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl->listen_fd = fd;
  });
  impl_->hooks();
  impl_->routes();
  add_admin_routes(*impl_);
  add_dashboard_routes(*impl_);
  add_subject_routes(*impl_);
  add_web_routes(*impl_);
  add_admin_page_routes(*impl_);
  add_security_routes(*impl_);
  add_form_routes(*impl_);
}

Server::~Server() = default;

Result<int> Server::bind() {
  const auto& o = impl_->opts;
  if (!impl_->http.is_valid()) {
    return Error::make(ErrorKind::kUnavailable, "tls_invalid",
                       "无法读取 TLS 证书或私钥：" + o.tls_cert + "，" + o.tls_key,
                       "Cannot load the TLS certificate or key (" + o.tls_cert + ", " + o.tls_key +
                           "): check the paths and that they are PEM files that match");
  }
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) port = 0;
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    port = 0;
  }
  if (port == 0) {
    return Error::make(ErrorKind::kUnavailable, "bind_failed",
                       "无法监听 " + o.host + ":" + std::to_string(o.port),
                       "Cannot listen on " + o.host + ":" + std::to_string(o.port) +
                           " (in use, or not an address of this machine)");
  }
  // Re-listening on a listening socket only changes its backlog (Linux).
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, o.listen_backlog);
  return port;
}

void Server::serve() {
  impl_->serving = true;
  if (impl_->stop_requested) return;
  impl_->http.listen_after_bind();
}

void Server::stop() {
  impl_->stop_requested = true;
  // httplib's stop() does nothing before the accept loop runs: a stop() right after serve() was
  // called (a signal at start-up, a test that stops at once) waits for the loop to be running.
  if (impl_->serving) {
    for (int i = 0; i < 5000 && !impl_->http.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  impl_->http.stop();
}

}  // namespace yb::gateway
