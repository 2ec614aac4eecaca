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
#include <deque>
#include <random>

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
  bool busy = false;    // a request sent and not yet answered
  bool resent = false;  // that request was sent again on a new connection
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
                    const Warmup& warmup, double rate, uint64_t seed) {
  LoadResult r;
  uint64_t cpu_at_start = thread_cpu_ns();
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(clients));
  // Sends c.out at once; only what the socket does not take is left for EPOLLOUT (two
  // epoll_ctl calls and a wake-up fewer per request). False on a send error.
  auto send_out = [&](Conn& c) {
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
  // Sends the client's next request; its latency counts from `since`.
  auto start_next = [&](Conn& c, Clk::time_point since) {
    c.out = make_request(c.id, c.n++);
    c.started = since;
    c.busy = true;
    c.resent = false;
    return send_out(c);
  };
  // Opens c's connection and watches it; false (errno set) if it could not.
  auto attach = [&](Conn& c) {
    c.fd = connect_to(host, port);
    if (c.fd < 0) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    return epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) == 0;
  };
  int open = 0;
  auto close_conn = [&](Conn& c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    open--;
  };
  auto fail = [&](Conn& c, const std::string& why) {
    r.bad++;
    if (r.first_bad.empty()) r.first_bad = why;
    close_conn(c);
  };
  for (int i = 0; i < clients; ++i) {
    Conn& c = conns[static_cast<size_t>(i)];
    c.id = i;
    if (!attach(c)) {
      r.bad++;
      if (r.first_bad.empty()) r.first_bad = std::string("connect: ") + std::strerror(errno);
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
      continue;
    }
    open++;
  }
  auto t0 = Clk::now();
  const auto measure_from =
      t0 + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(warmup.seconds));
  const auto length =
      std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(seconds));
  auto deadline = measure_from + length;
  bool measuring = warmup.seconds <= 0;
  if (measuring && warmup.on_measure) warmup.on_measure();

  // The open loop's state: the moments requests fell due and no connection was free to send
  // them, the free connections, and when the next request falls due.
  const bool open_loop = rate > 0;
  std::deque<Clk::time_point> backlog;
  std::deque<Conn*> idle;  // in the order they became free: all connections take turns
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(open_loop ? rate : 1.0);
  auto next_due = t0;
  auto draw_gap = [&] {
    return std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(gap(rng)));
  };
  bool stopping = false;
  // Open loop: requests that fell due until `now` join the backlog (none once stopping), and
  // free connections send the oldest.
  auto send_due = [&](Clk::time_point now) {
    for (; !stopping && next_due <= now; next_due += draw_gap()) {
      backlog.push_back(next_due);
      if (measuring && next_due >= t0) r.due++;
    }
    if (measuring) r.max_backlog = std::max(r.max_backlog, backlog.size());
    while (!backlog.empty() && !idle.empty()) {
      Conn& c = *idle.front();
      idle.pop_front();
      if (!start_next(c, backlog.front())) {
        fail(c, std::string("send: ") + std::strerror(errno));
        continue;
      }
      backlog.pop_front();
    }
  };

  for (auto& c : conns) {
    if (c.fd < 0) continue;
    if (open_loop) {
      idle.push_back(&c);
    } else if (!start_next(c, Clk::now())) {
      fail(c, std::string("send: ") + std::strerror(errno));
    }
  }
  if (open_loop) next_due += draw_gap();
  std::vector<epoll_event> evs(static_cast<size_t>(std::max(clients, 1)));
  char buf[65536];
  // epoll_pwait2 (nanosecond timeouts) came with Linux 5.11; where it is missing (an older
  // kernel, or valgrind, which does not know the call) epoll_wait's milliseconds, rounded up.
  bool nanosecond_waits = true;
  while (open > 0) {
    // The open loop wakes when the next request falls due (nanoseconds: at 5,000/s they are
    // 0.2 ms apart); both wake at least every 100 ms to notice the deadline.
    auto wait = std::chrono::nanoseconds(std::chrono::milliseconds(100));
    if (open_loop && !stopping) {
      wait = std::clamp<std::chrono::nanoseconds>(next_due - Clk::now(),
                                                  std::chrono::nanoseconds(0), wait);
    }
    const timespec ts{static_cast<time_t>(wait.count() / 1'000'000'000),
                      static_cast<long>(wait.count() % 1'000'000'000)};
    int n = -1;
    if (nanosecond_waits) {
      n = epoll_pwait2(ep, evs.data(), static_cast<int>(evs.size()), &ts, nullptr);
      if (n < 0 && errno == ENOSYS) nanosecond_waits = false;
    }
    if (!nanosecond_waits) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), static_cast<int>(ms));
    }
    const auto now = Clk::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      if (warmup.on_measure) warmup.on_measure();
      t0 = Clk::now();  // what the call took is not measured
      deadline = t0 + length;
      cpu_at_start = thread_cpu_ns();
      // Nor what fell due meanwhile (the warm-up's, never sent): sent after the call all at
      // once, they would be a burst no cadre makes.
      if (open_loop) {
        backlog.clear();
        next_due = t0 + draw_gap();
      }
    }
    if (!stopping && now >= deadline) {
      stopping = true;
      // What fell due before the deadline is still sent; free connections are done.
      if (backlog.empty()) {
        for (Conn* c : idle) close_conn(*c);
        idle.clear();
      }
    }
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr);
      if (c.fd < 0) continue;
      if ((evs[static_cast<size_t>(i)].events & EPOLLOUT) && c.sent < c.out.size()) {
        const ssize_t w = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          fail(c, std::string("send: ") + std::strerror(errno));
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
      // The server closed a kept-alive connection (its keep-alive timeout: free connections
      // at a low rate) before or just as a request went out on it, nothing of an answer come:
      // a client opens a new connection, as browsers do, and sends the request again (the
      // same bytes: the gateway knows a resent answer by its client_id). Counted.
      const bool stale = got == 0 && open_loop && c.in.empty() && (!c.busy || !c.resent);
      if (stale) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        r.reconnects++;
        if (attach(c)) {
          if (!c.busy) continue;
          c.resent = true;
          if (send_out(c)) continue;
        }
        r.bad++;
        if (r.first_bad.empty()) r.first_bad = std::string("reconnect: ") + std::strerror(errno);
        if (c.fd >= 0) ::close(c.fd);
        c.fd = -1;
        open--;
        std::erase(idle, &c);
        continue;
      }
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        fail(c, got == 0 ? "connection closed by the server" : std::strerror(errno));
        continue;
      }
      if (got < 0) continue;
      c.in.append(buf, static_cast<size_t>(got));
      int status = 0;
      const size_t len = complete_response(c.in, &status);
      if (len == 0) continue;
      const double ms = std::chrono::duration<double, std::milli>(Clk::now() - c.started).count();
      if (status == ok_status) {
        if (c.started >= t0 && measuring) {  // sent (open loop: due) after the warm-up
          r.ok++;
          r.latency_ms.push_back(ms);
        }
      } else {
        r.bad++;
        if (r.first_bad.empty()) r.first_bad = c.in.substr(0, c.in.find("\r\n"));
      }
      c.in.erase(0, len);
      c.busy = false;
      if (open_loop) {
        if (stopping && backlog.empty()) {
          close_conn(c);
        } else {
          idle.push_back(&c);
        }
      } else if (stopping) {
        close_conn(c);
      } else if (!start_next(c, Clk::now())) {
        fail(c, std::string("send: ") + std::strerror(errno));
      }
    }
    if (open_loop) {
      send_due(Clk::now());
      if (stopping && backlog.empty()) {
        for (Conn* c : idle) close_conn(*c);
        idle.clear();
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
