// core/threads.h: thread names as the kernel reports them, and a thread moving its own CPU
// priority relative to where it started, without touching other threads. Raising takes
// CAP_SYS_NICE: as root (CI) it is checked to work, otherwise to be refused without a change.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/db.h"
#include "core/group_commit.h"
#include "core/threads.h"
#include "tests/support/temp_dir.h"

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

TEST_CASE("a thread moves its own priority by steps from where it is, within -20..19") {
  const int base = yb::this_threads_nice();
  const pid_t main_tid = gettid();
  REQUIRE(base <= 12);  // room for the steps below (a run under `nice -n 19` cannot tell)
  std::thread([&] {
    CHECK(yb::this_threads_nice() == base);  // inherited from its creator
    CHECK(yb::change_this_threads_priority(0));
    CHECK(kernel_nice(gettid()) == base);  // no steps, no change
    CHECK(yb::change_this_threads_priority(-3));
    CHECK(kernel_nice(gettid()) == base + 3);
    CHECK(yb::this_threads_nice() == base + 3);
    CHECK(yb::change_this_threads_priority(-4));  // from where it now is
    CHECK(kernel_nice(gettid()) == base + 7);
    CHECK(yb::change_this_threads_priority(-40));
    CHECK(kernel_nice(gettid()) == 19);
    // Only this thread: the one that started it keeps its priority.
    CHECK(kernel_nice(main_tid) == base);
  }).join();
  CHECK(yb::this_threads_nice() == base);
  // A thread started later starts from its creator's priority again, not from 19.
  std::thread([&] { CHECK(kernel_nice(gettid()) == base); }).join();

  // Raising: allowed with CAP_SYS_NICE (root), refused without it, and then nothing changes.
  std::thread([&] {
    const bool raised = yb::change_this_threads_priority(5);
    if (geteuid() == 0) {
      CHECK(raised);
      CHECK(kernel_nice(gettid()) == std::max(-20, base - 5));
      CHECK(yb::change_this_threads_priority(40));
      CHECK(kernel_nice(gettid()) == -20);
    } else if (!raised) {
      CHECK(kernel_nice(gettid()) == base);
    }
  }).join();
}

TEST_CASE("the database writer runs raise_priority steps above its starter, where allowed") {
  yb::test::TempDir dir;
  {
    auto db = yb::db::Database::open(dir.file("t.db"), {});
    REQUIRE(db);
    auto w = yb::db::GroupCommitWriter::start(**db, 256, {}, 4);
    REQUIRE(w);
    // The writer's thread id, from inside a job.
    pid_t writer_tid = 0;
    REQUIRE((*w)->run([&](yb::db::Conn&) -> yb::Status {
      writer_tid = gettid();
      return yb::ok_status();
    }));
    CHECK(kernel_name(writer_tid) == "yb-writer");
    const int base = yb::this_threads_nice();
    if (geteuid() == 0) {
      CHECK((*w)->priority_raised());
      CHECK(kernel_nice(writer_tid) == std::max(-20, base - 4));
    } else {
      CHECK(kernel_nice(writer_tid) == ((*w)->priority_raised() ? base - 4 : base));
    }
    auto same = yb::db::GroupCommitWriter::start(**db, 256, {}, 0);  // 0: not raised
    REQUIRE(same);
    CHECK_FALSE((*same)->priority_raised());
    (*same)->stop();
    (*w)->stop();
  }
}
