// yibiao: the gateway binary. Parses the command line, wires the components (through App),
// serves, and shuts down cleanly on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stop_token>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include "gateway/app.h"
#include "gateway/options.h"

namespace po = boost::program_options;
using namespace yb;

namespace {

constexpr const char* kVersion = "0.1.0";

const char* kUsage =
    "yibiao — 一表通 gateway: one form for village cadres, every upstream system served.\n"
    "\n"
    "usage:\n"
    "  yibiao serve [--db FILE] [--listen HOST:PORT] [--config FILE] [--demo] [options]\n"
    "  yibiao user add --db FILE --username U --role ROLE [--org CODE] [--display-name NAME]\n"
    "                  (the password is read from the first line of standard input)\n"
    "  yibiao sample-answer [--seed N]   (a valid answer to the demo form, as JSON)\n"
    "  yibiao audit verify --db FILE     (exit 0 when the audit chain is intact)\n"
    "  yibiao config export --db FILE OUT.json\n"
    "  yibiao config import --db FILE IN.json [--dry-run]\n"
    "  yibiao org import --db FILE UNITS.csv [--dry-run]   (code,name[,parent] per line)\n"
    "  yibiao --help | --version\n"
    "\n"
    "Environment: YIBIAO_ADMIN_PASSWORD (first-start admin), YIBIAO_DEMO_PASSWORD (demo users).\n";

// The log on standard error when it is a file or a pipe (a service manager, a log collector):
// lines are written in blocks, not one write() each (a line per request otherwise costs every
// request a system call). Warnings and errors are written at once; the rest at most a second
// later (LogFlusher), and at exit.
class BlockStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BlockStderrSink() { std::setvbuf(stderr, nullptr, _IOFBF, 1 << 16); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

// Flushes the log every second until destroyed.
class LogFlusher {
 public:
  explicit LogFlusher(std::shared_ptr<spdlog::logger> log)
      : thread_([log = std::move(log)](std::stop_token stop) {
          std::mutex mu;
          std::condition_variable_any cv;
          std::unique_lock lock(mu);
          while (!stop.stop_requested()) {
            cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
            log->flush();
          }
        }) {}

 private:
  std::jthread thread_;
};

std::shared_ptr<spdlog::logger> make_log() {
  if (isatty(STDERR_FILENO)) return spdlog::stderr_color_mt("yibiao");
  auto log = std::make_shared<spdlog::logger>("yibiao", std::make_shared<BlockStderrSink>());
  log->flush_on(spdlog::level::warn);
  return log;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

po::options_description serve_description() {
  po::options_description d("serve options");
  for (const auto& o : gateway::serve_options()) {
    std::string help = o.help;
    if (*o.default_value) help += " (default " + std::string(o.default_value) + ")";
    if (o.flag) {
      d.add_options()(o.name, po::bool_switch(), help.c_str());
    } else if (*o.default_value) {
      d.add_options()(o.name, po::value<std::string>()->default_value(o.default_value),
                      help.c_str());
    } else {
      d.add_options()(o.name, po::value<std::string>(), help.c_str());
    }
  }
  return d;
}

// Parses an integer option within bounds, or throws a message naming the option.
long long int_option(const po::variables_map& vm, const char* name, long long lo, long long hi) {
  const std::string s = vm[name].as<std::string>();
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (...) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < lo || v > hi) {
    throw po::error("option --" + std::string(name) + " must be a whole number from " +
                    std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + s + "'");
  }
  return v;
}

int serve(int argc, char** argv) {
  po::options_description desc = serve_description();
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << desc << "\n";
    return 0;
  }
  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    std::ifstream in(path);
    if (!in) throw po::error("cannot read config file " + path);
    po::store(po::parse_config_file(in, desc, /*allow_unregistered=*/false), vm);
  }
  po::notify(vm);

  gateway::AppConfig cfg;
  cfg.db_path = vm["db"].as<std::string>();
  const std::string listen = vm["listen"].as<std::string>();
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw po::error("option --listen must be HOST:PORT, not '" + listen + "'");
  }
  cfg.server.host = listen.substr(0, colon);
  {
    po::variables_map one;
    one.emplace("listen-port", po::variable_value(listen.substr(colon + 1), false));
    cfg.server.port = static_cast<int>(int_option(one, "listen-port", 0, 65535));
  }
  cfg.server.threads = static_cast<int>(int_option(vm, "threads", 2, 4096));
  cfg.server.max_body_bytes = static_cast<size_t>(int_option(vm, "max-body", 1024, 1LL << 30));
  cfg.server.max_json_depth = static_cast<int>(int_option(vm, "max-json-depth", 4, 512));
  cfg.server.read_timeout_s = static_cast<int>(int_option(vm, "read-timeout", 1, 3600));
  cfg.server.write_timeout_s = static_cast<int>(int_option(vm, "write-timeout", 1, 3600));
  cfg.server.keep_alive_timeout_s = static_cast<int>(int_option(vm, "keep-alive-timeout", 1, 3600));
  cfg.server.keep_alive_max_requests =
      static_cast<int>(int_option(vm, "keep-alive-max", 1, 1'000'000));
  cfg.server.listen_backlog = static_cast<int>(int_option(vm, "listen-backlog", 1, 65535));
  cfg.accounts.session_idle_s = int_option(vm, "session-idle", 60, 86400 * 30);
  cfg.accounts.session_max_s = int_option(vm, "session-max", 60, 86400 * 365);
  cfg.accounts.login_max_failures = static_cast<int>(int_option(vm, "login-max-failures", 1, 1000));
  cfg.accounts.login_window_s = int_option(vm, "login-window", 1, 86400);
  cfg.db.pool_size = static_cast<int>(int_option(vm, "db-pool", 1, 64));
  cfg.engine.workers = static_cast<int>(int_option(vm, "delivery-workers", 0, 256));
  cfg.deliver = cfg.engine.workers > 0;
  cfg.engine.lease_ms = int_option(vm, "delivery-lease", 10, 86400) * 1000;
  cfg.writer_priority = static_cast<int>(int_option(vm, "writer-priority", 0, 20));
  cfg.demo = vm["demo"].as<bool>();
  // The demo lets test and accessibility tools inject <script> elements (docs/api.md, web pages).
  cfg.server.web_allow_injected_scripts = cfg.demo;
  if (vm.count("tls-cert")) cfg.server.tls_cert = vm["tls-cert"].as<std::string>();
  if (vm.count("tls-key")) cfg.server.tls_key = vm["tls-key"].as<std::string>();
  if (cfg.server.tls_cert.empty() != cfg.server.tls_key.empty()) {
    throw po::error("options --tls-cert and --tls-key go together");
  }
  if (vm.count("metrics-token")) {
    cfg.server.metrics_token = vm["metrics-token"].as<std::string>();
    if (cfg.server.metrics_token.size() < 16) {
      throw po::error("option --metrics-token must be at least 16 characters");
    }
  }
  if (vm.count("trusted-proxy")) {
    std::stringstream list(vm["trusted-proxy"].as<std::string>());
    for (std::string a; std::getline(list, a, ',');) {
      if (!a.empty()) cfg.server.trusted_proxies.push_back(a);
    }
  }
  // At least six months: the retention the audit duty requires.
  cfg.audit_retention_days = int_option(vm, "audit-retention-days", 183, 36500);
  cfg.admin_password = env_or_empty("YIBIAO_ADMIN_PASSWORD");
  cfg.demo_password = env_or_empty("YIBIAO_DEMO_PASSWORD");
  const auto level = spdlog::level::from_str(vm["log-level"].as<std::string>());
  if (level == spdlog::level::off && vm["log-level"].as<std::string>() != "off") {
    throw po::error("option --log-level must be trace, debug, info, warn, error or off");
  }

  auto log = make_log();
  log->set_level(level);
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  // Block the shutdown signals in every thread; one thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  LogFlusher flusher(log);  // after the mask: its thread must not take the signals

  SystemClock clock;
  auto app = gateway::App::create(cfg, clock, log);
  if (!app) {
    std::cerr << "yibiao: cannot start: " << app.error().message.en << "\n";
    return 1;
  }
  auto port = (*app)->bind();
  if (!port) {
    std::cerr << "yibiao: " << port.error().message.en << "\n";
    return 1;
  }
  const auto& boot = (*app)->bootstrap();
  if (boot.created) {
    if (boot.password_generated) {
      std::cout << "Created user admin (system_admin). Its password, shown only now: "
                << boot.password << "\n";
    } else {
      std::cout
          << "Created user admin (system_admin) with the password in YIBIAO_ADMIN_PASSWORD.\n";
    }
  }
  const std::string url = (cfg.server.tls_cert.empty() ? "http://" : "https://") + cfg.server.host +
                          ":" + std::to_string(*port) + "/";
  if (cfg.demo) {
    const auto& demo = (*app)->demo();
    std::cout << "Demo county ready. Logins (role, org unit):\n";
    for (const auto& l : demo.logins) {
      std::cout << "  " << l.username << "  (" << l.role << ", " << l.org_name << ")\n";
    }
    if (!(*app)->generated_demo_password().empty()) {
      std::cout << "Demo password, shown only now: " << (*app)->generated_demo_password() << "\n";
    } else if (!cfg.demo_password.empty() && demo.seeded) {
      std::cout << "Demo password: the value of YIBIAO_DEMO_PASSWORD.\n";
    } else if (!demo.seeded) {
      std::cout << "Demo users already existed; their password is the one set when they were "
                   "created.\n";
    }
  }
  std::cout << "Yibiao " << kVersion << " listening on " << url << std::endl;
  log->info("listening on {}:{} (db {})", cfg.server.host, *port, cfg.db_path);
  log->flush();

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log->info("signal {} received: finishing in-flight requests", sig);
    (*app)->stop();
  });
  (*app)->serve();
  // serve() also returns if the listener fails; wake the waiter so it can be joined.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  app->reset();  // drains the writer, closes the database
  log->info("stopped cleanly");
  return 0;
}

int user_add(int argc, char** argv) {
  po::options_description desc("user add options");
  desc.add_options()("db", po::value<std::string>()->required(), "database file")(
      "username", po::value<std::string>()->required(), "login name (3-32 of a-z 0-9 _ . -)")(
      "role", po::value<std::string>()->required(),
      "cadre, county_admin, security_admin, auditor or system_admin")(
      "org", po::value<std::string>(), "12-digit org unit code (omit only for system_admin)")(
      "display-name", po::value<std::string>()->default_value(""), "name shown in the UI")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: yibiao user add --db FILE --username U --role ROLE [--org CODE]\n"
                 "The password is read from the first line of standard input.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  auto role = admin::role_from_string(vm["role"].as<std::string>());
  if (!role)
    throw po::error(
        "option --role must be cadre, county_admin, security_admin, auditor or system_admin");
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();

  auto db = db::Database::open(vm["db"].as<std::string>(), {});
  if (!db) {
    std::cerr << "yibiao: " << db.error().message.en << "\n";
    return 1;
  }
  SystemClock clock;
  admin::Accounts accounts(**db, clock, {});
  std::optional<std::string> org;
  if (vm.count("org")) org = vm["org"].as<std::string>();
  auto u = accounts.add_user(vm["username"].as<std::string>(), password, *role, org,
                             vm["display-name"].as<std::string>());
  if (!u) {
    std::cerr << "yibiao: " << u.error().message.en << "\n";
    for (const auto& d : u.error().details)
      std::cerr << "  " << d.path << ": " << d.message.en << "\n";
    return 1;
  }
  std::cout << "Added user " << u->username << " (" << admin::to_string(u->role) << ")\n";
  return 0;
}

// Prints a valid, realistic answer to the demo form: for the README's tour, scripts and tests.
int sample_answer(int argc, char** argv) {
  po::options_description desc("sample-answer options");
  desc.add_options()("seed", po::value<int>()->default_value(1), "which resident (any number)")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: yibiao sample-answer [--seed N]\n\n" << desc << "\n";
    return 0;
  }
  po::notify(vm);
  std::cout << nlohmann::json{{"form", "resident_household"},
                              {"values", admin::demo_sample_values(vm["seed"].as<int>())}}
                   .dump(2, ' ', false)
            << "\n";
  return 0;
}

// Opens the database and the pieces configuration import/export needs, without serving.
struct Offline {
  std::unique_ptr<db::Database> db;
  std::unique_ptr<db::GroupCommitWriter> writer;
  SystemClock clock;
  std::unique_ptr<admin::Accounts> accounts;
  std::unique_ptr<admin::Catalog> catalog;
  std::unique_ptr<connectors::ConnectorRegistry> registry;
  std::unique_ptr<connectors::ConnectorStore> store;
  std::unique_ptr<connectors::HostAllowlist> hosts;
  std::unique_ptr<admin::AuditLog> audit;
  std::unique_ptr<admin::ConfigIO> io;
  ~Offline() {
    if (writer) writer->stop();
  }
};

Result<std::unique_ptr<Offline>> open_offline(const std::string& path) {
  auto o = std::make_unique<Offline>();
  auto db = db::Database::open(path, {});
  if (!db) return db.take_error();
  o->db = std::move(*db);
  auto w = db::GroupCommitWriter::start(*o->db);
  if (!w) return w.take_error();
  o->writer = std::move(*w);
  o->accounts = std::make_unique<admin::Accounts>(*o->db, o->clock, admin::AccountsOptions{});
  o->catalog = std::make_unique<admin::Catalog>(*o->db, o->clock);
  o->registry = std::make_unique<connectors::ConnectorRegistry>();
  connectors::register_builtin_connectors(*o->registry);
  o->store = std::make_unique<connectors::ConnectorStore>(
      *o->db, *o->registry,
      [cat = o->catalog.get()]() -> std::shared_ptr<const forms::Dictionary> {
        auto d = cat->dictionary();
        return d ? *d : nullptr;
      },
      o->clock);
  o->hosts = std::make_unique<connectors::HostAllowlist>(*o->db, o->clock);
  o->audit = std::make_unique<admin::AuditLog>(*o->db, *o->writer, o->clock);
  o->io = std::make_unique<admin::ConfigIO>(*o->db, *o->accounts, *o->catalog, *o->store,
                                            *o->registry, *o->hosts);
  return o;
}

void print_error(const Error& e) {
  std::cerr << "yibiao: " << e.message.zh << " / " << e.message.en << "\n";
  for (const auto& d : e.details) {
    std::cerr << "  " << d.path << ": " << d.message.zh << " / " << d.message.en << "\n";
  }
}

std::string local_actor() {
  const char* u = std::getenv("USER");
  return std::string("cli:") + (u ? u : "unknown");
}

int audit_cmd(int argc, char** argv) {
  po::options_description desc("audit verify options");
  desc.add_options()("db", po::value<std::string>()->required(), "database file")("help,h",
                                                                                  "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: yibiao audit verify --db FILE\n"
                 "Walks the hash chain of the audit log; exits 0 when intact, 1 naming the\n"
                 "first edited or missing record.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  const std::string path = vm["db"].as<std::string>();
  if (!std::ifstream(path)) {
    std::cerr << "yibiao: no database file " << path << "\n";
    return 2;
  }
  auto db = db::Database::open(path, {});
  if (!db) {
    print_error(db.error());
    return 2;
  }
  auto rep = admin::AuditLog::verify(**db);
  if (!rep) {
    print_error(rep.error());
    return 2;
  }
  if (!rep->ok) {
    std::cout << "audit chain BROKEN at record " << rep->first_bad_seq << ": " << rep->problem
              << "\n审计记录链在第 " << rep->first_bad_seq << " 条处断开（被修改或删除）\n";
    return 1;
  }
  std::cout << "audit chain intact: " << rep->records << " records, head " << rep->head_seq << " "
            << rep->head_hash << "\n";
  return 0;
}

int config_cmd(const std::string& verb, int argc, char** argv) {
  po::options_description desc("config options");
  desc.add_options()("db", po::value<std::string>()->required(), "database file")(
      "file", po::value<std::string>()->required(), "the JSON configuration file")(
      "dry-run", po::bool_switch(), "import: show the changes, apply none")("help,h",
                                                                            "show this help");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: yibiao config export --db FILE OUT.json\n"
                 "       yibiao config import --db FILE IN.json [--dry-run]\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  const std::string file = vm["file"].as<std::string>();
  auto off = open_offline(vm["db"].as<std::string>());
  if (!off) {
    print_error(off.error());
    return 1;
  }
  auto& o = **off;
  if (verb == "export") {
    auto cfg = o.io->export_config();
    (void)o.audit->record({local_actor(), "", "config.export", file, "cli", cfg ? "ok" : "failed"});
    if (!cfg) {
      print_error(cfg.error());
      return 1;
    }
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << admin::ConfigIO::to_text(*cfg);
    if (!out.flush()) {
      std::cerr << "yibiao: cannot write " << file << "\n";
      return 1;
    }
    std::cout << "exported to " << file << "\n";
    return 0;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "yibiao: cannot read " << file << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded()) {
    std::cerr << "yibiao: " << file << " 不是有效的 JSON / is not valid JSON\n";
    return 1;
  }
  const bool dry = vm["dry-run"].as<bool>();
  auto r = o.io->import_config(doc, dry);
  (void)o.audit->record({local_actor(), "", dry ? "config.import_dry_run" : "config.import", file,
                         "cli", r ? "ok" : "invalid"});
  if (!r) {
    print_error(r.error());
    return 1;
  }
  std::cout << (*r)["text"].get<std::string>();
  std::cout << (dry ? "dry run: nothing changed\n"
                    : ((*r)["applied"].get<bool>() ? "applied\n" : ""));
  return 0;
}

int org_cmd(int argc, char** argv) {
  po::options_description desc("org import options");
  desc.add_options()("db", po::value<std::string>()->required(), "database file")(
      "file", po::value<std::string>()->required(), "the CSV file: code,name[,parent] per line")(
      "dry-run", po::bool_switch(), "show the changes, apply none")("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: yibiao org import --db FILE UNITS.csv [--dry-run]\n"
                 "Imports the administrative-division tree: 12-digit codes, names, optional\n"
                 "parents (derived from the code when empty). Every bad line is reported with\n"
                 "its number and nothing is imported; importing the same file again changes\n"
                 "nothing.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  const std::string file = vm["file"].as<std::string>();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "yibiao: cannot read " << file << "\n";
    return 1;
  }
  // Read at most one byte over the limit: the service refuses it without reading the rest.
  std::string text(admin::kMaxOrgCsvBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto off = open_offline(vm["db"].as<std::string>());
  if (!off) {
    print_error(off.error());
    return 1;
  }
  auto& o = **off;
  admin::OrgUnitAdmin orgs(*o.db, *o.accounts, *o.audit);
  admin::User cli_user;
  cli_user.username = local_actor();
  cli_user.role = admin::Role::kSystemAdmin;
  const bool dry = vm["dry-run"].as<bool>();
  auto r = orgs.import_csv({cli_user, "cli"}, text, dry);
  if (!r) {
    print_error(r.error());
    return 1;
  }
  for (const auto& ch : (*r)["changes"]) {
    std::cout << (ch["change"] == "add" ? "+ " : "~ ") << ch["code"].get<std::string>() << " "
              << ch["name"].get<std::string>() << " (" << ch["level"].get<std::string>()
              << (ch["parent_code"].is_string() ? ", parent " + ch["parent_code"].get<std::string>()
                                                : std::string(", root"))
              << ")\n";
  }
  std::cout << (*r)["added"] << " added, " << (*r)["renamed"] << " renamed, " << (*r)["unchanged"]
            << " unchanged\n"
            << (dry ? "dry run: nothing changed\n"
                    : ((*r)["applied"].get<bool>() ? "applied\n" : ""));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << kUsage;
      return 2;
    }
    const std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage << "\n" << serve_description() << "\n";
      return 0;
    }
    if (cmd == "--version" || cmd == "-V") {
      std::cout << "yibiao " << kVersion << "\n";
      return 0;
    }
    if (cmd == "serve") return serve(argc - 1, argv + 1);
    if (cmd == "sample-answer") return sample_answer(argc - 1, argv + 1);
    if (cmd == "audit" && argc >= 3 && std::string(argv[2]) == "verify") {
      return audit_cmd(argc - 2, argv + 2);
    }
    if (cmd == "config" && argc >= 3 &&
        (std::string(argv[2]) == "export" || std::string(argv[2]) == "import")) {
      return config_cmd(argv[2], argc - 2, argv + 2);
    }
    if (cmd == "org" && argc >= 3 && std::string(argv[2]) == "import") {
      return org_cmd(argc - 2, argv + 2);
    }
    if (cmd == "user" && argc >= 3 && std::string(argv[2]) == "add") {
      return user_add(argc - 2, argv + 2);
    }
    std::cerr << "yibiao: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "yibiao: " << e.what() << "\n(see yibiao --help)\n";
    return 2;
  }
}
