// The gateway's connection loop (gateway/http_server.h) over real loopback sockets: an answer
// leaves only when flushed and then whole; keep-alive, pipelined requests, "Expect:
// 100-continue", large and streamed bodies, the keep-alive request limit, "Connection: close",
// malformed requests, peers that stall while sending or stop reading, and stop() with idle
// connections open; and the worker pool its connections are served from.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/threads.h"
#include "gateway/http_server.h"

using yb::gateway::ConnectionStream;
using yb::gateway::HttpServer;

namespace {

int connect_local(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{5, 0};  // a broken server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_text(int fd, const std::string& s) {
  REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

// Reads until the peer closes (or 5 s pass without data).
std::string read_to_close(int fd) {
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    all.append(buf, static_cast<size_t>(n));
  return all;
}

// Reads until `all` holds `count` complete answers with a Content-Length (or the peer closes).
std::string read_answers(int fd, int count) {
  std::string all;
  char buf[65536];
  auto complete = [&] {
    size_t at = 0;
    for (int i = 0; i < count; ++i) {
      const size_t end = all.find("\r\n\r\n", at);
      if (end == std::string::npos) return false;
      const size_t cl = all.find("Content-Length: ", at);
      const size_t len = cl != std::string::npos && cl < end ? std::stoul(all.substr(cl + 16)) : 0;
      if (all.size() < end + 4 + len) return false;
      at = end + 4 + len;
    }
    return true;
  };
  while (!complete()) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  return all;
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// An HttpServer on 127.0.0.1:0 with a few routes, served from its own thread.
struct Served {
  HttpServer srv;
  std::thread th;
  int port = 0;
  std::atomic<int> logged{0};  // answers written, or given up on

  explicit Served(const std::function<void(HttpServer&)>& tweak = {}) {
    srv.set_tcp_nodelay(true);
    srv.set_keep_alive_max_count(1000);  // httplib's default is 5
    srv.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello", "text/plain");
    });
    srv.Get("/who", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.remote_addr + " " + std::to_string(req.remote_port) + " " +
                          req.get_header_value("LOCAL_ADDR") + " " +
                          req.get_header_value("LOCAL_PORT"),
                      "text/plain");
    });
    srv.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/octet-stream");
    });
    srv.Get("/big", [](const httplib::Request& req, httplib::Response& res) {
      const size_t n = std::stoul(req.get_param_value("n"));
      std::string body(n, 'x');
      for (size_t i = 0; i < n; i += 1000) body[i] = static_cast<char>('a' + (i / 1000) % 26);
      res.set_content(body, "text/plain");
    });
    srv.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 300'000) {
          sink.done();
          return true;
        }
        const std::string piece(10'000, static_cast<char>('a' + offset / 10'000 % 26));
        return sink.write(piece.data(), piece.size());
      });
    });
    srv.Get("/endless", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        const std::string piece(65536, 'e');
        return sink.write(piece.data(), piece.size());
      });
    });
    srv.set_logger([this](const httplib::Request&, const httplib::Response&) { ++logged; });
    if (tweak) tweak(srv);
    port = srv.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    th = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::yield();
  }
  ~Served() {
    srv.stop();
    th.join();
  }
};

const char* kGetHello = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";

}  // namespace

TEST_CASE("a written answer stays in the stream until flushed, then arrives whole") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  {
    ConnectionStream s(sv[0], {});
    CHECK(s.write("HTTP/1.1 200 OK\r\n", 17) == 17);
    CHECK(s.write("Content-Length: 2\r\n\r\nok", 23) == 23);
    char b[64];
    CHECK(::recv(sv[1], b, sizeof b, MSG_DONTWAIT) == -1);  // nothing sent yet
    REQUIRE(s.flush());
    const ssize_t n = ::recv(sv[1], b, sizeof b, 0);
    CHECK(std::string(b, static_cast<size_t>(std::max<ssize_t>(n, 0))) ==
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    CHECK(s.flush());  // nothing left: a no-op

    // Past kFlushAt the buffer goes out on its own, and a large write goes out directly.
    const std::string big(ConnectionStream::kFlushAt + 10, 'b');
    CHECK(s.write("head", 4) == 4);
    std::thread reader([&] {
      std::string got;
      char buf[65536];
      while (got.size() < big.size() + 4) {
        const ssize_t r = ::recv(sv[1], buf, sizeof buf, 0);
        if (r <= 0) break;
        got.append(buf, static_cast<size_t>(r));
      }
      CHECK(got == "head" + big);
    });
    CHECK(s.write(big.data(), big.size()) == static_cast<ssize_t>(big.size()));
    reader.join();
  }
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_CASE("the stream reads through its buffer, a byte at a time or in large reads") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  ConnectionStream s(sv[0], {100, 1000});
  send_text(sv[1], "abcdef");
  char c = 0;
  CHECK(s.read(&c, 1) == 1);
  CHECK(c == 'a');
  CHECK(s.has_input());
  char rest[16];
  CHECK(s.read(rest, sizeof rest) == 5);
  CHECK(std::string(rest, 5) == "bcdef");
  CHECK_FALSE(s.has_input());
  // A read larger than the buffer bypasses it.
  const std::string big(20000, 'z');
  std::thread w([&] { send_text(sv[1], big); });
  std::string got(big.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    const ssize_t r = s.read(got.data() + have, got.size() - have);
    REQUIRE(r > 0);
    have += static_cast<size_t>(r);
  }
  w.join();
  CHECK(got == big);
  // Waiting for a request: nothing within the slice, then its first bytes, then the end.
  CHECK(s.await_input(20) == ConnectionStream::Wait::kTimeout);
  send_text(sv[1], "GET");
  REQUIRE(s.await_input(20) == ConnectionStream::Wait::kReady);
  CHECK(s.has_input());
  char get[3];
  CHECK(s.read(get, 3) == 3);
  CHECK(std::string(get, 3) == "GET");
  // Nothing arrives within the read timeout: -1. The peer closes: 0.
  CHECK_FALSE(s.read_failed());
  CHECK(s.read(&c, 1) == -1);
  CHECK(s.read_failed());
  ::close(sv[1]);
  CHECK(s.read(&c, 1) == 0);
  CHECK(s.await_input(20) == ConnectionStream::Wait::kClosed);
  ::close(sv[0]);
}

TEST_CASE("a keep-alive connection serves many requests, and knows both addresses") {
  Served s;
  const int fd = connect_local(s.port);
  for (int i = 0; i < 5; ++i) {
    send_text(fd, kGetHello);
    const std::string a = read_answers(fd, 1);
    CHECK(a.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(a.size() >= 5);
    CHECK(a.substr(a.size() - 5) == "hello");
  }
  sockaddr_in mine{};
  socklen_t len = sizeof mine;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &len) == 0);
  for (int i = 0; i < 2; ++i) {  // the second answer comes from the remembered addresses
    send_text(fd, "GET /who HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string a = read_answers(fd, 1);
    CHECK(a.substr(a.find("\r\n\r\n") + 4) == "127.0.0.1 " + std::to_string(ntohs(mine.sin_port)) +
                                                  " 127.0.0.1 " + std::to_string(s.port));
  }
  ::close(fd);
}

TEST_CASE("pipelined requests are answered in order on the same connection") {
  Served s;
  const int fd = connect_local(s.port);
  send_text(fd, std::string(kGetHello) +
                    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nping" + kGetHello);
  const std::string a = read_answers(fd, 3);
  CHECK(count_of(a, "HTTP/1.1 200 OK") == 3);
  const size_t ping = a.find("ping");
  CHECK(ping != std::string::npos);
  CHECK(a.find("hello") < ping);
  CHECK(a.rfind("hello") > ping);
  ::close(fd);
}

TEST_CASE("Expect: 100-continue is answered before the body is awaited") {
  Served s;
  const int fd = connect_local(s.port);
  send_text(fd,
            "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // the server must speak first
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)) == "HTTP/1.1 100 Continue\r\n\r\n");
  send_text(fd, "12345");
  const std::string a = read_answers(fd, 1);
  CHECK(a.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(a.substr(a.size() - 5) == "12345");
  ::close(fd);
}

TEST_CASE("large and streamed answers arrive intact") {
  Served s;
  const int fd = connect_local(s.port);
  send_text(fd, "GET /big?n=3000000 HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string a = read_answers(fd, 1);
  const std::string body = a.substr(a.find("\r\n\r\n") + 4);
  REQUIRE(body.size() == 3'000'000);
  std::string want(3'000'000, 'x');
  for (size_t i = 0; i < want.size(); i += 1000) want[i] = static_cast<char>('a' + (i / 1000) % 26);
  CHECK(body == want);

  // A chunked provider, then a plain answer on the same connection.
  send_text(fd, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string st = read_to_close(fd);
  CHECK(st.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(count_of(st, std::string(10'000, 'a')) == 2);  // offsets 0 and 260,000
  CHECK(st.size() > 300'000);
  CHECK(st.substr(st.size() - 5) == "0\r\n\r\n");
  ::close(fd);
}

TEST_CASE("the keep-alive request limit and Connection: close end the connection") {
  Served s([](HttpServer& srv) { srv.set_keep_alive_max_count(3); });
  const int fd = connect_local(s.port);
  for (int i = 1; i <= 3; ++i) {
    send_text(fd, kGetHello);
    const std::string a = read_answers(fd, 1);
    CHECK(a.find("hello") != std::string::npos);
    CHECK((a.find("Connection: close") != std::string::npos) == (i == 3));
  }
  CHECK(read_to_close(fd).empty());  // the server closed after the third
  ::close(fd);

  const int fd2 = connect_local(s.port);
  send_text(fd2, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string a = read_to_close(fd2);
  CHECK(count_of(a, "HTTP/1.1 200 OK") == 1);
  CHECK(a.find("Connection: close") != std::string::npos);
  ::close(fd2);
}

TEST_CASE("a malformed request gets 400, and its connection ends") {
  Served s;
  const int fd = connect_local(s.port);
  send_text(fd, "NONSENSE\r\nHost: t\r\n\r\n");
  const std::string a = read_to_close(fd);  // what follows it cannot be framed
  CHECK(a.rfind("HTTP/1.1 400 Bad Request", 0) == 0);
  CHECK(count_of(a, "HTTP/1.1") == 1);
  ::close(fd);
  const int fd2 = connect_local(s.port);  // the server goes on
  send_text(fd2, kGetHello);
  CHECK(read_answers(fd2, 1).find("hello") != std::string::npos);
  ::close(fd2);
}

TEST_CASE("a peer that stalls mid-request or stops reading is dropped at the timeout") {
  Served s([](HttpServer& srv) {
    srv.set_read_timeout(0, 200'000);
    srv.set_write_timeout(0, 200'000);
  });
  // Half a request, then nothing: the server closes, and never answers it as if whole.
  const int fd = connect_local(s.port);
  send_text(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part");
  CHECK(read_to_close(fd).find("200 OK") == std::string::npos);
  ::close(fd);

  // Peers that ask for 64 MB, or for an endless stream, and never read: the server gives up
  // at the write timeout (it has logged the request once its write has ended; the peer did not
  // read, so the write failed), and serves others meanwhile.
  for (const char* path : {"/big?n=67108864", "/endless"}) {
    CAPTURE(path);
    const int before = s.logged.load();
    const int slow = connect_local(s.port);
    send_text(slow, std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
    const int fd2 = connect_local(s.port);
    send_text(fd2, kGetHello);
    CHECK(read_answers(fd2, 1).find("hello") != std::string::npos);
    ::close(fd2);
    for (int i = 0; i < 1000 && s.logged.load() < before + 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(s.logged.load() == before + 2);
    // The connection was closed: the peer reads what was in flight, then the end.
    const std::string got = read_to_close(slow);
    CHECK(got.size() < 67'108'864);
    char b;
    CHECK(::recv(slow, &b, 1, MSG_DONTWAIT) == 0);
    ::close(slow);
  }
}

TEST_CASE("an idle keep-alive connection is closed after the keep-alive timeout") {
  Served s([](HttpServer& srv) { srv.set_keep_alive_timeout(1); });
  const int fd = connect_local(s.port);
  send_text(fd, kGetHello);
  CHECK(read_answers(fd, 1).find("hello") != std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(read_to_close(fd).empty());  // a kernel timer: no clock to inject
  const auto idle = std::chrono::steady_clock::now() - t0;
  CHECK(idle >= std::chrono::milliseconds(900));
  CHECK(idle < std::chrono::seconds(4));
  ::close(fd);
}

TEST_CASE("stop() returns while idle keep-alive connections are open") {
  auto s = std::make_unique<Served>();
  const int fd = connect_local(s->port);
  send_text(fd, kGetHello);
  CHECK(read_answers(fd, 1).find("hello") != std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  s.reset();  // stop() and join, with the connection idle in keep-alive
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  char b;
  CHECK(::recv(fd, &b, 1, 0) == 0);  // and the connection was closed
  ::close(fd);
}

TEST_CASE("the worker pool runs every task, queued ones too at shutdown, on named threads") {
  const int base = yb::this_threads_nice();
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::string> names;
  std::vector<int> nices;
  {
    yb::gateway::WorkerPool pool(1);
    std::atomic<bool> release{false};
    // The one thread is held by the first task while three more queue behind it.
    pool.enqueue([&] {
      while (!release.load()) std::this_thread::yield();
      std::lock_guard lk(mu);
      order.push_back(0);
      names.push_back(yb::this_threads_name());
      nices.push_back(yb::this_threads_nice());
    });
    for (int i = 1; i <= 3; ++i) {
      pool.enqueue([&, i] {
        std::lock_guard lk(mu);
        order.push_back(i);
      });
    }
    release = true;
    pool.shutdown();  // runs what is queued, then joins
    pool.shutdown();  // idempotent (the destructor calls it again too)
  }
  CHECK(order == std::vector<int>{0, 1, 2, 3});
  CHECK(names == std::vector<std::string>{"yb-http"});
  CHECK(nices == std::vector<int>{base});  // the process's priority: only the writer is raised

  // Many threads: every task runs exactly once.
  std::atomic<int> ran{0};
  {
    yb::gateway::WorkerPool pool(8);
    for (int i = 0; i < 1000; ++i) pool.enqueue([&] { ran.fetch_add(1); });
  }
  CHECK(ran.load() == 1000);
}
