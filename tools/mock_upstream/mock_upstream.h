// A scriptable upstream system for tests, benchmarks and the demo: records every request it
// receives and answers as its script says (fail N times, delay, given codes and headers such as
// Retry-After, drop the connection), verifies Standard Webhooks signatures, and exposes a
// control API under /_mock/. Usage and the script format: docs/mock-upstream.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace yb::mock {

using Json = nlohmann::json;

struct Options {
  std::string log_path;                        // JSON lines, appended; empty = none
  std::string secret;                          // whsec_... for every path; empty = none
  std::map<std::string, std::string> secrets;  // per path ("/civil_affairs" → whsec_...)
  bool demo = false;                           // the four demo systems and the page at /
  size_t max_records = 100000;                 // oldest records are dropped beyond this
};

// The demo upstream systems: path → display name.
struct DemoSystem {
  const char* path;
  const char* name_zh;
  const char* name_en;
};
inline constexpr DemoSystem kDemoSystems[] = {
    {"/civil_affairs", "民政 · 社会救助系统", "Civil affairs (social assistance)"},
    {"/disabled_fed", "残联 · 两项补贴系统", "Disabled persons' federation (subsidies)"},
    {"/medical_insurance", "医保 · 参保登记系统", "Medical insurance (enrolment)"},
    {"/rural_revitalisation", "乡村振兴 · 防返贫监测系统",
     "Rural revitalisation (poverty-relapse monitoring)"},
};

// Thread-safe: every member function may be called from any server thread; one mutex guards
// the script, counters, records and the log file. Handlers hold it only to record a request
// and pick the answer, never while sleeping for a scripted delay.
class MockUpstream {
 public:
  explicit MockUpstream(Options opts);
  // Opens the log file; false with *err when it cannot be opened.
  bool open_log(std::string* err);
  // Replaces the script (see docs/mock-upstream.md); false with *err when it is malformed.
  // Turn counters start again; records stay.
  bool set_script(const Json& script, std::string* err);
  // Registers the control API, the demo page (demo mode) and the catch-all recorder.
  void install(httplib::Server& srv);

 private:
  struct Answer {
    int status = 200;
    int64_t delay_ms = 0;
    std::optional<Json> body;
    std::map<std::string, std::string> headers;
    bool close = false;
  };
  struct Script {
    std::map<std::string, std::vector<Answer>> paths;  // path or "*" → answers in turn
    std::map<std::string, std::string> secrets;
    bool reject_bad_signature = false;
  };
  static bool parse_script(const Json& j, Script& out, std::string* err);

  void handle(const httplib::Request& req, httplib::Response& res);
  std::optional<bool> check_signature(const std::string& path, const httplib::Request& req);
  Json requests_json(const std::string& path_filter);
  Json stats_json();
  void reset();
  std::string demo_page();

  const Options opts_;
  std::mutex mu_;
  Script script_;                                        // GUARDED_BY(mu_)
  std::map<std::string, int64_t> turns_;                 // GUARDED_BY(mu_) per path, for the script
  std::map<std::string, int64_t> seen_;                  // GUARDED_BY(mu_) per path, for ids
  std::map<std::string, std::map<int, int64_t>> stats_;  // GUARDED_BY(mu_) path → status → n
  // One received request; kept serialised (about a third of the memory of a Json tree).
  struct Record {
    std::string path;
    std::string system;  // demo system name, or ""
    std::string json;    // the record as logged
  };
  std::deque<Record> records_;  // GUARDED_BY(mu_)
  int64_t seq_ = 0;             // GUARDED_BY(mu_)
  std::ofstream log_;           // GUARDED_BY(mu_)
};

}  // namespace yb::mock
