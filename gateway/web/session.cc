#include "gateway/web/session.h"

#include "core/crypto.h"

namespace yb::gateway::web {

std::string cookie(const httplib::Request& req, const std::string& name) {
  const std::string h = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < h.size()) {
    size_t end = h.find(';', pos);
    if (end == std::string::npos) end = h.size();
    std::string part = h.substr(pos, end - pos);
    size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
        part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    pos = end + 1;
  }
  return "";
}

bool over_tls(const httplib::Request& req) {
  return req.get_header_value("X-Forwarded-Proto") == "https";
}

void set_cookie(httplib::Response& res, const httplib::Request& req, const std::string& name,
                const std::string& value, int64_t max_age_s, bool http_only) {
  std::string c = name + "=" + value + "; Path=/; SameSite=Strict";
  if (max_age_s >= 0) c += "; Max-Age=" + std::to_string(max_age_s);
  if (http_only) c += "; HttpOnly";
  if (over_tls(req)) c += "; Secure";
  res.set_header("Set-Cookie", c);
}

std::string local_path(const std::string& p, const std::string& fallback) {
  if (p.size() < 1 || p.size() > 512 || p[0] != '/') return fallback;
  if (p.size() > 1 && (p[1] == '/' || p[1] == '\\')) return fallback;
  for (unsigned char c : p) {
    if (c < 0x20 || c == 0x7f) return fallback;
  }
  return p;
}

std::string csrf_for(const std::string& token) {
  return crypto::sha256_hex("yb-web-csrf:" + token).substr(0, 32);
}

void security_headers(httplib::Response& res, const char* csp) {
  res.set_header("Content-Security-Policy", csp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
}

void send_html(httplib::Response& res, const char* csp, int status, const std::string& html) {
  res.status = status;
  security_headers(res, csp);
  res.set_header("Cache-Control", "no-store");
  res.set_content(html, "text/html; charset=utf-8");
}

void redirect(httplib::Response& res, const char* csp, const std::string& to) {
  res.status = 303;
  security_headers(res, csp);
  res.set_header("Location", to);
  res.set_header("Cache-Control", "no-store");
}

std::optional<Session> session(admin::Accounts& accounts, const httplib::Request& req) {
  std::string token = cookie(req, kSessionCookie);
  if (token.empty()) return std::nullopt;
  auto u = accounts.authenticate(token);
  if (!u) return std::nullopt;
  return Session{*u, token, csrf_for(token)};
}

}  // namespace yb::gateway::web
