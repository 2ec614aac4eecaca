// Time comes from a Clock passed in, never from system_clock::now() inside logic, so that
// tests drive expiry, rate limits and retry schedules with a ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace yb {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch. Thread-safe.
  virtual int64_t now_ms() const = 0;
  int64_t now_s() const { return now_ms() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'795'737'600'000) : ms_(start_ms) {}  // 2026-11-27Z
  int64_t now_ms() const override { return ms_.load(); }
  void advance_ms(int64_t d) { ms_ += d; }
  void advance_s(int64_t d) { ms_ += d * 1000; }
  void set_ms(int64_t v) { ms_ = v; }

 private:
  std::atomic<int64_t> ms_;
};

// "2026-01-05T08:00:00Z" for a millisecond timestamp (UTC). Pure.
std::string iso8601_utc(int64_t ms);
// "2026-01-05" for a millisecond timestamp (UTC). Pure.
std::string iso_date_utc(int64_t ms);

// CPU time the calling thread has used, in nanoseconds (CLOCK_THREAD_CPUTIME_ID): a cost, not a
// time of day, so it is not a Clock.
uint64_t thread_cpu_ns();

}  // namespace yb
