// What the cadre pages (routes_web.cc) and the admin pages (routes_admin_pages.cc) share:
// cookies, the cookie session and its CSRF token, the Content-Security-Policy and the headers
// every page carries. Internal to gateway/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <httplib.h>

#include "admin/accounts.h"

namespace yb::gateway::web {

inline constexpr const char* kSessionCookie = "yb_session";
inline constexpr const char* kPreCookie = "yb_pre";  // login form CSRF (double submit)
inline constexpr const char* kLangCookie = "yb_lang";
inline constexpr const char* kElderCookie = "yb_elder";

// No inline script or style anywhere: every page loads /static/app.js and /static/app.css.
inline constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// Demo mode: <script> elements may also be inline (injected tools); attributes still may not.
inline constexpr const char* kDemoCsp =
    "default-src 'none'; script-src 'self'; script-src-elem 'self' 'unsafe-inline'; "
    "script-src-attr 'none'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// The value of cookie `name` in the request, or "".
std::string cookie(const httplib::Request& req, const std::string& name);
// Served behind a TLS-terminating proxy, the session cookie is marked Secure.
bool over_tls(const httplib::Request& req);
void set_cookie(httplib::Response& res, const httplib::Request& req, const std::string& name,
                const std::string& value, int64_t max_age_s, bool http_only = true);
// Only paths on this site ("/x", never "//host" or "/\host"); otherwise `fallback`.
std::string local_path(const std::string& p, const std::string& fallback);
// The CSRF token that goes with a session token.
std::string csrf_for(const std::string& token);

// CSP, nosniff, no referrer, no framing.
void security_headers(httplib::Response& res, const char* csp);
void send_html(httplib::Response& res, const char* csp, int status, const std::string& html);
void redirect(httplib::Response& res, const char* csp, const std::string& to);

// The cookie session: who is logged in, and the CSRF token their forms must carry.
struct Session {
  admin::User user;
  std::string token, csrf;
};
std::optional<Session> session(admin::Accounts& accounts, const httplib::Request& req);

}  // namespace yb::gateway::web
