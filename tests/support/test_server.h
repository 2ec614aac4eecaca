// A real cpp-httplib server on a free loopback port, running on its own thread for one test.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

namespace yb::test {

class TestServer {
 public:
  // `setup` registers handlers; `srv` may be an httplib::SSLServer.
  explicit TestServer(std::function<void(httplib::Server&)> setup,
                      std::unique_ptr<httplib::Server> srv = std::make_unique<httplib::Server>())
      : srv_(std::move(srv)) {
    srv_->set_tcp_nodelay(true);
    srv_->set_keep_alive_max_count(100000);  // the default (5) would hide connection reuse
    setup(*srv_);
    port_ = srv_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_->listen_after_bind(); });
    for (int i = 0; i < 500 && !srv_->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~TestServer() {
    srv_->stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& scheme, const std::string& path) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<httplib::Server> srv_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace yb::test
