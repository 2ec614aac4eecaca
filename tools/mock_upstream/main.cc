// mock-upstream: command line, server set-up and signal handling. See docs/mock-upstream.md.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <boost/program_options.hpp>

#include "connectors/delivery/signing.h"
#include "tools/mock_upstream/mock_upstream.h"

namespace po = boost::program_options;
using yb::mock::Json;

namespace {

constexpr size_t kPayloadMax = 16u << 20;

bool read_json_file(const std::string& path, Json* out, std::string* err) {
  std::ifstream in(path);
  if (!in) {
    *err = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *out = Json::parse(ss.str(), nullptr, false);
  if (out->is_discarded()) {
    *err = path + " is not valid JSON";
    return false;
  }
  return true;
}

bool valid_secret(const std::string& s) {
  return yb::connectors::webhook_signature(s, "x", 0, "").ok();
}

int run(int argc, char** argv) {
  std::string listen = "127.0.0.1:0", log, script_path, secret, secrets_file;
  size_t max_records = 100000, threads = 64;
  po::options_description desc(
      "mock-upstream: a scriptable upstream system that records what it receives\n"
      "usage: mock-upstream --listen 127.0.0.1:PORT [options]\noptions");
  desc.add_options()("help,h", "show this help")("listen",
                                                 po::value(&listen)->default_value(listen),
                                                 "HOST:PORT to listen on; port 0 = any free port")(
      "log", po::value(&log), "append every request as a JSON line to this file")(
      "script", po::value(&script_path), "JSON file of scripted answers (docs/mock-upstream.md)")(
      "secret", po::value(&secret),
      "whsec_... secret: verify Standard Webhooks signatures on every path")(
      "secrets-file", po::value(&secrets_file),
      "JSON file {\"civil_affairs\": \"whsec_...\"}: a secret per path")(
      "demo", po::bool_switch(),
      "the four demo upstream systems and a page at / listing what they received")(
      "max-records", po::value(&max_records)->default_value(max_records),
      "requests kept in memory for the control API (the log keeps all)")(
      "threads", po::value(&threads)->default_value(threads),
      "server threads; each keep-alive client holds one while connected");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "mock-upstream: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }

  yb::mock::Options opts;
  opts.log_path = log;
  opts.demo = vm["demo"].as<bool>();
  opts.max_records = max_records;
  if (!secret.empty()) {
    if (!valid_secret(secret)) {
      std::cerr << "mock-upstream: --secret is not \"whsec_\" followed by base64\n";
      return 2;
    }
    opts.secret = secret;
  }
  std::string err;
  if (!secrets_file.empty()) {
    Json j;
    if (!read_json_file(secrets_file, &j, &err)) {
      std::cerr << "mock-upstream: " << err << "\n";
      return 2;
    }
    if (!j.is_object()) {
      std::cerr << "mock-upstream: " << secrets_file << " must be a JSON object\n";
      return 2;
    }
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string() || !valid_secret(v.get<std::string>())) {
        std::cerr << "mock-upstream: the secret for \"" << k << "\" in " << secrets_file
                  << " is not \"whsec_\" followed by base64\n";
        return 2;
      }
      opts.secrets[k.starts_with("/") ? k : "/" + k] = v.get<std::string>();
    }
  }

  const auto colon = listen.rfind(':');
  int port = -1;
  std::string host = listen.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
    }
  }
  if (colon == std::string::npos || host.empty() || port < 0 || port > 65535) {
    std::cerr << "mock-upstream: --listen must be HOST:PORT\n";
    return 2;
  }

  yb::mock::MockUpstream mock(opts);
  if (!mock.open_log(&err)) {
    std::cerr << "mock-upstream: " << err << "\n";
    return 2;
  }
  if (!script_path.empty()) {
    Json j;
    if (!read_json_file(script_path, &j, &err) || !mock.set_script(j, &err)) {
      std::cerr << "mock-upstream: " << err << "\n";
      return 2;
    }
  }

  // SIGINT/SIGTERM are taken by one thread with sigtimedwait, which stops the server; every
  // other thread (httplib's pool included) inherits the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  httplib::Server srv;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(std::max<size_t>(threads, 2)); };
  srv.set_tcp_nodelay(true);  // Debian's build leaves Nagle on: ~40 ms per keep-alive answer
  srv.set_keep_alive_max_count(1'000'000);
  srv.set_payload_max_length(kPayloadMax);
  mock.install(srv);

  if (port == 0) {
    port = srv.bind_to_any_port(host);
    if (port <= 0) {
      std::cerr << "mock-upstream: cannot listen on " << host << "\n";
      return 1;
    }
  } else if (!srv.bind_to_port(host, port)) {
    std::cerr << "mock-upstream: cannot listen on " << listen << "\n";
    return 1;
  }
  std::cout << "mock-upstream listening on http://" << host << ":" << port << std::endl;

  std::atomic<bool> done{false};
  std::thread sig_thread([&] {
    const timespec tick{0, 100'000'000};
    while (!done.load()) {
      if (sigtimedwait(&sigs, nullptr, &tick) > 0) {
        srv.stop();
        // httplib waits for idle keep-alive clients (up to 5 s) before listen returns; the
        // log is flushed after every record, so after a short grace period just exit.
        for (int i = 0; i < 10 && !done.load(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (!done.load()) std::_Exit(0);
        return;
      }
    }
  });
  srv.listen_after_bind();  // returns when stopped
  done = true;
  sig_thread.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mock-upstream: " << e.what() << "\n";
    return 1;
  }
}
