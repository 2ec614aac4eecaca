#include "gateway/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/threads.h"

namespace yb::gateway {
namespace {

int to_ms(time_t sec, time_t usec) {
  const auto ms = static_cast<int64_t>(sec) * 1000 + static_cast<int64_t>(usec) / 1000;
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 24 * 3600 * 1000));
}

// poll() for one socket, retried when a signal interrupts it: its revents, 0 on timeout,
// -1 on error.
int poll_one(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0 ? p.revents : r;
  }
}

// The numeric address and port of a socket's end, as cpp-httplib writes them.
void read_address(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(sa, len, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) != 0) return;
  ip = host.data();
  if (addr.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
}

}  // namespace

ConnectionStream::Wait ConnectionStream::wait_readable(int timeout_ms) const {
  const int r = poll_one(fd_, POLLIN, timeout_ms);
  return r > 0 ? Wait::kReady : r == 0 ? Wait::kTimeout : Wait::kClosed;
}

ConnectionStream::Wait ConnectionStream::await_input(int slice_ms) {
  if (recv_timeout_ms_ != slice_ms) {
    timeval tv{slice_ms / 1000, (slice_ms % 1000) * 1000};
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return Wait::kClosed;
    recv_timeout_ms_ = slice_ms;
  }
  for (;;) {
    const ssize_t r = ::recv(fd_, in_.data(), in_.size(), 0);
    if (r > 0) {
      in_pos_ = 0;
      in_len_ = static_cast<size_t>(r);
      return Wait::kReady;
    }
    if (r < 0 && errno == EINTR) continue;
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Wait::kTimeout : Wait::kClosed;
  }
}

bool ConnectionStream::is_readable() const {
  return has_input() || wait_readable(t_.read_ms) == Wait::kReady;
}

bool ConnectionStream::is_writable() const {
  // Writable within the write timeout, and the peer has not hung up (httplib's is_writable()
  // also checks that the peer is alive: a streamed download stops when its reader has gone).
  const int r = poll_one(fd_, POLLOUT | POLLRDHUP, t_.write_ms);
  return r > 0 && (r & POLLOUT) != 0 && (r & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
}

ssize_t ConnectionStream::recv_some(char* dst, size_t n) {
  for (;;) {
    const ssize_t r = ::recv(fd_, dst, n, MSG_DONTWAIT);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    // Nothing yet: what was written so far goes out first (the peer may wait for it), then
    // the wait, up to the read timeout.
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || (!out_.empty() && !flush()) ||
        wait_readable(t_.read_ms) != Wait::kReady) {
      read_failed_ = true;
      return -1;
    }
  }
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (has_input()) {
    const size_t n = std::min(size, in_len_ - in_pos_);
    std::memcpy(ptr, in_.data() + in_pos_, n);
    in_pos_ += n;
    return static_cast<ssize_t>(n);
  }
  if (size >= in_.size()) return recv_some(ptr, size);  // a large read needs no buffer
  const ssize_t r = recv_some(in_.data(), in_.size());
  if (r <= 0) return r;
  in_len_ = static_cast<size_t>(r);
  const size_t n = std::min(size, in_len_);
  std::memcpy(ptr, in_.data(), n);
  in_pos_ = n;
  return static_cast<ssize_t>(n);
}

namespace {

// Sends all n bytes, waiting up to timeout_ms each time the socket's buffer is full.
bool send_all(int fd, const char* p, size_t n, int timeout_ms) {
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r > 0) {
      p += r;
      n -= static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int w = poll_one(fd, POLLOUT, timeout_ms);
      if (w <= 0 || (w & POLLOUT) == 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (out_.size() + size > kFlushAt) {
    if (!flush()) return -1;
    if (size >= kFlushAt) {  // a large body goes out from where it is
      return send_all(fd_, ptr, size, t_.write_ms) ? static_cast<ssize_t>(size) : -1;
    }
  }
  out_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

bool ConnectionStream::flush() {
  if (out_.empty()) return true;
  const bool ok = send_all(fd_, out_.data(), out_.size(), t_.write_ms);
  out_.clear();
  return ok;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  if (!remote_.known) read_address(fd_, true, remote_.ip, remote_.port);
  remote_.known = true;
  ip = remote_.ip;
  port = remote_.port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  if (!local_.known) read_address(fd_, false, local_.ip, local_.port);
  local_.known = true;
  ip = local_.ip;
  port = local_.port;
}

WorkerPool::WorkerPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      name_this_thread("yb-http");
      run();
    });
  }
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void WorkerPool::shutdown() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      fn = std::move(tasks_.front());
      tasks_.pop_front();
    }
    fn();
  }
}

bool HttpServer::process_and_close_socket(int sock) {
  ConnectionStream strm(sock, {to_ms(read_timeout_sec_, read_timeout_usec_),
                               to_ms(write_timeout_sec_, write_timeout_usec_)});
  // An idle connection waits for its next request in short slices, so that stop() is noticed
  // within one (cpp-httplib's own loop: 10 ms polls and 1 ms sleeps).
  constexpr int kSliceMs = 20;
  const auto idle_limit = std::chrono::seconds(keep_alive_timeout_sec_);
  bool ret = false;
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (svr_sock_ == INVALID_SOCKET) break;
    if (!strm.has_input()) {
      const auto idle_since = std::chrono::steady_clock::now();
      auto w = strm.await_input(kSliceMs);
      while (w == ConnectionStream::Wait::kTimeout && svr_sock_ != INVALID_SOCKET &&
             std::chrono::steady_clock::now() - idle_since < idle_limit) {
        w = strm.await_input(kSliceMs);
      }
      if (w != ConnectionStream::Wait::kReady) break;
    }
    bool connection_closed = false, parsed = false;
    ret = process_request(strm, left == 1, connection_closed, [&](httplib::Request&) {
      parsed = true;  // called once the request line and headers are read
    });
    if (!strm.flush()) ret = false;
    // After a malformed request (answered 400 or 414), or a body that did not arrive in time,
    // the rest of the input cannot be framed: the connection ends (RFC 9112, section 3).
    if (!ret || connection_closed || !parsed || strm.read_failed()) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace yb::gateway
