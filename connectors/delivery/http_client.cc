// The real HttpClient over cpp-httplib (Debian's compiled 0.11 with OpenSSL).
//
// Connections: one pool per scheme://host:port plus TLS settings (a CA bundle is loaded once
// per httplib client, so clients with different bundles must not be shared). A pooled
// httplib::Client is used by one request at a time: send() takes one from the free list (or
// makes a new one), uses it without holding the lock, and gives it back after a clean
// exchange. Idle clients older than kMaxIdle are dropped, because upstreams close idle
// keep-alive connections (httplib's own server after 5 s).
//
// Thread-safety: send() may be called from any number of threads; the pools are guarded by
// one mutex held only to take or return a client.
#include <netdb.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <httplib.h>

#include "connectors/http.h"

namespace yb::connectors {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxResponseBody = 1 << 20;  // bytes kept; the rest is read and dropped
constexpr size_t kMaxIdlePerOrigin = 64;
constexpr auto kMaxIdle = std::chrono::seconds(2);
constexpr const char* kUserAgent = "yibiao-gateway";

bool is_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool has_ctl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// Headers the transport owns; a connector must not set them.
bool reserved_header(const std::string& name) {
  for (const char* h : {"host", "content-length", "transfer-encoding", "connection"})
    if (strcasecmp(name.c_str(), h) == 0) return true;
  return false;
}

bool valid_method(const std::string& m) {
  for (const char* x : {"GET", "POST", "PUT", "PATCH", "DELETE"})
    if (m == x) return true;
  return false;
}

void set_timeout(int ms, auto&& setter) {
  if (ms <= 0) ms = 1;
  setter(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
}

// httplib reports every failed connect as Error::Connection and loses the reason, so after
// one fails the reason is found with a second, diagnostic connect to the first address
// (bounded by the connect timeout, at most 1 s). Only on the failure path.
std::string diagnose_connect(const Url& u, int connect_timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(u.host.c_str(), std::to_string(u.port).c_str(), &hints, &res) != 0 || !res)
    return "cannot resolve host";
  int err = 0;
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
  } else {
    if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, std::clamp(connect_timeout_ms, 1, 1000));
        socklen_t len = sizeof err;
        if (n == 0)
          err = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
          err = errno;
      }
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  switch (err) {
    case ECONNREFUSED:
      return "connection refused";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    default:
      return "connection failed";
  }
}

class HttplibClient final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& req, const SendOptions& opts) override {
    const auto t0 = SteadyClock::now();
    HttpResponse out;
    try {
      send_impl(req, opts, out);
    } catch (const std::exception& e) {  // allocation failure and the like: never escape
      out = HttpResponse{};
      out.error = std::string("internal error: ") + e.what();
    } catch (...) {
      out = HttpResponse{};
      out.error = "internal error";
    }
    out.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
    return out;
  }

 private:
  struct Idle {
    std::unique_ptr<httplib::Client> cli;
    SteadyClock::time_point since;
  };

  static std::string pool_key(const Url& u, const TlsOptions& tls) {
    std::string k = u.scheme + "://" + u.host + ":" + std::to_string(u.port);
    if (u.scheme == "https") k += std::string(tls.verify ? "|v|" : "|n|") + tls.ca_bundle_path;
    return k;
  }

  // A client for this origin: an idle one (reused = true) or a new one.
  std::unique_ptr<httplib::Client> acquire(const std::string& key, const Url& u,
                                           const TlsOptions& tls, bool* reused) {
    std::vector<Idle> stale;  // closed outside the lock
    {
      std::lock_guard lock(mu_);
      auto it = pools_.find(key);
      if (it != pools_.end()) {
        auto& idle = it->second;
        const auto now = SteadyClock::now();
        while (!idle.empty()) {
          Idle c = std::move(idle.back());
          idle.pop_back();
          if (now - c.since <= kMaxIdle) {
            *reused = true;
            for (auto& s : stale) s.cli.reset();
            return std::move(c.cli);
          }
          stale.push_back(std::move(c));
        }
      }
    }
    *reused = false;
    const bool v6 = u.host.find(':') != std::string::npos;
    auto cli = std::make_unique<httplib::Client>(u.scheme + "://" + (v6 ? "[" : "") + u.host +
                                                 (v6 ? "]" : "") + ":" + std::to_string(u.port));
    cli->set_tcp_nodelay(true);  // Debian's build leaves Nagle on: ~40 ms per keep-alive request
    cli->set_keep_alive(true);
    cli->set_follow_location(false);
    if (u.scheme == "https") {
      cli->enable_server_certificate_verification(tls.verify);
      if (!tls.ca_bundle_path.empty()) cli->set_ca_cert_path(tls.ca_bundle_path);
    }
    return cli;
  }

  void release(const std::string& key, std::unique_ptr<httplib::Client> cli) {
    std::lock_guard lock(mu_);
    auto& idle = pools_[key];
    if (idle.size() < kMaxIdlePerOrigin) idle.push_back({std::move(cli), SteadyClock::now()});
  }

  void send_impl(const HttpRequest& in, const SendOptions& opts, HttpResponse& out) {
    auto url = parse_url(in.url);
    if (!url) {
      out.error = "invalid url";
      return;
    }
    if (url->scheme == "http" && !opts.tls.allow_plain_http) {
      out.error = "plain http not allowed";
      return;
    }
    if (!valid_method(in.method)) {
      out.error = "unsupported method";
      return;
    }

    httplib::Request hr;
    hr.method = in.method;
    hr.path = url->target;
    for (const auto& [k, v] : in.headers) {
      if (k.empty() || has_ctl(k) || has_ctl(v) || k.find(':') != std::string::npos) {
        out.error = "invalid header";
        return;
      }
      if (reserved_header(k)) continue;
      if (!in.content_type.empty() && strcasecmp(k.c_str(), "content-type") == 0) continue;
      hr.headers.emplace(k, v);
    }
    if (!in.content_type.empty()) {
      if (has_ctl(in.content_type)) {
        out.error = "invalid header";
        return;
      }
      hr.headers.emplace("Content-Type", in.content_type);
    }
    if (!hr.has_header("User-Agent")) hr.headers.emplace("User-Agent", kUserAgent);
    hr.body = in.body;

    // A request is safe to resend on a fresh connection when the kept-alive one turned out
    // to be closed by the upstream: the method is idempotent or the request carries an
    // idempotency key (as Go's net/http does).
    const bool replayable = in.method == "GET" || in.method == "PUT" || in.method == "DELETE" ||
                            hr.has_header("Idempotency-Key");

    const std::string key = pool_key(*url, opts.tls);
    for (int round = 0; round < 2; ++round) {
      bool reused = false;
      auto cli = acquire(key, *url, opts.tls, &reused);
      set_timeout(opts.connect_timeout_ms,
                  [&](time_t s, time_t us) { cli->set_connection_timeout(s, us); });
      set_timeout(opts.read_timeout_ms, [&](time_t s, time_t us) { cli->set_read_timeout(s, us); });
      set_timeout(opts.read_timeout_ms,
                  [&](time_t s, time_t us) { cli->set_write_timeout(s, us); });

      std::string body;
      hr.content_receiver = [&body](const char* data, size_t len, uint64_t, uint64_t) {
        if (body.size() < kMaxResponseBody)
          body.append(data, std::min(len, kMaxResponseBody - body.size()));
        return true;
      };
      httplib::Response res;
      httplib::Error err = httplib::Error::Success;
      const auto round_t0 = SteadyClock::now();
      const bool ok = cli->send(hr, res, err);
      const int64_t round_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - round_t0)
              .count();
      if (ok && err == httplib::Error::Success) {
        out.status = res.status;
        for (const auto& [k, v] : res.headers) out.headers.emplace_back(k, v);
        out.body = std::move(body);
        release(key, std::move(cli));
        return;
      }
      const bool read_timeout =
          err == httplib::Error::Read && round_ms + 10 >= opts.read_timeout_ms;
      if (reused && replayable && !read_timeout &&
          (err == httplib::Error::Read || err == httplib::Error::Write))
        continue;  // stale keep-alive connection: once more on a new one
      describe_error(err, read_timeout, out);
      if (err == httplib::Error::Connection)
        out.error = diagnose_connect(*url, opts.connect_timeout_ms);
      return;
    }
  }

  static void describe_error(httplib::Error err, bool read_timeout, HttpResponse& out) {
    switch (err) {
      case httplib::Error::Connection:
        out.error = "connection failed";  // refined by diagnose_connect()
        break;
      case httplib::Error::ConnectionTimeout:
        out.error = "connect timeout";
        out.timed_out = true;
        break;
      case httplib::Error::Read:
        if (read_timeout) {
          out.error = "timeout";
          out.timed_out = true;
        } else {
          out.error = "connection closed without a response";
        }
        break;
      case httplib::Error::Write:
        out.error = "write failed";
        break;
      case httplib::Error::SSLConnection:
        out.error = "tls: handshake failed";
        break;
      case httplib::Error::SSLLoadingCerts:
        out.error = "tls: cannot load the CA bundle";
        break;
      case httplib::Error::SSLServerVerification:
        out.error = "tls: certificate verification failed";
        break;
      case httplib::Error::Compression:
        out.error = "bad compressed response";
        break;
      default:
        out.error = "transport error: " + httplib::to_string(err);
        break;
    }
  }

  std::mutex mu_;
  std::unordered_map<std::string, std::vector<Idle>> pools_;  // GUARDED_BY(mu_)
};

}  // namespace

std::optional<Url> parse_url(const std::string& url) {
  Url u;
  const auto sep = url.find("://");
  if (sep == std::string::npos) return std::nullopt;
  for (size_t i = 0; i < sep; ++i)
    u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  if (has_ctl(url) || url.find(' ') != std::string::npos) return std::nullopt;
  std::string rest = url.substr(sep + 3);
  if (auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  const auto path_at = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_at);
  u.target = path_at == std::string::npos ? "/" : rest.substr(path_at);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos) return std::nullopt;
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (u.host.empty()) return std::nullopt;
  if (port.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    if (!is_digits(port) || port.size() > 5) return std::nullopt;
    u.port = std::stoi(port);
    if (u.port < 1 || u.port > 65535) return std::nullopt;
  }
  return u;
}

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

std::unique_ptr<HttpClient> make_http_client() { return std::make_unique<HttplibClient>(); }

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace yb::connectors
