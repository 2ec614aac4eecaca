// The futex event: set before or after the wait, one or many waiters, and a deadline.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/event.h"

using namespace yb;

TEST_CASE("an event set before the wait is seen at once") {
  Event e;
  CHECK_FALSE(e.is_set());
  e.set();
  CHECK(e.is_set());
  e.wait();
  CHECK(e.wait_until(std::chrono::steady_clock::now()));  // a past deadline: already set
}

TEST_CASE("every waiter wakes when the event is set, and sees what was written before") {
  for (int round = 0; round < 200; ++round) {
    Event e;
    int payload = 0;  // written before set(), read after wait(): no data race
    std::atomic<int> woke{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i) {
      ts.emplace_back([&] {
        e.wait();
        if (payload == 42) woke++;
      });
    }
    payload = 42;
    e.set();
    for (auto& t : ts) t.join();
    CHECK(woke == 4);
  }
}

TEST_CASE("a wait with a deadline gives up when it passes, and not before the event") {
  Event e;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(e.wait_until(start + std::chrono::milliseconds(2)));
  CHECK(std::chrono::steady_clock::now() >= start + std::chrono::milliseconds(2));
  std::thread t([&] { e.set(); });
  CHECK(e.wait_until(std::chrono::steady_clock::now() + std::chrono::hours(1)));
  t.join();
}
