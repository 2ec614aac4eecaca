// What every group of routes shares: the services, the options, the httplib server, and one
// way to read a JSON body, authenticate a caller and answer. Route groups live in their own
// files (routes_*.cc) and add themselves through add_*_routes(Routing&). Internal to gateway/.
#pragma once

#include <memory>
#include <optional>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/server.h"

namespace yb::gateway {

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// The same for a body that is already JSON text.
void send_json_text(httplib::Response& res, int status, std::string body);

struct Routing {
  using Json = nlohmann::json;
  Services s;
  ServerOptions opts;
  std::unique_ptr<httplib::Server> server;  // an httplib::SSLServer when TLS is configured
  httplib::Server& http;
  std::shared_ptr<void> web_state;  // the web pages' renderer (routes_web.cc)

  Routing(Services services, ServerOptions o);

  // Answers with the error; internal ones are logged with their detail (never sent).
  void send_error(httplib::Response& res, const Error& e);
  // Decodes a JSON object body, or fills res with 400 and returns nullopt.
  std::optional<Json> json_body(const httplib::Request& req, httplib::Response& res);
  // The same for any text: a JSON object within the depth limit, or kInvalidArgument.
  Result<Json> parse_json_object(const std::string& text) const;
  // The user behind the bearer token, or fills res with 401.
  std::optional<admin::User> authenticate(const httplib::Request& req, httplib::Response& res);
  // The caller, if it is a county or system admin; otherwise fills res (401/403).
  std::optional<admin::User> admin_user(const httplib::Request& req, httplib::Response& res);
  void reply(httplib::Response& res, const Result<Json>& r, int ok_status = 200);
  // Reads the paging parameters ?after= and ?limit= where given; false (and a 400 in res)
  // when either is not a number.
  bool page_params(const httplib::Request& req, httplib::Response& res, int64_t& after_seq,
                   int& limit);
  // The client's address: the socket peer, or for a trusted proxy the last X-Forwarded-For
  // entry it set (defined in routes_security.cc).
  std::string client_addr(const httplib::Request& req) const;
  // Appends an audit record for this request (who, from where, what, result). Best effort:
  // a failure is logged, not returned (defined in routes_security.cc).
  void audit(const httplib::Request& req, const std::optional<admin::User>& who,
             const std::string& action, const std::string& target, const std::string& result,
             Json detail = Json::object());
};

// Route groups.
void add_admin_routes(Routing& rt);      // connectors, deliveries, secrets, feeds (routes_admin.cc)
void add_dashboard_routes(Routing& rt);  // the county dashboard, JSON and SVG charts
void add_subject_routes(Routing& rt);    // subjects lookup/search/match, duplicate review
void add_web_routes(Routing& rt);        // the cadre's web pages (routes_web.cc, gateway/web/)
void add_admin_page_routes(Routing& rt);  // the admin console's pages (routes_admin_pages.cc)
void add_security_routes(Routing& rt);    // users, audit, metrics, config, upstream hosts
                                          // (routes_security.cc)
void add_form_routes(
    Routing& rt);  // dictionary, forms, upstream forms, org units (routes_forms.cc)

}  // namespace yb::gateway
