// A browser without JavaScript for page tests: keeps its cookies, posts forms url-encoded or as
// multipart/form-data, logs in through the login page. Plus the small HTML and cookie helpers
// the page tests share.
#pragma once

#include <httplib.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_gateway.h"

namespace yb::test {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded
std::string form_body(const FormFields& kv);
// The value of the first hidden (or other) input named `name` in a page ("" when absent).
std::string hidden(const std::string& html, const std::string& name);
// The Set-Cookie header line setting `name` ("" when none), and the value in such a line.
std::string set_cookie_line(const httplib::Result& r, const std::string& name);
std::string cookie_value(const std::string& line);

struct Browser {
  const TestGateway& gw;
  std::map<std::string, std::string> cookies;
  httplib::Headers extra;  // sent with every request (e.g. X-Forwarded-Proto)
  std::string csrf;        // the session's CSRF token, after login()

  httplib::Headers headers() const;
  void keep(const httplib::Result& r);  // takes the cookies set (and drops those expired)
  httplib::Result get(const std::string& path);
  httplib::Result post(const std::string& path, const std::string& body);
  // A form post with this session's CSRF token, url-encoded or as multipart/form-data (as the
  // admin pages send their large texts).
  httplib::Result submit(const std::string& path, FormFields kv = {});
  httplib::Result submit_multipart(const std::string& path, FormFields kv);
  // Logs in through the login page (REQUIREs success) and keeps the session's CSRF token.
  void login(const std::string& user = "cadre1", const std::string& password = kDemoPassword);
};

}  // namespace yb::test
