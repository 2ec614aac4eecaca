#include "core/threads.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace yb {

void name_this_thread(const char* name) {
  std::array<char, 16> n{};  // the kernel keeps 15 bytes and the terminating NUL
  std::strncpy(n.data(), name, n.size() - 1);
  (void)pthread_setname_np(pthread_self(), n.data());
}

std::string this_threads_name() {
  std::array<char, 16> n{};
  if (pthread_getname_np(pthread_self(), n.data(), n.size()) != 0) return {};
  return n.data();
}

// On Linux, PRIO_PROCESS with a thread id addresses that one thread (POSIX would say the whole
// process; Linux threads each have their own nice value).
int this_threads_nice() {
  errno = 0;
  const int n = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? n : 0;
}

bool change_this_threads_priority(int steps) {
  if (steps == 0) return true;
  const int target = std::clamp(this_threads_nice() - steps, -20, 19);
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), target) == 0;
}

}  // namespace yb
