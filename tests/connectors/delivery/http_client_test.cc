// The real HTTP client against real local servers: requests arrive intact, keep-alive reuse,
// timeouts, refused connections, plain-HTTP refusal, and TLS verification with a CA bundle.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "connectors/http.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace yb::connectors {
namespace {

SendOptions plain(int read_timeout_ms = 5000) {
  SendOptions o;
  o.tls.allow_plain_http = true;
  o.read_timeout_ms = read_timeout_ms;
  o.connect_timeout_ms = 2000;
  return o;
}

// A loopback port with nothing listening on it.
int closed_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("parse_url") {
  auto u = parse_url("https://Example.org:8443/a/b?x=1&y=2#frag");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "Example.org");
  CHECK(u->port == 8443);
  CHECK(u->target == "/a/b?x=1&y=2");
  auto d = parse_url("HTTP://10.0.0.1");
  REQUIRE(d);
  CHECK(d->scheme == "http");
  CHECK(d->port == 80);
  CHECK(d->target == "/");
  CHECK(parse_url("https://h?q=1")->target == "/?q=1");
  CHECK(parse_url("https://h")->port == 443);
  auto v6 = parse_url("http://[::1]:9000/p");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
  for (const char* bad :
       {"", "ftp://h/", "h/path", "https:///p", "https://h:/", "https://h:0/", "https://h:70000/",
        "https://h:8x/", "https://user:pw@h/", "https://h/a b", "https://[::1/"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_url(bad));
  }
}

TEST_CASE("a POST arrives with body and headers; the answer comes back") {
  std::mutex mu;
  httplib::Request seen;
  test::TestServer srv([&](httplib::Server& s) {
    s.Post("/in", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        seen = req;
      }
      res.status = 201;
      res.set_header("Location", "/in/42");
      res.set_content(R"({"id":42})", "application/json");
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/in?src=yb");
  req.body = R"({"xm":"张三"})";
  req.content_type = "application/json; charset=utf-8";
  req.headers = {{"Idempotency-Key", "msg_abc"}, {"X-Custom", "v"}};
  auto resp = client->send(req, plain());
  CHECK(resp.error == "");
  CHECK(resp.status == 201);
  CHECK(resp.body == R"({"id":42})");
  CHECK(resp.header("location") == "/in/42");
  CHECK(resp.header("LOCATION") == "/in/42");
  CHECK(resp.header("x-missing") == "");
  CHECK(resp.duration_ms >= 0);
  std::lock_guard lock(mu);
  CHECK(seen.method == "POST");
  CHECK(seen.body == R"({"xm":"张三"})");
  CHECK(seen.get_header_value("Content-Type") == "application/json; charset=utf-8");
  CHECK(seen.get_header_value("Idempotency-Key") == "msg_abc");
  CHECK(seen.get_header_value("X-Custom") == "v");
  CHECK(seen.get_param_value("src") == "yb");
}

TEST_CASE("PUT and PATCH are sent as such; bad methods and headers are refused") {
  std::atomic<int> puts{0}, patches{0};
  test::TestServer srv([&](httplib::Server& s) {
    s.Put("/r/1", [&](const httplib::Request&, httplib::Response& res) {
      ++puts;
      res.status = 204;
    });
    s.Patch("/r/1", [&](const httplib::Request&, httplib::Response& res) {
      ++patches;
      res.status = 200;
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/r/1");
  req.body = "{}";
  req.method = "PUT";
  CHECK(client->send(req, plain()).status == 204);
  req.method = "PATCH";
  CHECK(client->send(req, plain()).status == 200);
  CHECK(puts == 1);
  CHECK(patches == 1);
  req.method = "BREW";
  CHECK(client->send(req, plain()).error == "unsupported method");
  req.method = "POST";
  req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  CHECK(client->send(req, plain()).error == "invalid header");
  req.url = "not a url";
  req.headers.clear();
  CHECK(client->send(req, plain()).error == "invalid url");
}

TEST_CASE("keep-alive: sequential requests reuse one connection") {
  std::mutex mu;
  std::set<int> ports;
  int count = 0;
  test::TestServer srv([&](httplib::Server& s) {
    s.Post("/k", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      ports.insert(req.remote_port);
      ++count;
      res.set_content("ok", "text/plain");
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/k");
  req.body = "x";
  for (int i = 0; i < 20; ++i) REQUIRE(client->send(req, plain()).status == 200);
  std::lock_guard lock(mu);
  CHECK(count == 20);
  CHECK(ports.size() == 1);
}

TEST_CASE("a keep-alive connection the upstream closed while idle is replaced") {
  std::atomic<int> count{0};
  test::TestServer srv([&](httplib::Server& s) {
    s.set_keep_alive_timeout(1);
    s.Post("/idle", [&](const httplib::Request&, httplib::Response& res) {
      ++count;
      res.set_content("ok", "text/plain");
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/idle");
  req.body = "x";
  REQUIRE(client->send(req, plain()).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the server hangs up
  auto again = client->send(req, plain());
  CHECK(again.error == "");
  CHECK(again.status == 200);
  CHECK(count == 2);
}

TEST_CASE("concurrent senders share the client safely, with a bounded number of connections") {
  std::mutex mu;
  std::set<int> ports;
  std::atomic<int> count{0};
  test::TestServer srv([&](httplib::Server& s) {
    s.Post("/c", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        ports.insert(req.remote_port);
      }
      ++count;
      res.set_content(req.body, "text/plain");
    });
  });
  auto client = make_http_client();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        HttpRequest req;
        req.url = srv.url("http", "/c");
        req.body = std::to_string(t) + "-" + std::to_string(i);
        auto r = client->send(req, plain());
        if (r.status == 200 && r.body == req.body) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 200);
  CHECK(count == 200);
  std::lock_guard lock(mu);
  CHECK(ports.size() <= 4);
}

TEST_CASE("a slow answer is reported as a timeout") {
  test::TestServer srv([&](httplib::Server& s) {
    s.Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      res.set_content("late", "text/plain");
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/slow");
  req.body = "{}";
  auto resp = client->send(req, plain(200));
  CHECK(resp.status == 0);
  CHECK(resp.timed_out);
  CHECK(resp.error == "timeout");
  CHECK(resp.duration_ms >= 190);
  CHECK(resp.duration_ms < 650);
}

TEST_CASE("a closed port is reported as connection refused") {
  auto client = make_http_client();
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  req.body = "{}";
  auto resp = client->send(req, plain());
  CHECK(resp.status == 0);
  CHECK_FALSE(resp.timed_out);
  CHECK(resp.error == "connection refused");
}

TEST_CASE("plain http is refused unless allowed") {
  std::atomic<int> hits{0};
  test::TestServer srv([&](httplib::Server& s) {
    s.Post("/p", [&](const httplib::Request&, httplib::Response& res) {
      ++hits;
      res.status = 200;
    });
  });
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("http", "/p");
  req.body = "{}";
  auto refused = client->send(req, SendOptions{});
  CHECK(refused.status == 0);
  CHECK(refused.error == "plain http not allowed");
  CHECK(hits == 0);
  CHECK(client->send(req, plain()).status == 200);
  CHECK(hits == 1);
}

TEST_CASE("https: self-signed certificate refused by default, accepted with its CA bundle") {
  test::TempDir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -days 1 -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl CLI needed (Debian package openssl)");
  auto ssl = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  REQUIRE(ssl->is_valid());
  test::TestServer srv(
      [&](httplib::Server& s) {
        s.Post("/tls", [&](const httplib::Request& req, httplib::Response& res) {
          res.set_content("secure:" + req.body, "text/plain");
        });
      },
      std::move(ssl));
  auto client = make_http_client();
  HttpRequest req;
  req.url = srv.url("https", "/tls");
  req.body = "hi";

  SendOptions def;  // verify on, system store
  auto bad = client->send(req, def);
  CHECK(bad.status == 0);
  CHECK(bad.error.starts_with("tls: "));

  SendOptions with_ca;
  with_ca.tls.ca_bundle_path = cert;
  auto good = client->send(req, with_ca);
  CHECK(good.error == "");
  CHECK(good.status == 200);
  CHECK(good.body == "secure:hi");
  // Keep-alive over TLS too, and the earlier failure did not poison the pool.
  CHECK(client->send(req, with_ca).status == 200);

  // The host name is verified too: a server on 127.0.0.1 showing a certificate issued for
  // another name is refused even though that certificate is trusted. (No DNS involved, so the
  // test does not depend on how "localhost" resolves on the machine.)
  const std::string other_cert = dir.file("other.pem"), other_key = dir.file("other-key.pem");
  const std::string other_cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=upstream.example "
      "-addext subjectAltName=DNS:upstream.example -days 1 -keyout '" +
      other_key + "' -out '" + other_cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(other_cmd.c_str()) == 0);
  auto other_ssl = std::make_unique<httplib::SSLServer>(other_cert.c_str(), other_key.c_str());
  REQUIRE(other_ssl->is_valid());
  test::TestServer other(
      [&](httplib::Server& s) {
        s.Post("/tls", [&](const httplib::Request&, httplib::Response& res) {
          res.set_content("should not be reached", "text/plain");
        });
      },
      std::move(other_ssl));
  HttpRequest by_ip = req;
  by_ip.url = other.url("https", "/tls");
  SendOptions trusts_other;
  trusts_other.tls.ca_bundle_path = other_cert;
  auto wrong_name = client->send(by_ip, trusts_other);
  CHECK(wrong_name.status == 0);
  CHECK(wrong_name.error.starts_with("tls: "));

  SendOptions missing_ca;
  missing_ca.tls.ca_bundle_path = dir.file("nope.pem");
  auto nope = client->send(req, missing_ca);
  CHECK(nope.status == 0);
  CHECK(nope.error.starts_with("tls: "));

  SendOptions no_verify;
  no_verify.tls.verify = false;
  CHECK(client->send(req, no_verify).status == 200);
}

}  // namespace yb::connectors
