// Retry decisions, Retry-After, token bucket and circuit breaker — all with injected times.
#include "connectors/delivery/policy.h"

#include <doctest/doctest.h>

namespace yb::connectors {
namespace {

constexpr int64_t kNow = 1'795'737'600'000;  // 2026-11-27T00:00:00Z

HttpResponse status(int s) {
  HttpResponse r;
  r.status = s;
  return r;
}

HttpResponse transport(const std::string& error, bool timed_out = false) {
  HttpResponse r;
  r.error = error;
  r.timed_out = timed_out;
  return r;
}

}  // namespace

TEST_CASE("2xx is delivered") {
  RetryPolicy p;
  for (int s : {200, 201, 202, 204}) {
    auto d = decide(p, 1, status(s), kNow, 0.5);
    CHECK(d.outcome == Outcome::kDelivered);
  }
  CHECK(decide(p, 1, status(201), kNow, 0.5).reason == "HTTP 201");
}

TEST_CASE("default schedule: each step, jitter bounds, dead after the last") {
  RetryPolicy p;
  const std::vector<int64_t> expected_s = {5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400};
  REQUIRE(p.schedule_s.size() == 10);
  for (size_t i = 0; i < expected_s.size(); ++i) {
    const int attempt = static_cast<int>(i) + 1;
    CAPTURE(attempt);
    const int64_t base = expected_s[i] * 1000;
    // u = 0.5: exactly the schedule.
    auto mid = decide(p, attempt, status(503), kNow, 0.5);
    CHECK(mid.outcome == Outcome::kRetry);
    CHECK(mid.reason == "HTTP 503");
    CHECK(mid.next_attempt_ms == kNow + base);
    // u = 0: -20 %.
    auto lo = decide(p, attempt, status(503), kNow, 0.0);
    CHECK(lo.next_attempt_ms == kNow + base * 8 / 10);
    // u -> 1: just under +20 %.
    auto hi = decide(p, attempt, status(503), kNow, 0.999999);
    CHECK(hi.next_attempt_ms <= kNow + base * 12 / 10);
    CHECK(hi.next_attempt_ms >= kNow + base * 12 / 10 - base / 1000);
  }
  auto dead = decide(p, 10, status(503), kNow, 0.5);
  CHECK(dead.outcome == Outcome::kDead);
  CHECK(dead.reason.starts_with("HTTP 503"));
  CHECK(decide(p, 11, status(500), kNow, 0.5).outcome == Outcome::kDead);
}

TEST_CASE("jitter bounds hold for every u") {
  RetryPolicy p;
  for (double u = 0; u < 1; u += 0.01) {
    auto d = decide(p, 2, status(500), kNow, u);
    CHECK(d.next_attempt_ms >= kNow + 240'000);
    CHECK(d.next_attempt_ms <= kNow + 360'000);
  }
}

TEST_CASE("transport errors are retried with their reason") {
  RetryPolicy p;
  auto d = decide(p, 1, transport("connection refused"), kNow, 0.5);
  CHECK(d.outcome == Outcome::kRetry);
  CHECK(d.reason == "connection refused");
  CHECK(d.next_attempt_ms == kNow + 5000);
}

TEST_CASE("at least min_after_throttle_s after a timeout or a 429") {
  RetryPolicy p;
  auto t = decide(p, 1, transport("timeout", true), kNow, 0.5);
  CHECK(t.outcome == Outcome::kRetry);
  CHECK(t.reason == "timeout");
  CHECK(t.next_attempt_ms == kNow + 60'000);
  auto r = decide(p, 1, status(429), kNow, 0.0);
  CHECK(r.outcome == Outcome::kRetry);
  CHECK(r.next_attempt_ms == kNow + 60'000);
  // A later schedule step is longer than the floor and wins.
  CHECK(decide(p, 2, status(429), kNow, 0.5).next_attempt_ms == kNow + 300'000);
  // 503 is not a throttle: the schedule alone.
  CHECK(decide(p, 1, status(503), kNow, 0.5).next_attempt_ms == kNow + 5000);
}

TEST_CASE("Retry-After in seconds and as an HTTP date") {
  RetryPolicy p;
  auto r = status(503);
  r.headers = {{"retry-after", "120"}};
  CHECK(decide(p, 1, r, kNow, 0.5).next_attempt_ms == kNow + 120'000);
  // Shorter than the schedule: the schedule wins.
  r.headers = {{"Retry-After", "2"}};
  CHECK(decide(p, 1, r, kNow, 0.5).next_attempt_ms == kNow + 5000);
  // 429 with Retry-After: 90 s > the 60 s floor.
  auto t = status(429);
  t.headers = {{"Retry-After", " 90 "}};
  CHECK(decide(p, 1, t, kNow, 0.5).next_attempt_ms == kNow + 90'000);
  // HTTP date 10 minutes after kNow (2026-11-27T00:00:00Z is a Friday).
  r.headers = {{"Retry-After", "Fri, 27 Nov 2026 00:10:00 GMT"}};
  CHECK(decide(p, 1, r, kNow, 0.5).next_attempt_ms == kNow + 600'000);
  // Capped at the longest step of the schedule.
  r.headers = {{"Retry-After", "99999999"}};
  CHECK(decide(p, 1, r, kNow, 0.5).next_attempt_ms == kNow + 86'400'000);
  // Garbage is ignored.
  r.headers = {{"Retry-After", "soon"}};
  CHECK(decide(p, 1, r, kNow, 0.5).next_attempt_ms == kNow + 5000);
}

TEST_CASE("retry_after_ms parses both forms") {
  CHECK(retry_after_ms("0", kNow) == 0);
  CHECK(retry_after_ms("17", kNow) == 17'000);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000) == 0);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 1500) == 1500);
  CHECK(retry_after_ms("Fri, 27 Nov 2026 00:00:30 GMT", kNow) == 30'000);
  CHECK(retry_after_ms("Fri, 27 Nov 2026 00:00:30 GMT", kNow + 60'000) == 0);  // in the past
  CHECK_FALSE(retry_after_ms("", kNow));
  CHECK_FALSE(retry_after_ms("-5", kNow));
  CHECK_FALSE(retry_after_ms("1.5", kNow));
  CHECK_FALSE(retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", kNow));
  CHECK_FALSE(retry_after_ms("Fri, 27 Foo 2026 00:00:30 GMT", kNow));
  CHECK_FALSE(retry_after_ms("Fri, 27 Nov 2026 25:00:30 GMT", kNow));
}

TEST_CASE("permanent statuses: dead without retry; 408 and 429 retried; 410 pauses") {
  RetryPolicy p;
  for (int s : {400, 401, 403, 404, 409, 413, 422}) {
    CAPTURE(s);
    CHECK(is_permanent(p, s));
    auto d = decide(p, 1, status(s), kNow, 0.5);
    CHECK(d.outcome == Outcome::kDead);
    CHECK(d.reason == "HTTP " + std::to_string(s));
  }
  for (int s : {408, 429, 500, 502, 503, 504}) {
    CAPTURE(s);
    CHECK_FALSE(is_permanent(p, s));
    CHECK(decide(p, 1, status(s), kNow, 0.5).outcome == Outcome::kRetry);
  }
  auto gone = decide(p, 1, status(410), kNow, 0.5);
  CHECK(gone.outcome == Outcome::kPause);
  CHECK(gone.reason == "HTTP 410");
}

TEST_CASE("an explicit permanent list replaces the default rule") {
  RetryPolicy p;
  p.permanent_statuses = {400, 422, 501};
  CHECK(decide(p, 1, status(400), kNow, 0.5).outcome == Outcome::kDead);
  CHECK(decide(p, 1, status(501), kNow, 0.5).outcome == Outcome::kDead);
  CHECK(decide(p, 1, status(404), kNow, 0.5).outcome == Outcome::kRetry);
  CHECK(decide(p, 1, status(500), kNow, 0.5).outcome == Outcome::kRetry);
  p.pause_statuses = {};
  CHECK(decide(p, 1, status(410), kNow, 0.5).outcome == Outcome::kRetry);
}

TEST_CASE("a custom schedule and jitter") {
  RetryPolicy p;
  p.schedule_s = {0, 1, 2};
  p.jitter = 0;
  CHECK(decide(p, 1, status(500), kNow, 0.0).next_attempt_ms == kNow + 1000);
  CHECK(decide(p, 2, status(500), kNow, 0.9).next_attempt_ms == kNow + 2000);
  CHECK(decide(p, 3, status(500), kNow, 0.5).outcome == Outcome::kDead);
}

TEST_CASE("TokenBucket: burst, refill, wait time") {
  TokenBucket b(10, 3, kNow);  // 10/s = one token per 100 ms
  int64_t wait = -1;
  CHECK(b.try_take(kNow, &wait));
  CHECK(wait == 0);
  CHECK(b.try_take(kNow, &wait));
  CHECK(b.try_take(kNow, &wait));
  CHECK_FALSE(b.try_take(kNow, &wait));
  CHECK(wait == 100);
  CHECK_FALSE(b.try_take(kNow + 40, &wait));
  CHECK(wait == 60);
  CHECK(b.try_take(kNow + 100, &wait));
  CHECK_FALSE(b.try_take(kNow + 100, &wait));
  // A long pause refills only up to the burst.
  for (int i = 0; i < 3; ++i) CHECK(b.try_take(kNow + 60'000, &wait));
  CHECK_FALSE(b.try_take(kNow + 60'000, &wait));
  // Time going backwards neither adds tokens nor breaks the bucket.
  CHECK_FALSE(b.try_take(kNow, &wait));
  CHECK(wait > 0);
  CHECK(b.try_take(kNow + 60'100, nullptr));
}

TEST_CASE("TokenBucket: a steady rate is honoured over time") {
  TokenBucket b(50, 1, kNow);
  int taken = 0;
  for (int64_t t = kNow; t < kNow + 10'000; t += 1) {
    int64_t w;
    if (b.try_take(t, &w)) ++taken;
  }
  CHECK(taken >= 500);
  CHECK(taken <= 501);
}

TEST_CASE("CircuitBreaker: opens after N failures, one half-open probe, closes on success") {
  CircuitBreaker cb(3, 30'000);
  CHECK(cb.state(kNow) == CircuitBreaker::State::kClosed);
  CHECK(std::string(cb.state_name(kNow)) == "closed");
  cb.on_failure(kNow);
  cb.on_failure(kNow);
  cb.on_success();  // consecutive failures only
  cb.on_failure(kNow);
  cb.on_failure(kNow);
  CHECK(cb.allow(kNow));
  cb.on_failure(kNow);
  CHECK(cb.state(kNow) == CircuitBreaker::State::kOpen);
  CHECK(std::string(cb.state_name(kNow)) == "open");
  CHECK_FALSE(cb.allow(kNow));
  CHECK_FALSE(cb.allow(kNow + 29'999));
  // Half-open: exactly one probe.
  CHECK(cb.allow(kNow + 30'000));
  CHECK(cb.state(kNow + 30'000) == CircuitBreaker::State::kHalfOpen);
  CHECK(std::string(cb.state_name(kNow + 30'000)) == "half_open");
  CHECK_FALSE(cb.allow(kNow + 30'001));
  CHECK_FALSE(cb.allow(kNow + 30'500));
  cb.on_success();
  CHECK(cb.state(kNow + 31'000) == CircuitBreaker::State::kClosed);
  CHECK(cb.allow(kNow + 31'000));
  CHECK(cb.allow(kNow + 31'000));
}

TEST_CASE("CircuitBreaker: a failed probe reopens it for another full period") {
  CircuitBreaker cb(1, 10'000);
  cb.on_failure(kNow);
  CHECK_FALSE(cb.allow(kNow + 1));
  CHECK(cb.allow(kNow + 10'000));
  cb.on_failure(kNow + 10'200);
  CHECK(cb.state(kNow + 10'200) == CircuitBreaker::State::kOpen);
  CHECK_FALSE(cb.allow(kNow + 20'000));
  CHECK(cb.allow(kNow + 20'200));
  CHECK_FALSE(cb.allow(kNow + 20'201));
  cb.on_success();
  CHECK(cb.state(kNow + 20'300) == CircuitBreaker::State::kClosed);
}

TEST_CASE("CircuitBreaker: a probe that never reports is replaced after open_ms") {
  CircuitBreaker cb(1, 10'000);
  cb.on_failure(kNow);
  CHECK(cb.allow(kNow + 10'000));
  CHECK_FALSE(cb.allow(kNow + 19'999));
  CHECK(cb.allow(kNow + 20'000));
}

}  // namespace yb::connectors
