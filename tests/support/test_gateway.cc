#include "tests/support/test_gateway.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace yb::test {

TestGateway::TestGateway(const std::function<void(gateway::AppConfig&)>& tweak,
                         std::unique_ptr<connectors::HttpClient> http) {
  db_path_ = dir_.file("test.db");
  gateway::AppConfig cfg;
  cfg.db_path = db_path_;
  cfg.server.host = "127.0.0.1";
  cfg.server.port = 0;
  cfg.server.threads = 16;
  cfg.accounts.hash_cost = crypto::HashCost::kMin;
  cfg.demo = true;
  cfg.admin_password = kAdminPassword;
  cfg.demo_password = kDemoPassword;
  cfg.deliver = false;
  if (tweak) tweak(cfg);
  auto log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_stream_));
  auto app = gateway::App::create(cfg, clock_, log, std::move(http));
  REQUIRE_MESSAGE(app.ok(), (app.ok() ? "" : app.error().message.en));
  app_ = std::move(*app);
  auto port = app_->bind();
  REQUIRE(port.ok());
  port_ = *port;
  thread_ = std::thread([this] { app_->serve(); });
  // One answered request proves the server loop runs: a stop() before it starts would be
  // missed and the destructor would wait for ever in accept().
  auto ready = get("/healthz");
  REQUIRE_MESSAGE(ready, "the test gateway did not answer /healthz");
}

TestGateway::~TestGateway() { shutdown(); }

void TestGateway::shutdown() {
  if (!app_) return;
  app_->stop();
  if (thread_.joinable()) thread_.join();
  app_.reset();
}

httplib::Client TestGateway::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  return c;
}

httplib::Result TestGateway::post(const std::string& path, const std::string& body,
                                  const std::string& token) const {
  auto c = client();
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return c.Post(path.c_str(), h, body, "application/json");
}

httplib::Result TestGateway::get(const std::string& path, const std::string& token) const {
  auto c = client();
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return c.Get(path.c_str(), h);
}

std::string TestGateway::login(const std::string& user, const std::string& password) const {
  auto r =
      post("/api/v1/sessions", nlohmann::json{{"username", user}, {"password", password}}.dump());
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  return nlohmann::json::parse(r->body)["token"].get<std::string>();
}

}  // namespace yb::test
