// A lean HTTP/1.1 load generator for the benchmarks: N keep-alive connections driven by ONE
// thread with epoll, each sending its next request as soon as the previous answer is in (a
// closed loop, like wrk). On a 2-core machine a thread per client would take CPU from the
// server being measured.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace yb::bench {

struct LoadResult {
  long ok = 0, bad = 0;            // answers with the expected status / any other outcome
  double seconds = 0;              // measured duration
  std::vector<double> latency_ms;  // of the ok answers, sorted
  std::string first_bad;           // status line or error of the first bad answer
  double cpu_seconds = 0;          // CPU time the load generator's thread used
  double percentile(double p) const;
};

// What a run measures besides its length: a warm-up on the same connections first, whose
// answers are not counted (errors are), and a call when the measured part begins.
struct Warmup {
  double seconds = 0;
  std::function<void()> on_measure;  // may be empty
};

// Runs `clients` connections to host:port for warmup.seconds + `seconds`. make_request(client,
// n) returns the complete request bytes (request line, headers with Content-Length, body) of
// the n-th request of that client; an answer counts as ok when its status equals ok_status.
// Only requests sent after the warm-up are counted and timed; `seconds` in the result is the
// measured part's.
LoadResult run_load(const std::string& host, int port, int clients, double seconds,
                    const std::function<std::string(int, long)>& make_request, int ok_status,
                    const Warmup& warmup = {});

// "POST path" with a JSON body and a bearer token, keep-alive.
std::string json_post(const std::string& path, const std::string& token, const std::string& body);

}  // namespace yb::bench
