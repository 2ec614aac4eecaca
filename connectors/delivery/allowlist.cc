#include "connectors/delivery/allowlist.h"

#include <algorithm>
#include <regex>

namespace yb::connectors {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Error not_allowed(const std::string& what) {
  return Error::make(ErrorKind::kForbidden, "upstream_host_not_allowed",
                     "上游地址 " + what + " 不在系统管理员允许的主机名单中，请联系系统管理员添加",
                     "The upstream " + what +
                         " is not on the system admin's allowlist of upstream hosts; ask the "
                         "system admin to add it");
}

constexpr int64_t kTtlMs = 2000;

void collect_urls(const nlohmann::json& j, const std::string& own_url,
                  std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if ((k == "url" || k == "token_url") && v.is_string()) {
        std::string u = v.get<std::string>();
        if (u.rfind("{url}", 0) == 0) u = own_url + u.substr(5);
        out.push_back(u);
      } else {
        collect_urls(v, own_url, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collect_urls(v, own_url, out);
  }
}

class Guarded : public HttpClient {
 public:
  Guarded(std::unique_ptr<HttpClient> inner, HostAllowlist& allow)
      : inner_(std::move(inner)), allow_(allow) {}
  HttpResponse send(const HttpRequest& req, const SendOptions& opts) override {
    if (auto st = allow_.check_url(req.url); !st) {
      HttpResponse r;
      r.error = "host not allowed: " + st.error().message.en;
      return r;
    }
    return inner_->send(req, opts);
  }

 private:
  std::unique_ptr<HttpClient> inner_;
  HostAllowlist& allow_;
};

}  // namespace

std::optional<UrlHost> url_host(const std::string& url) {
  const std::string l = lower(url);
  int def_port = 0;
  size_t start = 0;
  if (l.rfind("http://", 0) == 0) {
    def_port = 80;
    start = 7;
  } else if (l.rfind("https://", 0) == 0) {
    def_port = 443;
    start = 8;
  } else {
    return std::nullopt;
  }
  size_t end = l.find_first_of("/?#", start);
  std::string auth = l.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auth.empty() || auth.find('@') != std::string::npos || auth.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  UrlHost h;
  std::string port;
  if (auth[0] == '[') {
    auto close = auth.find(']');
    if (close == std::string::npos) return std::nullopt;
    h.host = auth.substr(1, close - 1);
    if (close + 1 < auth.size()) {
      if (auth[close + 1] != ':') return std::nullopt;
      port = auth.substr(close + 2);
    }
  } else {
    auto colon = auth.find(':');
    h.host = auth.substr(0, colon);
    if (colon != std::string::npos) port = auth.substr(colon + 1);
  }
  if (h.host.empty()) return std::nullopt;
  h.port = def_port;
  if (!port.empty() || (auth.back() == ':')) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    h.port = std::stoi(port);
    if (h.port < 1 || h.port > 65535) return std::nullopt;
  }
  return h;
}

std::optional<std::string> normalise_host_entry(const std::string& entry) {
  static const std::regex kEntry(
      R"(^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:[0-9]{1,5})?$)");
  std::string e = lower(entry);
  if (!std::regex_match(e, kEntry)) return std::nullopt;
  auto colon = e.rfind(':');
  if (colon != std::string::npos && e.find(']') != std::string::npos && colon < e.find(']')) {
    colon = std::string::npos;  // a colon inside the IPv6 brackets
  }
  if (colon != std::string::npos) {
    int port = std::stoi(e.substr(colon + 1));
    if (port < 1 || port > 65535) return std::nullopt;
  }
  return e;
}

Result<std::set<std::string>> HostAllowlist::load() {
  std::lock_guard lk(mu_);
  const int64_t now = clock_.now_ms();
  if (cache_ && now - loaded_at_ms_ < kTtlMs) return *cache_;
  auto hosts = db_.with_conn([&](db::Conn& c) -> Result<std::set<std::string>> {
    auto q = c.prepare("SELECT host FROM upstream_hosts");
    if (!q) return q.take_error();
    std::set<std::string> out;
    for (;;) {
      auto r = q->step();
      if (!r) return r.take_error();
      if (!*r) break;
      out.insert(q->get_text(0));
    }
    return out;
  });
  if (!hosts) return hosts.take_error();
  cache_ = *hosts;
  loaded_at_ms_ = now;
  return *hosts;
}

Status HostAllowlist::check_url(const std::string& url) {
  auto h = url_host(url);
  if (!h) return not_allowed(url.substr(0, 200));
  auto hosts = load();
  if (!hosts) return hosts.take_error();
  const bool v6 = h->host.find(':') != std::string::npos;
  const std::string bare = v6 ? "[" + h->host + "]" : h->host;
  if (hosts->count(bare) || hosts->count(bare + ":" + std::to_string(h->port))) {
    return ok_status();
  }
  return not_allowed(bare + ":" + std::to_string(h->port));
}

Status HostAllowlist::check_config(const nlohmann::json& config) {
  std::vector<std::string> urls;
  std::string own;
  if (config.is_object() && config.contains("url") && config["url"].is_string()) {
    own = config["url"].get<std::string>();
  }
  collect_urls(config, own, urls);
  for (const auto& u : urls) {
    // Not an http(s) URL at all: the type's own validation refuses it (422, with the other
    // problems of the config), and nothing can be sent to it.
    const std::string l = lower(u.substr(0, 8));
    if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0) continue;
    if (u.find('{') != std::string::npos && url_host(u.substr(0, u.find('{'))) == std::nullopt) {
      // A template whose host part is itself a placeholder: refuse, the host must be fixed.
      return not_allowed(u.substr(0, 200));
    }
    if (auto st = check_url(u); !st) return st;
  }
  return ok_status();
}

Result<std::vector<std::string>> HostAllowlist::list() {
  auto hosts = load();
  if (!hosts) return hosts.take_error();
  return std::vector<std::string>(hosts->begin(), hosts->end());
}

Status HostAllowlist::replace(const std::vector<std::string>& hosts, const std::string& by) {
  std::vector<FieldError> errs;
  std::set<std::string> norm;
  for (size_t i = 0; i < hosts.size(); ++i) {
    auto n = normalise_host_entry(hosts[i]);
    if (!n) {
      errs.push_back(
          {"hosts[" + std::to_string(i) + "]",
           "bad_host",
           {"不是有效的主机名或地址：" + hosts[i].substr(0, 100),
            "Not a host name or address (optionally :port): " + hosts[i].substr(0, 100)}});
    } else {
      norm.insert(*n);
    }
  }
  if (!errs.empty()) {
    Error e = Error::make(ErrorKind::kValidation, "invalid_hosts", "主机名单有误",
                          "The host list is not valid; see the details");
    e.details = std::move(errs);
    return e;
  }
  auto st = db_.with_conn([&](db::Conn& c) -> Status {
    if (auto s = c.begin(); !s) return s;
    auto d = c.prepare("DELETE FROM upstream_hosts");
    if (!d) return c.rollback(), d.take_error();
    if (auto s = d->run(); !s) return c.rollback(), s;
    auto q = c.prepare("INSERT INTO upstream_hosts (host, added_by, added_at) VALUES (?, ?, ?)");
    if (!q) return c.rollback(), q.take_error();
    for (const auto& h : norm) {
      q->bind(1, h).bind(2, by).bind(3, clock_.now_s());
      if (auto s = q->run(); !s) return c.rollback(), s;
      q->reset();
    }
    return c.commit();
  });
  std::lock_guard lk(mu_);
  cache_.reset();
  return st;
}

Status HostAllowlist::add(const std::string& host, const std::string& by) {
  auto n = normalise_host_entry(host);
  if (!n) {
    return Error::make(ErrorKind::kValidation, "invalid_hosts", "不是有效的主机名或地址：" + host,
                       "Not a host name or address: " + host);
  }
  auto st = db_.with_conn([&](db::Conn& c) -> Status {
    auto q = c.prepare(
        "INSERT INTO upstream_hosts (host, added_by, added_at) VALUES (?, ?, ?) ON CONFLICT "
        "(host) DO NOTHING");
    if (!q) return q.take_error();
    q->bind(1, *n).bind(2, by).bind(3, clock_.now_s());
    return q->run();
  });
  std::lock_guard lk(mu_);
  cache_.reset();
  return st;
}

std::unique_ptr<HttpClient> make_guarded_http_client(std::unique_ptr<HttpClient> inner,
                                                     HostAllowlist& allow) {
  return std::make_unique<Guarded>(std::move(inner), allow);
}

}  // namespace yb::connectors
