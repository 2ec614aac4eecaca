// Pure delivery policy: what to do after an attempt, token-bucket rate limiting and the
// circuit breaker. Time is passed in (milliseconds); nothing here sleeps or reads a clock.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "connectors/http.h"

namespace yb::connectors {

enum class Outcome {
  kDelivered,  // 2xx
  kRetry,      // try again at `next_attempt_ms`
  kDead,       // permanent failure, or the schedule is exhausted
  kPause,      // the upstream said the endpoint is gone (410 by default): pause the connector
};

struct Decision {
  Outcome outcome = Outcome::kRetry;
  int64_t next_attempt_ms = 0;  // for kRetry
  std::string reason;           // for logs and the admin view, e.g. "HTTP 503", "timeout"
};

// Decides after attempt number `attempt` (1-based) got `resp` at `now_ms`. `jitter_unit` is a
// random number in [0,1) (injected for tests): the delay is scheduled * (1 ± jitter).
// Retry-After (seconds or HTTP date) is honoured when later than the schedule; after a
// timeout or 429 the delay is at least min_after_throttle_s.
Decision decide(const RetryPolicy& p, int attempt, const HttpResponse& resp, int64_t now_ms,
                double jitter_unit);

// Whether a status is permanent under the policy (default: 4xx except 408 and 429).
bool is_permanent(const RetryPolicy& p, int status);

// The delay a Retry-After value asks for, in milliseconds from `now_ms` (never negative):
// delta-seconds ("120") or an HTTP date in IMF-fixdate form ("Wed, 21 Oct 2015 07:28:00 GMT").
// nullopt when the value is neither. Pure.
std::optional<int64_t> retry_after_ms(const std::string& value, int64_t now_ms);

// Token bucket. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate_per_s, int burst, int64_t now_ms);
  // Takes a token if one is available; otherwise returns false and sets *wait_ms to when one
  // will be. A deferral is not an attempt.
  bool try_take(int64_t now_ms, int64_t* wait_ms);

 private:
  std::mutex mu_;
  double rate_per_ms_, tokens_, burst_;
  int64_t last_ms_;
};

// Circuit breaker: closed → open after `failures` consecutive failures → after `open_ms`
// one probe is let through (half-open) → closed on success, open again on failure.
// Thread-safe.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitBreaker(int failures, int64_t open_ms) : max_failures_(failures), open_ms_(open_ms) {}
  // May a request go now? In half-open, only one probe at a time is allowed.
  bool allow(int64_t now_ms);
  void on_success();
  void on_failure(int64_t now_ms);
  State state(int64_t now_ms);
  const char* state_name(int64_t now_ms);

 private:
  std::mutex mu_;
  int max_failures_;
  int64_t open_ms_;
  int failures_ = 0;
  State state_ = State::kClosed;
  int64_t opened_at_ms_ = 0;
  bool probe_in_flight_ = false;
  int64_t probe_at_ms_ = 0;  // when the half-open probe was let through
};

}  // namespace yb::connectors
