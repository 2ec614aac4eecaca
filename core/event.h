// A one-shot event: threads wait until it is set, once. Built on a Linux futex, it costs no
// system call when it is set before anyone waits, and set() makes one only when someone
// sleeps on it. (A condition variable leaves its mutex marked as contended after a wait, so
// that every unlock after it is a system call too; a promise's call_once always makes one.)
//
// Thread-safe. The event must outlive every wait() and set() on it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace yb {

class Event {
 public:
  void set();
  bool is_set() const { return state_.load(std::memory_order_acquire) != 0; }
  void wait();
  // False when the deadline came first.
  bool wait_until(std::chrono::steady_clock::time_point deadline);

 private:
  bool wait_impl(const std::chrono::steady_clock::time_point* deadline);
  std::atomic<uint32_t> state_{0};     // 1 once set
  std::atomic<uint32_t> sleepers_{0};  // threads in wait that may sleep
};

}  // namespace yb
