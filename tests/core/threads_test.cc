// core/threads.h: thread names as the kernel reports them, and a thread lowering its own CPU
// priority relative to where it started, without touching other threads.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/threads.h"

namespace {

// Field 19 of /proc/self/task/<tid>/stat: the thread's nice value as the kernel has it.
int kernel_nice(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(f, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  for (int i = 3; i <= 19 && rest >> field; ++i) {
  }
  return std::stoi(field);
}

std::string kernel_name(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(f, name);
  return name;
}

}  // namespace

TEST_CASE("a named thread shows its name in /proc, cut to the kernel's 15 bytes") {
  std::thread([] {
    yb::name_this_thread("yb-test");
    CHECK(yb::this_threads_name() == "yb-test");
    CHECK(kernel_name(gettid()) == "yb-test");
    yb::name_this_thread("a-name-longer-than-fifteen-bytes");
    CHECK(kernel_name(gettid()) == "a-name-longer-t");
  }).join();
}

TEST_CASE("a thread lowers its own priority by steps from where it was, at most to nice 19") {
  const int base = yb::this_threads_nice();
  const pid_t main_tid = gettid();
  REQUIRE(base <= 12);  // room for the steps below (a test run under `nice -n 19` cannot tell)
  std::thread([&] {
    CHECK(yb::this_threads_nice() == base);  // inherited from its creator
    CHECK(yb::lower_this_threads_priority(0));
    CHECK(kernel_nice(gettid()) == base);  // no steps, no change
    CHECK(yb::lower_this_threads_priority(3));
    CHECK(kernel_nice(gettid()) == base + 3);
    CHECK(yb::this_threads_nice() == base + 3);
    CHECK(yb::lower_this_threads_priority(4));  // from where it now is
    CHECK(kernel_nice(gettid()) == base + 7);
    CHECK(yb::lower_this_threads_priority(40));
    CHECK(kernel_nice(gettid()) == 19);
    // Only this thread: the one that started it keeps its priority.
    CHECK(kernel_nice(main_tid) == base);
  }).join();
  CHECK(yb::this_threads_nice() == base);
  // A thread started later starts from its creator's priority again, not from 19.
  std::thread([&] { CHECK(kernel_nice(gettid()) == base); }).join();
}
