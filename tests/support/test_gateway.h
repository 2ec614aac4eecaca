// Starts the real gateway (App: the same wiring as main) on 127.0.0.1:0 with a temporary
// database, a ManualClock and cheap password hashing, seeded with the demo county. Talks to
// it over real HTTP.
#pragma once

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "gateway/app.h"
#include "tests/support/temp_dir.h"

namespace yb::test {

inline constexpr const char* kDemoPassword = "demo-Pass-2026";
inline constexpr const char* kAdminPassword = "admin-Pass-2026";

class TestGateway {
 public:
  // Adjust cfg before start via the callback (e.g. a smaller body limit).
  // The delivery engine does not run on its own (tests call app().engine().run_once()) unless
  // tweak sets cfg.deliver; deliveries go through `http` (null: the real HTTP client).
  explicit TestGateway(const std::function<void(gateway::AppConfig&)>& tweak = {},
                       std::unique_ptr<connectors::HttpClient> http = {});
  ~TestGateway();

  int port() const { return port_; }
  ManualClock& clock() { return clock_; }
  gateway::App& app() { return *app_; }
  const std::string& db_path() const { return db_path_; }
  httplib::Client client() const;

  // POST JSON / GET with an optional bearer token.
  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& token = "") const;
  httplib::Result get(const std::string& path, const std::string& token = "") const;
  // Logs in and returns the token (CHECKs success).
  std::string login(const std::string& user, const std::string& password = kDemoPassword) const;

  // Stops the server and destroys the App (the database file stays).
  void shutdown();
  // Everything the gateway logged so far.
  std::string log_text() const { return log_stream_.str(); }

 private:
  TempDir dir_;
  std::ostringstream log_stream_;
  std::string db_path_;
  ManualClock clock_;
  std::unique_ptr<gateway::App> app_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace yb::test
