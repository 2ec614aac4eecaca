#include "core/event.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace yb {
namespace {
void futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}
}  // namespace

// Both sides write their own word, then read the other's (sequentially consistent): either
// set() sees a sleeper and wakes it, or the sleeper sees the event set and does not sleep
// (FUTEX_WAIT returns at once when the word is no longer 0).
void Event::set() {
  state_.store(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    futex(&state_, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr);
  }
}

void Event::wait() { (void)wait_impl(nullptr); }

bool Event::wait_until(std::chrono::steady_clock::time_point deadline) {
  return wait_impl(&deadline);
}

bool Event::wait_impl(const std::chrono::steady_clock::time_point* deadline) {
  if (is_set()) return true;
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  bool set = true;
  while (state_.load(std::memory_order_seq_cst) == 0) {
    if (!deadline) {
      futex(&state_, FUTEX_WAIT_PRIVATE, 0, nullptr);
      continue;
    }
    const auto left = *deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      set = false;
      break;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    futex(&state_, FUTEX_WAIT_PRIVATE, 0, &ts);
  }
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
  return set;
}

}  // namespace yb
