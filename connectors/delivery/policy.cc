// Retry decisions, token bucket and circuit breaker. Pure functions of their inputs; the two
// classes hold a mutex each and are safe to share between worker threads.
#include "connectors/delivery/policy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

namespace yb::connectors {

namespace {

constexpr int64_t kMsPerS = 1000;

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool two_digits(const std::string& s, size_t at, int* out) {
  if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
      !std::isdigit(static_cast<unsigned char>(s[at + 1])))
    return false;
  *out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 7231 IMF-fixdate) → ms since the epoch.
std::optional<int64_t> parse_imf_fixdate(const std::string& s) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Fixed layout: 29 characters.
  if (s.size() != 29 || s.compare(3, 2, ", ") != 0 || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.compare(25, 4, " GMT") != 0)
    return std::nullopt;
  if (std::none_of(std::begin(kDays), std::end(kDays),
                   [&](const char* d) { return s.compare(0, 3, d) == 0; }))
    return std::nullopt;
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (s.compare(8, 3, kMonths[i]) == 0) month = i + 1;
  int day = 0, hi = 0, lo = 0, hh = 0, mm = 0, ss = 0;
  if (month == 0 || !two_digits(s, 5, &day) || !two_digits(s, 12, &hi) || !two_digits(s, 14, &lo) ||
      !two_digits(s, 17, &hh) || !two_digits(s, 20, &mm) || !two_digits(s, 23, &ss))
    return std::nullopt;
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  const int year = hi * 100 + lo;
  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hh) * 60 + mm) * 60 * kMsPerS + ss * kMsPerS;
}

}  // namespace

std::optional<int64_t> retry_after_ms(const std::string& value, int64_t now_ms) {
  const std::string v = trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return int64_t{999'999'999} * kMsPerS;  // absurd; capped by the caller
    return std::stoll(v) * kMsPerS;
  }
  auto at = parse_imf_fixdate(v);
  if (!at) return std::nullopt;
  return std::max<int64_t>(0, *at - now_ms);
}

bool is_permanent(const RetryPolicy& p, int status) {
  if (!p.permanent_statuses.empty())
    return std::find(p.permanent_statuses.begin(), p.permanent_statuses.end(), status) !=
           p.permanent_statuses.end();
  return status >= 400 && status <= 499 && status != 408 && status != 429;
}

Decision decide(const RetryPolicy& p, int attempt, const HttpResponse& resp, int64_t now_ms,
                double jitter_unit) {
  Decision d;
  if (resp.status > 0) {
    d.reason = "HTTP " + std::to_string(resp.status);
  } else {
    d.reason = resp.error.empty() ? (resp.timed_out ? "timeout" : "no response") : resp.error;
  }
  if (resp.status >= 200 && resp.status <= 299) {
    d.outcome = Outcome::kDelivered;
    return d;
  }
  if (resp.status > 0 && std::find(p.pause_statuses.begin(), p.pause_statuses.end(), resp.status) !=
                             p.pause_statuses.end()) {
    d.outcome = Outcome::kPause;
    return d;
  }
  if (resp.status > 0 && is_permanent(p, resp.status)) {
    d.outcome = Outcome::kDead;
    return d;
  }
  // Transient: 408, 429, 5xx, other non-2xx statuses, and every transport error.
  attempt = std::max(attempt, 1);
  if (static_cast<size_t>(attempt) >= p.schedule_s.size()) {
    d.outcome = Outcome::kDead;
    d.reason += "; gave up after " + std::to_string(attempt) + " attempts";
    return d;
  }
  const double u = std::clamp(std::isfinite(jitter_unit) ? jitter_unit : 0.5, 0.0, 1.0);
  const double jitter = std::clamp(p.jitter, 0.0, 1.0);
  const auto scheduled = static_cast<double>(std::max<int64_t>(0, p.schedule_s[attempt])) * kMsPerS;
  auto delay = static_cast<int64_t>(std::llround(scheduled * (1.0 + jitter * (2.0 * u - 1.0))));
  if (resp.timed_out || resp.status == 429)
    delay = std::max(delay, std::max<int64_t>(0, p.min_after_throttle_s) * kMsPerS);
  if (auto ra = retry_after_ms(resp.header("Retry-After"), now_ms)) {
    // Honoured up to the longest step of the schedule, so a hostile or broken upstream
    // cannot park a delivery for years.
    const int64_t cap =
        std::max<int64_t>(*std::max_element(p.schedule_s.begin(), p.schedule_s.end()), 0) * kMsPerS;
    delay = std::max(delay, std::min(*ra, cap));
  }
  d.outcome = Outcome::kRetry;
  d.next_attempt_ms = now_ms + delay;
  return d;
}

// ---- TokenBucket ----

TokenBucket::TokenBucket(double rate_per_s, int burst, int64_t now_ms)
    : rate_per_ms_(rate_per_s / 1000.0),
      tokens_(std::max(burst, 1)),
      burst_(std::max(burst, 1)),
      last_ms_(now_ms) {}

bool TokenBucket::try_take(int64_t now_ms, int64_t* wait_ms) {
  std::lock_guard lock(mu_);
  if (wait_ms) *wait_ms = 0;
  if (!(rate_per_ms_ > 0)) return true;  // no rate limit configured
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
    last_ms_ = now_ms;
  }
  if (tokens_ >= 1.0 - 1e-9) {  // tolerate rounding from adding fractions of a token
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return true;
  }
  if (wait_ms)
    *wait_ms =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_per_ms_)));
  return false;
}

// ---- CircuitBreaker ----

bool CircuitBreaker::allow(int64_t now_ms) {
  std::lock_guard lock(mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now_ms - opened_at_ms_ < open_ms_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      probe_at_ms_ = now_ms;
      return true;
    case State::kHalfOpen:
      // One probe at a time; a probe whose outcome never came back is replaced after open_ms.
      if (probe_in_flight_ && now_ms - probe_at_ms_ < open_ms_) return false;
      probe_in_flight_ = true;
      probe_at_ms_ = now_ms;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  std::lock_guard lock(mu_);
  state_ = State::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::on_failure(int64_t now_ms) {
  std::lock_guard lock(mu_);
  switch (state_) {
    case State::kHalfOpen:
      state_ = State::kOpen;
      opened_at_ms_ = now_ms;
      probe_in_flight_ = false;
      break;
    case State::kClosed:
      if (++failures_ >= std::max(max_failures_, 1)) {
        state_ = State::kOpen;
        opened_at_ms_ = now_ms;
      }
      break;
    case State::kOpen:  // a request let through before the circuit opened: stays open
      break;
  }
}

CircuitBreaker::State CircuitBreaker::state(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && now_ms - opened_at_ms_ >= open_ms_) return State::kHalfOpen;
  return state_;
}

const char* CircuitBreaker::state_name(int64_t now_ms) {
  switch (state(now_ms)) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

}  // namespace yb::connectors
