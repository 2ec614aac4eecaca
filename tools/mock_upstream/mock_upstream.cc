// The mock upstream's recorder, script and control API. See mock_upstream.h.
#include "tools/mock_upstream/mock_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include <httplib.h>

#include "connectors/delivery/signing.h"
#include "core/markup.h"

namespace yb::mock {

namespace {

constexpr size_t kDemoPageRecords = 50;

std::string dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

void send_json(httplib::Response& res, int status, const Json& j) {
  res.status = status;
  res.set_content(dump(j), "application/json; charset=utf-8");
}

// "civil_affairs" for "/civil_affairs", "api_v1_x" for "/api/v1/x", "root" for "/".
std::string path_tag(const std::string& path) {
  std::string t;
  for (char c : path) {
    if (c == '/') {
      if (!t.empty() && t.back() != '_') t += '_';
    } else {
      t += c;
    }
  }
  while (!t.empty() && t.back() == '_') t.pop_back();
  if (!t.empty() && t.front() == '_') t.erase(0, 1);
  return t.empty() ? "root" : t;
}

uint16_t sock_port(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

// Shuts down the server side of this request's connection, so the client sees it closed
// without any answer. httplib does not expose the socket, so it is found among this process's
// descriptors by its (local port, peer port) pair, which identifies one server-side socket.
void drop_connection(const httplib::Request& req) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(e.path().filename().string());
    } catch (...) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0)
      continue;
    if (sock_port(local) == req.local_port && sock_port(peer) == req.remote_port) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

std::string iso_time(int64_t ms) {
  const std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

MockUpstream::MockUpstream(Options opts) : opts_(std::move(opts)) {}

bool MockUpstream::open_log(std::string* err) {
  if (opts_.log_path.empty()) return true;
  std::lock_guard lock(mu_);
  log_.open(opts_.log_path, std::ios::app);
  if (!log_) {
    *err = "cannot open log file " + opts_.log_path;
    return false;
  }
  return true;
}

bool MockUpstream::parse_script(const Json& j, Script& out, std::string* err) {
  if (!j.is_object()) {
    *err = "the script must be a JSON object";
    return false;
  }
  for (const auto& [key, val] : j.items()) {
    if (key == "secrets") {
      if (!val.is_object()) {
        *err = "\"secrets\" must map paths to whsec_ secrets";
        return false;
      }
      for (const auto& [p, s] : val.items()) {
        if (!s.is_string()) {
          *err = "secrets." + p + " must be a string";
          return false;
        }
        out.secrets[p.starts_with("/") ? p : "/" + p] = s.get<std::string>();
      }
      continue;
    }
    if (key == "reject_bad_signature") {
      if (!val.is_boolean()) {
        *err = "\"reject_bad_signature\" must be true or false";
        return false;
      }
      out.reject_bad_signature = val.get<bool>();
      continue;
    }
    if (key != "*" && !key.starts_with("/")) {
      *err = "script key \"" + key + "\" is neither a path (starting with /) nor \"*\"";
      return false;
    }
    const Json list = val.is_array() ? val : Json::array({val});
    if (list.empty()) {
      *err = key + ": the list of answers is empty";
      return false;
    }
    std::vector<Answer> answers;
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& a = list[i];
      const std::string where = key + "[" + std::to_string(i) + "]";
      if (!a.is_object()) {
        *err = where + ": an answer must be an object";
        return false;
      }
      Answer ans;
      for (const auto& [k, v] : a.items()) {
        if (k == "status" && v.is_number_integer() && v.get<int>() >= 100 && v.get<int>() <= 599) {
          ans.status = v.get<int>();
        } else if (k == "delay_ms" && v.is_number() && v.get<double>() >= 0) {
          ans.delay_ms = static_cast<int64_t>(v.get<double>());
        } else if (k == "delay" && v.is_number() && v.get<double>() >= 0) {  // seconds
          ans.delay_ms = static_cast<int64_t>(v.get<double>() * 1000);
        } else if (k == "body") {
          ans.body = v;
        } else if (k == "close" && v.is_boolean()) {
          ans.close = v.get<bool>();
        } else if (k == "headers" && v.is_object()) {
          for (const auto& [hk, hv] : v.items()) {
            if (!hv.is_string() && !hv.is_number()) {
              *err = where + ".headers." + hk + " must be a string";
              return false;
            }
            ans.headers[hk] = hv.is_string() ? hv.get<std::string>() : dump(hv);
          }
        } else {
          *err = where + ": bad or unknown key \"" + k +
                 "\" (status 100-599, delay_ms, delay, body, headers, close)";
          return false;
        }
      }
      answers.push_back(std::move(ans));
    }
    out.paths[key] = std::move(answers);
  }
  return true;
}

bool MockUpstream::set_script(const Json& script, std::string* err) {
  Script s;
  if (!parse_script(script, s, err)) return false;
  std::lock_guard lock(mu_);
  script_ = std::move(s);
  turns_.clear();
  return true;
}

void MockUpstream::reset() {
  std::lock_guard lock(mu_);
  turns_.clear();
  seen_.clear();
  stats_.clear();
  records_.clear();
  seq_ = 0;
}

// nullopt when no secret applies to the path; otherwise whether a v1 signature matches.
// REQUIRES: mu_ held (reads script_).
std::optional<bool> MockUpstream::check_signature(const std::string& path,
                                                  const httplib::Request& req) {
  std::string secret = opts_.secret;
  if (auto it = opts_.secrets.find(path); it != opts_.secrets.end()) secret = it->second;
  if (auto it = script_.secrets.find(path); it != script_.secrets.end()) secret = it->second;
  if (secret.empty()) return std::nullopt;
  const std::string id = req.get_header_value("webhook-id");
  const std::string ts = req.get_header_value("webhook-timestamp");
  const std::string sigs = req.get_header_value("webhook-signature");
  if (id.empty() || ts.empty() || sigs.empty() || ts.size() > 18 ||
      ts.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto expected = connectors::webhook_signature(secret, id, std::stoll(ts), req.body);
  if (!expected) return false;
  size_t pos = 0;
  while (pos < sigs.size()) {
    size_t end = sigs.find(' ', pos);
    if (end == std::string::npos) end = sigs.size();
    if (sigs.compare(pos, end - pos, *expected) == 0) return true;
    pos = end + 1;
  }
  return false;
}

void MockUpstream::handle(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path.starts_with("/_mock/")) {
    send_json(res, 404, {{"error", "unknown control endpoint"}});
    return;
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Answer ans;
  std::optional<bool> sig_ok;
  int64_t n = 0;
  {
    std::lock_guard lock(mu_);
    const int64_t turn = turns_[path]++;
    n = ++seen_[path];
    const int64_t seq = ++seq_;
    sig_ok = check_signature(path, req);
    auto it = script_.paths.find(path);
    if (it == script_.paths.end()) it = script_.paths.find("*");
    if (it != script_.paths.end())
      ans = it->second[std::min<size_t>(static_cast<size_t>(turn), it->second.size() - 1)];
    const bool rejected = script_.reject_bad_signature && sig_ok == false;
    if (rejected)
      ans = Answer{401, 0, Json{{"code", 401}, {"message", "bad signature"}}, {}, false};

    Json headers = Json::object();
    for (const auto& [k, v] : req.headers) {
      if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
        continue;  // added by httplib, not sent by the client
      if (headers.contains(k))
        headers[k] = headers[k].get<std::string>() + ", " + v;
      else
        headers[k] = v;
    }
    const auto q = req.target.find('?');
    Json rec = {{"seq", seq},
                {"method", req.method},
                {"path", path},
                {"query", q == std::string::npos ? "" : req.target.substr(q + 1)},
                {"headers", std::move(headers)},
                {"body", req.body},
                {"at", static_cast<double>(now_ms) / 1000.0},
                {"signature_valid", sig_ok ? Json(*sig_ok) : Json(nullptr)},
                {"status", ans.close ? 0 : ans.status}};
    std::string system;
    if (opts_.demo) {
      for (const auto& s : kDemoSystems)
        if (path == s.path || path.starts_with(std::string(s.path) + "/")) system = s.path + 1;
      if (!system.empty()) rec["system"] = system;
    }
    std::string line = dump(rec);
    if (log_.is_open()) {
      log_ << line << '\n';
      log_.flush();
    }
    ++stats_[path][ans.close ? 0 : ans.status];
    records_.push_back(Record{path, std::move(system), std::move(line)});
    while (records_.size() > std::max<size_t>(opts_.max_records, 1)) records_.pop_front();
  }

  if (ans.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ans.delay_ms));
  if (ans.close) {
    drop_connection(req);
    return;
  }
  res.status = ans.status;
  std::string content_type = "application/json; charset=utf-8";
  for (const auto& [k, v] : ans.headers) {
    if (strcasecmp(k.c_str(), "Content-Type") == 0)
      content_type = v;
    else
      res.set_header(k, v);
  }
  const bool ok = ans.status >= 200 && ans.status <= 299;
  if (ans.body) {
    res.set_content(ans.body->is_string() ? ans.body->get<std::string>() : dump(*ans.body),
                    content_type);
    return;
  }
  if (ok) {
    const std::string id = path_tag(path) + "-" + std::to_string(n);
    if (req.method == "POST" && !res.has_header("Location"))
      res.set_header("Location", path + "/" + id);
    res.set_content(dump({{"code", 0}, {"data", {{"id", id}}}}), content_type);
  } else {
    res.set_content(
        dump({{"code", ans.status},
              {"message", "mock upstream: scripted HTTP " + std::to_string(ans.status)}}),
        content_type);
  }
}

Json MockUpstream::requests_json(const std::string& path_filter) {
  std::lock_guard lock(mu_);
  Json out = Json::array();
  for (const auto& r : records_)
    if (path_filter.empty() || r.path == path_filter) out.push_back(Json::parse(r.json));
  return out;
}

Json MockUpstream::stats_json() {
  std::lock_guard lock(mu_);
  Json paths = Json::object();
  int64_t total = 0;
  for (const auto& [p, by_status] : stats_) {
    Json st = Json::object();
    int64_t n = 0;
    for (const auto& [s, c] : by_status) {
      st[std::to_string(s)] = c;
      n += c;
    }
    total += n;
    paths[p] = {{"requests", n}, {"statuses", st}};
  }
  return {{"total", total}, {"paths", paths}};
}

std::string MockUpstream::demo_page() {
  std::map<std::string, std::vector<Json>> by_system;
  {
    std::lock_guard lock(mu_);
    for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
      if (it->system.empty()) continue;
      auto& v = by_system[it->system];
      if (v.size() < kDemoPageRecords) v.push_back(Json::parse(it->json));
    }
  }
  std::string h =
      "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"5\">"
      "<title>模拟上游系统 · Mock upstream systems</title><style>"
      "body{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem}"
      "section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
      "pre{background:#f5f5f5;padding:.5rem;overflow-x:auto;white-space:pre-wrap}"
      ".ok{color:#176b2c}.bad{color:#b00020}small{color:#555}</style></head><body>"
      "<h1>模拟上游系统 <small>Mock upstream systems</small></h1>"
      "<p>每个系统收到的最近 50 条请求（每 5 秒刷新）。 The last 50 requests each system "
      "received (refreshes every 5 s).</p>";
  for (const auto& s : kDemoSystems) {
    const std::string sys = s.path + 1;
    const auto& recs = by_system[sys];
    h += "<section><h2>" + xml_escape(s.name_zh) + " <small>" + xml_escape(s.name_en) + " · " +
         xml_escape(s.path) + "</small></h2>";
    if (recs.empty()) h += "<p><small>暂无请求 · nothing received yet</small></p>";
    for (const auto& r : recs) {
      const Json& sv = r["signature_valid"];
      std::string sig = sv.is_null()     ? "<small>未配置签名 · no secret</small>"
                        : sv.get<bool>() ? "<span class=\"ok\">签名有效 · signature valid</span>"
                                         : "<span class=\"bad\">签名无效 · bad signature</span>";
      std::string body = r["body"].get<std::string>();
      const Json parsed = Json::parse(body, nullptr, false);
      if (!parsed.is_discarded()) body = dump(parsed, 2);
      const auto at_ms = static_cast<int64_t>(r["at"].get<double>() * 1000);
      const Json& hdr = r["headers"];
      std::string id;
      for (const auto& [k, v] : hdr.items())
        if (strcasecmp(k.c_str(), "webhook-id") == 0) id = v.get<std::string>();
      h += "<h3>" + xml_escape(r["method"].get<std::string>()) + " " +
           xml_escape(r["path"].get<std::string>()) + " → " +
           std::to_string(r["status"].get<int>()) + " <small>" + xml_escape(iso_time(at_ms)) +
           (id.empty() ? "" : " · " + xml_escape(id)) + "</small> " + sig + "</h3><pre>" +
           xml_escape(body) + "</pre>";
    }
    h += "</section>";
  }
  h += "</body></html>";
  return h;
}

void MockUpstream::install(httplib::Server& srv) {
  // Every handler catches: nothing escapes into httplib's threads.
  auto guard = [](auto fn) {
    return [fn](const httplib::Request& req, httplib::Response& res) {
      try {
        fn(req, res);
      } catch (const std::exception& e) {
        send_json(res, 500, {{"error", std::string("mock upstream: ") + e.what()}});
      }
    };
  };
  srv.Get("/_mock/requests", guard([this](const httplib::Request& req, httplib::Response& res) {
            send_json(res, 200, requests_json(req.get_param_value("path")));
          }));
  srv.Get("/_mock/stats", guard([this](const httplib::Request&, httplib::Response& res) {
            send_json(res, 200, stats_json());
          }));
  srv.Post("/_mock/reset", guard([this](const httplib::Request&, httplib::Response& res) {
             reset();
             send_json(res, 200, {{"ok", true}});
           }));
  srv.Post("/_mock/script", guard([this](const httplib::Request& req, httplib::Response& res) {
             const Json j = Json::parse(req.body, nullptr, false);
             std::string err;
             if (j.is_discarded()) err = "the body is not JSON";
             if (err.empty() && set_script(j, &err)) {
               send_json(res, 200, {{"ok", true}});
             } else {
               send_json(res, 400, {{"error", err}});
             }
           }));
  if (opts_.demo) {
    srv.Get("/", guard([this](const httplib::Request&, httplib::Response& res) {
              res.set_content(demo_page(), "text/html; charset=utf-8");
            }));
  }
  auto any =
      guard([this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  srv.Get(".*", any);
  srv.Post(".*", any);
  srv.Put(".*", any);
  srv.Patch(".*", any);
  srv.Delete(".*", any);
  srv.Options(".*", any);
}

}  // namespace yb::mock
