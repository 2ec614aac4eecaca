// bench/delivery: deliveries per second from the outbox to an upstream over keep-alive HTTP.
//
// Builds a real backlog through the real submit path (the in-process gateway, a database file
// on disk, the demo connectors: each answer fans out to 4 HTTP upstreams), points the HTTP
// connectors at tools/mock_upstream running as a separate process, then starts the delivery
// engine and times how long it takes to drain the backlog. Prints deliveries/s and the peak
// RSS of this (the gateway's) process.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/null_sink.h>
#include <boost/program_options.hpp>

#include "admin/demo.h"
#include "gateway/app.h"

namespace po = boost::program_options;
using namespace yb;
using Json = nlohmann::json;
using Clk = std::chrono::steady_clock;

namespace {

// Starts the mock upstream; returns its pid and port.
std::pair<pid_t, int> start_mock(const std::string& bin) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, 0};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execl(bin.c_str(), bin.c_str(), "--listen", "127.0.0.1:0", "--max-records", "1000",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* f = fdopen(fds[0], "r");
  char line[256] = {0};
  int port = 0;
  if (f && fgets(line, sizeof line, f)) {
    std::string s(line);
    auto colon = s.rfind(':');
    if (colon != std::string::npos) port = std::atoi(s.c_str() + colon + 1);
  }
  return {pid, port};
}

// Deliveries to these connectors not yet finished: read from the partial work index, which
// shrinks as the backlog drains (a scan of the whole table every poll took a core of its own).
long unfinished_count(db::Database& d, const std::vector<std::string>& connectors) {
  return d.with_conn([&](db::Conn& c) -> long {
    auto q = c.prepare(
        "SELECT COUNT(*) FROM deliveries WHERE connector_id = ? "
        "AND (status = 'pending' OR status = 'retrying' OR status = 'sending')");
    if (!q) return -1;
    long n = 0;
    for (const auto& id : connectors) {
      q->reset();
      q->bind(1, id);
      if (!q->step().ok()) return -1;
      n += q->get_int(0);
    }
    return n;
  });
}

long delivered_count(db::Database& d) {
  return d.with_conn([](db::Conn& c) -> long {
    auto q = c.prepare("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'");
    return q && q->step().ok() ? q->get_int(0) : -1;
  });
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc("bench/delivery options");
  desc.add_options()("mock", po::value<std::string>()->required(),
                     "path of the mock-upstream binary")(
      "submissions", po::value<int>()->default_value(25000), "answers to submit (x4 deliveries)")(
      "workers", po::value<int>()->default_value(32), "delivery worker threads")(
      "writer-priority", po::value<int>(),
      "nice steps the database writer runs above the other threads (default: the gateway's, "
      "--writer-priority)")("concurrency", po::value<int>()->default_value(8),
                            "per-connector concurrency")(
      "min-rate", po::value<double>()->default_value(0), "exit 1 below this many deliveries/s")(
      "max-rss-mb", po::value<long>()->default_value(0),
      "exit 1 if the peak RSS exceeds this many MB (0: no limit)")("help", "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "delivery: " << e.what() << "\n" << desc;
    return 2;
  }
  auto [mock_pid, mock_port] = start_mock(vm["mock"].as<std::string>());
  // The mock goes away with us, on every path (it holds our stdout: a runner waits for it).
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
      }
    }
  } reaper{mock_pid};
  if (mock_pid <= 0 || mock_port == 0) {
    std::cerr << "delivery: mock upstream did not start\n";
    return 1;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("yibiao-bench-deliv-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  SystemClock clock;
  gateway::AppConfig cfg;
  cfg.db_path = (dir / "bench.db").string();
  cfg.server.port = 0;
  cfg.demo = true;
  cfg.deliver = false;
  cfg.admin_password = "bench-Admin-2026";
  cfg.demo_password = "bench-Demo-2026";
  cfg.engine.workers = vm["workers"].as<int>();
  if (vm.count("writer-priority")) cfg.writer_priority = vm["writer-priority"].as<int>();
  cfg.engine.queue_per_connector = 512;
  cfg.accounts.hash_cost = crypto::HashCost::kMin;
  auto log =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto app = gateway::App::create(cfg, clock, log);
  if (!app) {
    std::cerr << "delivery: " << app.error().message.en << "\n";
    return 1;
  }
  auto& a = **app;
  // Point every HTTP connector at the mock, without rate limits in the way.
  auto snap = a.connectors().snapshot();
  std::vector<std::string> pushed;
  for (const auto& e : **snap) {
    if (!e.connector->pushes()) continue;
    pushed.push_back(e.connector->id);
    Json c = e.connector->raw;
    c["url"] = "http://127.0.0.1:" + std::to_string(mock_port) + "/" + e.connector->id;
    c["limits"] = {
        {"concurrency", vm["concurrency"].as<int>()}, {"rate_per_s", 10000}, {"burst", 10000}};
    if (auto s = a.connectors().put(c); !s) {
      std::cerr << "delivery: " << s.error().message.en << "\n";
      for (const auto& d : s.error().details)
        std::cerr << "  " << d.path << ": " << d.message.en << "\n";
      return 1;
    }
  }
  // The backlog, through the real submit path; answers where all four HTTP upstreams apply.
  auto cadre = a.accounts().find_user("cadre1");
  const int n = vm["submissions"].as<int>();
  auto t0 = Clk::now();
  std::vector<std::thread> loaders;
  std::atomic<int> next{0}, failed{0};
  for (int t = 0; t < 16; ++t) {
    loaders.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        Json v = admin::demo_sample_values(i + 1);
        v["welfare.low_income_status"] = "1";
        v["risk.type"] = Json::array({"1"});
        v["person.has_disability"] = true;
        v["disability.type"] = "4";
        v["disability.grade"] = "2";
        v["disability.cert_number"] = v["person.id_number"].get<std::string>() + "42";
        intake::SubmitRequest r{"resident_household", "bench-" + std::to_string(i), std::nullopt,
                                v};
        if (!a.submissions().submit(*cadre, r)) failed++;
      }
    });
  }
  for (auto& t : loaders) t.join();
  const double load_s = std::chrono::duration<double>(Clk::now() - t0).count();
  // Only HTTP connectors are pushed; spreadsheet and feed deliveries wait for export or pull.
  const long total = a.database().with_conn([](db::Conn& c) -> long {
    auto q = c.prepare(
        "SELECT COUNT(*) FROM deliveries d JOIN connectors k ON k.id = d.connector_id "
        "WHERE d.status = 'pending' AND k.type IN ('http_json', 'http_form')");
    return q && q->step().ok() ? q->get_int(0) : -1;
  });
  std::printf("delivery: backlog of %ld deliveries from %d answers built in %.1f s (%d failed)\n",
              total, n, load_s, failed.load());
  std::fflush(stdout);

  auto t1 = Clk::now();
  a.engine().start();
  long done = 0;
  long left = 0;
  while ((left = unfinished_count(a.database(), pushed)) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::chrono::duration<double>(Clk::now() - t1).count() > 300) break;
  }
  const double secs = std::chrono::duration<double>(Clk::now() - t1).count();
  done = delivered_count(a.database());
  a.engine().stop();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double rate = done / secs;
  std::printf(
      "delivery: drained %ld of %ld deliveries in %.1f s: %.0f deliveries/s to the mock upstream "
      "(keep-alive); gateway peak RSS %ld MB\n",
      done, total, secs, rate, ru.ru_maxrss / 1024);
  app->reset();
  std::filesystem::remove_all(dir);
  const double min_rate = vm["min-rate"].as<double>();
  const long rss_mb = ru.ru_maxrss / 1024, max_rss_mb = vm["max-rss-mb"].as<long>();
  const bool slow = rate < min_rate;
  const bool heavy = max_rss_mb > 0 && rss_mb > max_rss_mb;
  if (slow) std::printf("delivery: below the --min-rate of %.0f deliveries/s\n", min_rate);
  if (heavy) {
    std::printf("delivery: peak RSS %ld MB is above the --max-rss-mb of %ld\n", rss_mb, max_rss_mb);
  }
  return done == total && !slow && !heavy ? 0 : 1;
}
