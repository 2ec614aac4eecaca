// The gateway's plain-HTTP server: cpp-httplib's request parsing, routing and response
// writing, with its per-connection loop replaced. cpp-httplib (0.11, Debian 12) reads through
// a new stream for every request, writes each answer in two send() calls (headers, then body),
// each after two poll() calls, and asks the kernel for both socket addresses again for every
// request: 11 system calls and two TCP segments per keep-alive answer. Here a connection has
// one buffered stream for its whole life: an answer leaves in one send(), the addresses are
// read once, and a read polls only when nothing has arrived yet; a keep-alive answer costs
// poll, recv and send. Under bench/ingest: 25 -> 17 system calls per submission (the load
// generator's included), 13 % less gateway CPU per submission.
// Pipelined requests are kept and answered in order (httplib dropped what its stream had read
// ahead). After a malformed request or a body that did not arrive in time the connection ends.
// TLS connections keep httplib::SSLServer's own loop. Both serve from WorkerPool's threads.
#pragma once

#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace yb::gateway {

// How long a read or a write may wait for the socket (poll() takes milliseconds).
struct StreamTimeouts {
  int read_ms = 5000;
  int write_ms = 5000;
};

// One connection's socket, read through an input buffer and written through an output buffer
// that leaves in one send() when flushed. Pending output is flushed before the stream waits
// to read (an "Expect: 100-continue" answer goes out before its body is awaited) and once it
// passes kFlushAt. Not thread safe: one connection, one thread.
class ConnectionStream final : public httplib::Stream {
 public:
  static constexpr size_t kFlushAt = 64 * 1024;

  ConnectionStream(int fd, StreamTimeouts t) : fd_(fd), t_(t) {}

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  // Sends what is buffered; false when the peer is gone or does not read within the write
  // timeout (the connection must then be closed).
  bool flush();
  // Bytes received and not yet read (the start of a pipelined request).
  bool has_input() const { return in_pos_ < in_len_; }
  // A read failed or timed out: what comes next cannot be framed, the connection must end.
  bool read_failed() const { return read_failed_; }

  enum class Wait { kReady, kTimeout, kClosed };
  // Waits up to timeout_ms for the socket to become readable (or to report an error).
  Wait wait_readable(int timeout_ms) const;
  // Waits up to slice_ms for the next request's first bytes and reads them into the input
  // buffer, in one blocking recv() (a receive timeout set once per connection): kReady with
  // input, kTimeout, or kClosed when the peer has closed or the socket failed. Only with
  // nothing buffered, in or out.
  Wait await_input(int slice_ms);

 private:
  int fd_;
  StreamTimeouts t_;
  std::array<char, 8192> in_{};
  size_t in_pos_ = 0, in_len_ = 0;
  bool read_failed_ = false;
  int recv_timeout_ms_ = -1;  // SO_RCVTIMEO as last set (-1: never)
  std::string out_;
  // The addresses, read from the kernel on first use.
  struct Address {
    bool known = false;
    std::string ip;
    int port = 0;
  };
  mutable Address remote_, local_;

  ssize_t recv_some(char* dst, size_t n);
};

// The HTTP server's thread pool (in place of httplib::ThreadPool, which it follows: tasks in
// arrival order, shutdown() runs the queued ones and joins). Its threads are named "yb-http"
// (core/threads.h), as `top -H` shows them.
class WorkerPool final : public httplib::TaskQueue {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

class HttpServer final : public httplib::Server {
 private:
  // Serves one connection's requests until it closes, is idle past the keep-alive timeout,
  // reaches the keep-alive request limit, or the server stops; then closes the socket.
  bool process_and_close_socket(int sock) override;
};

}  // namespace yb::gateway
