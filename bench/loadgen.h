// A lean HTTP/1.1 load generator for the benchmarks: N keep-alive connections driven by ONE
// thread with epoll. On a 2-core machine a thread per client would take CPU from the server
// being measured. Two ways to load it:
// - closed loop (like wrk): each connection sends its next request as soon as the previous
//   answer is in. This finds the most the server can do; its latency is then mostly queueing
//   (with N clients always waiting, the mean latency is N divided by the rate).
// - open loop (like wrk2), at a given rate: requests fall due at Poisson-distributed moments
//   (many cadres, each submitting on their own), whichever connection is free sends the next
//   one due, and a request's latency is counted from the moment it fell due, not from when a
//   free connection could send it: a server that falls behind is charged for the wait it
//   causes (no "coordinated omission").
#pragma once

#include <cstdint>
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
  // Open loop only: requests that fell due in the measured part, and the most that were due
  // at once with no free connection to send them (0: the server always kept up).
  long due = 0;
  size_t max_backlog = 0;
  // Connections the server had closed (keep-alive timeout) that were opened again; a request
  // caught on one is sent again, once.
  long reconnects = 0;
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
// Only requests sent (open loop: due) after the warm-up are counted and timed; `seconds` in the
// result is the measured part's, until its last answer. rate > 0: an open loop at that many
// requests per second in all (arrivals drawn from `seed`); 0: a closed loop.
LoadResult run_load(const std::string& host, int port, int clients, double seconds,
                    const std::function<std::string(int, long)>& make_request, int ok_status,
                    const Warmup& warmup = {}, double rate = 0, uint64_t seed = 1);

// "POST path" with a JSON body and a bearer token, keep-alive.
std::string json_post(const std::string& path, const std::string& token, const std::string& body);

}  // namespace yb::bench
