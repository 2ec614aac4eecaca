#include "tests/support/web_browser.h"

#include <doctest/doctest.h>

#include "gateway/web/pages.h"

namespace yb::test {

std::string form_body(const FormFields& kv) {
  std::string b;
  for (const auto& [k, v] : kv) {
    b += (b.empty() ? "" : "&") + gateway::web::url_encode(k) + "=" + gateway::web::url_encode(v);
  }
  return b;
}

std::string hidden(const std::string& html, const std::string& name) {
  std::string key = "name=\"" + name + "\" value=\"";
  auto p = html.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return html.substr(p, html.find('"', p) - p);
}

std::string set_cookie_line(const httplib::Result& r, const std::string& name) {
  for (size_t i = 0; i < r->get_header_value_count("Set-Cookie"); ++i) {
    std::string h = r->get_header_value("Set-Cookie", i);
    if (h.rfind(name + "=", 0) == 0) return h;
  }
  return "";
}

std::string cookie_value(const std::string& line) {
  auto eq = line.find('='), semi = line.find(';');
  return line.substr(eq + 1, semi - eq - 1);
}

httplib::Headers Browser::headers() const {
  httplib::Headers h = extra;
  std::string c;
  for (const auto& [k, v] : cookies) c += (c.empty() ? "" : "; ") + k + "=" + v;
  if (!c.empty()) h.emplace("Cookie", c);
  return h;
}

void Browser::keep(const httplib::Result& r) {
  for (size_t i = 0; i < r->get_header_value_count("Set-Cookie"); ++i) {
    std::string h = r->get_header_value("Set-Cookie", i);
    const std::string name = h.substr(0, h.find('='));
    if (h.find("Max-Age=0") != std::string::npos) {
      cookies.erase(name);
    } else {
      cookies[name] = cookie_value(h);
    }
  }
}

httplib::Result Browser::get(const std::string& path) {
  auto r = gw.client().Get(path, headers());
  REQUIRE(r);
  keep(r);
  return r;
}

httplib::Result Browser::post(const std::string& path, const std::string& body) {
  auto r = gw.client().Post(path, headers(), body, "application/x-www-form-urlencoded");
  REQUIRE(r);
  keep(r);
  return r;
}

httplib::Result Browser::submit(const std::string& path, FormFields kv) {
  kv.emplace_back("_csrf", csrf);
  return post(path, form_body(kv));
}

httplib::Result Browser::submit_multipart(const std::string& path, FormFields kv) {
  kv.emplace_back("_csrf", csrf);
  httplib::MultipartFormDataItems items;
  for (const auto& [k, v] : kv) items.push_back({k, v, "", ""});
  auto r = gw.client().Post(path, headers(), items);
  REQUIRE(r);
  keep(r);
  return r;
}

void Browser::login(const std::string& user, const std::string& password) {
  auto page = get("/");
  auto r = post("/login", form_body({{"_csrf", hidden(page->body, "_csrf")},
                                     {"username", user},
                                     {"password", password},
                                     {"next", "/home"}}));
  REQUIRE(r->status == 303);
  REQUIRE(cookies.count("yb_session"));
  csrf = hidden(get("/home")->body, "_csrf");
  REQUIRE(!csrf.empty());
}

}  // namespace yb::test
