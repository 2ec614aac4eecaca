#include "bench/loadgen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/clock.h"

namespace yb::bench {

namespace {

using Clk = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  int id = 0;
  long n = 0;
  std::string out;
  size_t sent = 0;
  std::string in;
  Clk::time_point started;
};

int connect_to(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Length of a complete response at the start of `in` (0 if not complete yet), and its status.
size_t complete_response(const std::string& in, int* status) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  *status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  size_t len = 0;
  // Header names are case-insensitive; cpp-httplib writes "Content-Length".
  for (const char* name : {"\r\nContent-Length:", "\r\ncontent-length:"}) {
    const size_t p = in.find(name);
    if (p != std::string::npos && p < end) {
      len = std::strtoul(in.c_str() + p + std::strlen(name), nullptr, 10);
      break;
    }
  }
  return in.size() >= end + 4 + len ? end + 4 + len : 0;
}

}  // namespace

double LoadResult::percentile(double p) const {
  if (latency_ms.empty()) return 0;
  return latency_ms[std::min(latency_ms.size() - 1, static_cast<size_t>(p * latency_ms.size()))];
}

std::string json_post(const std::string& path, const std::string& token, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n" +
         "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

LoadResult run_load(const std::string& host, int port, int clients, double seconds,
                    const std::function<std::string(int, long)>& make_request, int ok_status,
                    const Warmup& warmup) {
  LoadResult r;
  uint64_t cpu_at_start = thread_cpu_ns();
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(clients));
  // Sends the client's next request at once; only what the socket does not take is left for
  // EPOLLOUT (two epoll_ctl calls and a wake-up fewer per request). False on a send error.
  auto start_next = [&](Conn& c) {
    c.out = make_request(c.id, c.n++);
    c.started = Clk::now();
    const ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) return false;
    c.sent = w > 0 ? static_cast<size_t>(w) : 0;
    if (c.sent < c.out.size()) {
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN;
      ev.data.ptr = &c;
      epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
    return true;
  };
  for (int i = 0; i < clients; ++i) {
    Conn& c = conns[static_cast<size_t>(i)];
    c.id = i;
    c.fd = connect_to(host, port);
    if (c.fd < 0) {
      r.bad++;
      if (r.first_bad.empty()) r.first_bad = std::string("connect: ") + std::strerror(errno);
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  auto t0 = Clk::now();
  const auto measure_from =
      t0 + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(warmup.seconds));
  const auto length =
      std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(seconds));
  auto deadline = measure_from + length;
  bool measuring = warmup.seconds <= 0;
  if (measuring && warmup.on_measure) warmup.on_measure();
  int open = 0;
  for (auto& c : conns) {
    if (c.fd < 0) continue;
    if (start_next(c)) {
      open++;
    } else {
      r.bad++;
      if (r.first_bad.empty()) r.first_bad = std::string("send: ") + std::strerror(errno);
      ::close(c.fd);
      c.fd = -1;
    }
  }
  std::vector<epoll_event> evs(static_cast<size_t>(std::max(clients, 1)));
  char buf[65536];
  bool stopping = false;
  while (open > 0) {
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 100);
    const auto now = Clk::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      if (warmup.on_measure) warmup.on_measure();
      t0 = Clk::now();  // what the call took is not measured
      deadline = t0 + length;
      cpu_at_start = thread_cpu_ns();
    }
    if (!stopping && now >= deadline) stopping = true;
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr);
      auto fail = [&](const std::string& why) {
        r.bad++;
        if (r.first_bad.empty()) r.first_bad = why;
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
        open--;
      };
      if ((evs[static_cast<size_t>(i)].events & EPOLLOUT) && c.sent < c.out.size()) {
        const ssize_t w = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          fail(std::string("send: ") + std::strerror(errno));
          continue;
        }
        if (w > 0) c.sent += static_cast<size_t>(w);
        if (c.sent == c.out.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = &c;
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
      if (!(evs[static_cast<size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        fail(got == 0 ? "connection closed by the server" : std::strerror(errno));
        continue;
      }
      if (got < 0) continue;
      c.in.append(buf, static_cast<size_t>(got));
      int status = 0;
      const size_t len = complete_response(c.in, &status);
      if (len == 0) continue;
      const double ms = std::chrono::duration<double, std::milli>(Clk::now() - c.started).count();
      if (status == ok_status) {
        if (c.started >= t0 && measuring) {  // sent after the warm-up
          r.ok++;
          r.latency_ms.push_back(ms);
        }
      } else {
        r.bad++;
        if (r.first_bad.empty()) r.first_bad = c.in.substr(0, c.in.find("\r\n"));
      }
      c.in.erase(0, len);
      if (stopping) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
        open--;
      } else if (!start_next(c)) {
        fail(std::string("send: ") + std::strerror(errno));
      }
    }
  }
  r.seconds = std::chrono::duration<double>(Clk::now() - t0).count();
  ::close(ep);
  std::sort(r.latency_ms.begin(), r.latency_ms.end());
  r.cpu_seconds = static_cast<double>(thread_cpu_ns() - cpu_at_start) / 1e9;
  return r;
}

}  // namespace yb::bench
