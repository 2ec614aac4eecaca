// bench/ingest: durable submissions per second through the real gateway.
//
// Starts the gateway in-process (the same App wiring as `yibiao serve`, a real database file
// on disk with synchronous=FULL, real HTTP on loopback) unless --url points at a running one;
// then 64 keep-alive clients POST valid demo answers, each with a fresh client_id, for a
// warm-up (--warmup, 2 s, reported but not counted) and then a measured, bounded time
// (bench/loadgen.h: one epoll thread drives them all, so the load generator takes little CPU
// from the server). Prints accepted submissions/s, latency percentiles, errors and peak RSS.
// By default the clients send as fast as answers come (a closed loop: the most the gateway can
// do); --rate R offers R submissions/s in all instead (an open loop, Poisson arrivals, each
// latency counted from when its submission fell due): the latency cadres see at that rate.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <boost/program_options.hpp>

#include "admin/demo.h"
#include "bench/loadgen.h"
#include "core/crypto.h"
#include "core/group_commit.h"
#include "core/wal_buffer.h"
#include "gateway/app.h"

namespace po = boost::program_options;
using namespace yb;
using Json = nlohmann::json;
using Clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  po::options_description desc("bench/ingest options");
  desc.add_options()("url", po::value<std::string>(),
                     "host:port of a running gateway (default: start one)")(
      "user", po::value<std::string>()->default_value("cadre1"), "login")(
      "password", po::value<std::string>()->default_value("bench-Pass-2026"), "password")(
      "clients", po::value<int>()->default_value(64), "concurrent keep-alive clients")(
      "seconds", po::value<int>()->default_value(10), "how long to send, measured")(
      "warmup", po::value<double>()->default_value(2),
      "seconds of the same load before the measured run, not counted (0: none)")(
      "rate", po::value<double>()->default_value(0),
      "open loop: submissions per second offered in all, Poisson arrivals, latency counted "
      "from when each fell due (0: closed loop, as fast as the answers come)")(
      "connectors", po::value<int>()->default_value(4),
      "demo connectors each answer matches: 4 (the issue's shape: a resident without a "
      "disability, so the disabled persons' federation's `when` leaves it out) or 5 (all of "
      "them)")("threads", po::value<int>()->default_value(96),
               "server worker threads (in-process)")(
      "writer-priority", po::value<int>(),
      "nice steps the database writer runs above the other threads (in-process; default: the "
      "gateway's, --writer-priority)")("min-rps", po::value<double>()->default_value(0),
                                       "exit 1 below this rate (smoke runs)")("help",
                                                                              "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ingest: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  const int clients = vm["clients"].as<int>();
  const int matching = vm["connectors"].as<int>();
  if (matching != 4 && matching != 5) {
    std::cerr << "ingest: --connectors must be 4 or 5\n";
    return 2;
  }
  const int seconds = vm["seconds"].as<int>();
  std::string host = "127.0.0.1";
  int port = 0;

  SystemClock clock;
  std::unique_ptr<gateway::App> app;
  std::thread server;
  std::filesystem::path dir;
  if (vm.count("url")) {
    auto url = vm["url"].as<std::string>();
    auto colon = url.rfind(':');
    host = url.substr(0, colon);
    port = std::stoi(url.substr(colon + 1));
  } else {
    dir = std::filesystem::temp_directory_path() / ("yibiao-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    gateway::AppConfig cfg;
    cfg.db_path = (dir / "bench.db").string();
    cfg.server.port = 0;
    cfg.server.threads = vm["threads"].as<int>();
    if (vm.count("writer-priority")) cfg.writer_priority = vm["writer-priority"].as<int>();
    // The clients keep their connections for the whole run; the default limit of 1,000
    // requests a connection would close them mid-run above 6,400/s (run a gateway given with
    // --url with --keep-alive-max raised alike).
    cfg.server.keep_alive_max_requests = 1'000'000;
    cfg.demo = true;
    cfg.deliver = false;  // measured on its own by bench/delivery
    cfg.admin_password = "bench-Admin-2026";
    cfg.demo_password = vm["password"].as<std::string>();
    auto log =
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto a = gateway::App::create(cfg, clock, log);
    if (!a) {
      std::cerr << "ingest: " << a.error().message.en << "\n";
      return 1;
    }
    app = std::move(*a);
    auto p = app->bind();
    if (!p) return 1;
    port = *p;
    server = std::thread([&] { app->serve(); });
  }

  httplib::Client login(host, port);
  auto lr = login.Post("/api/v1/sessions",
                       Json{{"username", vm["user"].as<std::string>()},
                            {"password", vm["password"].as<std::string>()}}
                           .dump(),
                       "application/json");
  if (!lr || lr->status != 200) {
    std::cerr << "ingest: login failed\n";
    return 1;
  }
  const std::string token = Json::parse(lr->body)["token"];
  // An answer the demo connectors take: the civil affairs, medical insurance and rural
  // revitalisation upstreams and the population register's spreadsheet always, the disabled
  // persons' federation only for a resident with a disability (--connectors 5). Each
  // submission writes that many deliveries into the outbox in its transaction.
  Json values = admin::demo_sample_values(matching == 5 ? 3 : 1);
  values["welfare.low_income_status"] = "1";
  values["risk.type"] = Json::array({"1"});

  // The body is serialised once; each request only swaps in a fresh client_id.
  const std::string tmpl =
      Json{{"form", "resident_household"}, {"client_id", "@CID@"}, {"values", values}}.dump();
  const size_t cid_at = tmpl.find("@CID@");
  const std::string run_tag = std::to_string(getpid());
  // Answer ids as the web form makes them (app.js, crypto::sortable_ids): sorted by time, so
  // the run appends to the idempotency index like a county's cadres do. Drawn 64 at a time, to
  // keep the load generator's system calls down.
  std::vector<std::string> ids;
  size_t next_id = 0;
  auto next_request = [&](int, long) {
    if (next_id == ids.size()) {
      ids = crypto::sortable_ids("bench-" + run_tag + "-", clock.now_ms(), 64, 16);
      next_id = 0;
    }
    std::string body = tmpl;
    body.replace(cid_at, 5, ids[next_id++]);
    return bench::json_post("/api/v1/submissions", token, body);
  };
  auto pending_deliveries = [&]() -> long {
    if (!app) return 0;
    return app->database().with_conn([](db::Conn& c) -> long {
      auto q = c.prepare("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'");
      return q && q->step().ok() ? q->get_int(0) : -1;
    });
  };
  // The process's CPU time and the writer's figures around the measured part: what an answer
  // costs, which varies less from run to run than the rate on a shared machine.
  auto cpu_of = [](const struct rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  struct rusage ru {};
  double cpu_before = 0;
  db::GroupCommitWriter::Stats writer_before{};
  db::WalBufferStats wal_before{};
  long pending_before = 0;
  // A warm-up first, on the same connections: a server that has just started (empty caches, a
  // WAL file that grows with every commit until its first restart, 64 clients starting in
  // step) is not the steady state a county's gateway runs in. Its answers are not counted.
  bench::Warmup warmup{vm["warmup"].as<double>(), [&] {
                         getrusage(RUSAGE_SELF, &ru);
                         cpu_before = cpu_of(ru);
                         if (app) writer_before = app->writer().stats();
                         wal_before = db::wal_buffer_stats();
                         pending_before = pending_deliveries();
                       }};
  const double rate = vm["rate"].as<double>();
  auto lr2 = bench::run_load(host, port, clients, seconds, next_request, 201, warmup, rate);
  const double secs = lr2.seconds;
  getrusage(RUSAGE_SELF, &ru);  // CPU of the run here, peak RSS below
  const double cpu_run = cpu_of(ru) - cpu_before;
  const auto writer_after = app ? app->writer().stats() : db::GroupCommitWriter::Stats{};
  const auto wal_after = db::wal_buffer_stats();
  const long total_ok = lr2.ok, total_bad = lr2.bad;
  auto pct = [&](double p) { return lr2.percentile(p); };
  const auto& all = lr2.latency_ms;
  if (!lr2.first_bad.empty()) std::printf("ingest: first error: %s\n", lr2.first_bad.c_str());
  const double rps = total_ok / secs;
  bool shape_ok = true;  // every answer matched the connectors asked for
  if (app) {
    const long deliveries = pending_deliveries() - pending_before;
    std::printf("ingest: the run put %ld pending deliveries in the outbox (%.1f per submission)\n",
                deliveries, total_ok ? static_cast<double>(deliveries) / total_ok : 0.0);
    // Answers in flight at the start and the end of the measured time blur the count a little.
    if (total_ok > 0 && std::abs(static_cast<double>(deliveries) / total_ok - matching) > 0.05) {
      shape_ok = false;
      std::printf(
          "ingest: expected %d deliveries per submission (--connectors): the demo "
          "connectors no longer match the bench's answer\n",
          matching);
    }
    // The load generator's own thread is taken out: what is left is the gateway's.
    const double per = total_ok ? 1e6 / static_cast<double>(total_ok) : 0;
    const uint64_t batches = writer_after.batches - writer_before.batches;
    const uint64_t jobs = writer_after.jobs - writer_before.jobs;
    // Most of a write's latency is its wait for the writer: queued, then its batch to commit.
    std::printf("ingest: waiting for the writer (queued to committed): p50 %.2f ms, p99 %.2f ms\n",
                writer_after.wait_percentile_ms(0.50, &writer_before),
                writer_after.wait_percentile_ms(0.99, &writer_before));
    std::printf(
        "ingest: gateway CPU %.0f us per submission (load generator %.1f s of CPU left out); "
        "writer: %llu batches of %.1f jobs, busy %.0f %% of the run, %.0f us CPU per "
        "submission\n",
        (cpu_run - lr2.cpu_seconds) * per, lr2.cpu_seconds,
        static_cast<unsigned long long>(batches),
        batches ? static_cast<double>(jobs) / static_cast<double>(batches) : 0.0,
        100.0 * static_cast<double>(writer_after.busy_ns - writer_before.busy_ns) / 1e9 / secs,
        static_cast<double>(writer_after.cpu_ns - writer_before.cpu_ns) / 1e9 * per);
    // SQLite writes a WAL frame in two calls; the buffer (core/wal_buffer.h) makes a few.
    std::printf("ingest: WAL writes per batch: %.0f asked by SQLite, %.1f made\n",
                batches ? static_cast<double>(wal_after.asked - wal_before.asked) /
                              static_cast<double>(batches)
                        : 0.0,
                batches ? static_cast<double>(wal_after.written - wal_before.written) /
                              static_cast<double>(batches)
                        : 0.0);
  }
  // An open loop says what it offered, and whether the clients ever had to hold requests
  // back because every connection was waiting for an answer.
  const std::string loop =
      rate > 0 ? "open loop at " + std::to_string(std::lround(rate)) + "/s offered (" +
                     std::to_string(lr2.due) + " due, at most " + std::to_string(lr2.max_backlog) +
                     " waiting for a free connection" +
                     (lr2.reconnects ? ", " + std::to_string(lr2.reconnects) + " reconnects" : "") +
                     "), "
               : "closed loop, ";
  std::printf(
      "ingest: %d clients, %s%.1f s after a %.1f s warm-up: %ld accepted (%.0f submissions/s "
      "durable), %ld errors; "
      "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; peak RSS %ld MB%s\n",
      clients, loop.c_str(), secs, warmup.seconds, total_ok, rps, total_bad, pct(0.50), pct(0.99),
      all.empty() ? 0 : all.back(), ru.ru_maxrss / 1024,
      app ? " (gateway and load generator in one process)" : "");
  if (app) {
    app->stop();
    server.join();
    app.reset();
    std::filesystem::remove_all(dir);
  }
  return rps >= vm["min-rps"].as<double>() && total_bad == 0 && shape_ok ? 0 : 1;
}
