// Per-thread settings: a name for `top -H` and /proc, and the CPU priority of the many
// (request and delivery threads) relative to the one database writer.
//
// Every accepted answer waits for the group-commit writer (core/group_commit.h), the one
// serial stage, while request and delivery threads are many. On a small machine, when a batch
// is answered its thirty-odd request threads wake at once and, at the same priority, share the
// cores with the writer evenly: the next batch, the one all of them wait for next, stretches.
// So the many run a few nice steps below the writer, as databases run their log writer above
// their sessions. Unprivileged: a thread may always lower its own priority.
#pragma once

#include <string>

namespace yb {

// Names the calling thread (at most 15 bytes are kept), as `top -H` and /proc/<pid>/task show.
void name_this_thread(const char* name);
std::string this_threads_name();

// Lowers the calling thread's CPU priority by `steps` nice steps below its current one, at
// most to the lowest (nice 19). Threads inherit their creator's nice value, so a pool's
// threads call it once, first thing. steps <= 0: no change. False if the system refused.
bool lower_this_threads_priority(int steps);

// The calling thread's nice value (-20..19).
int this_threads_nice();

}  // namespace yb
