// Per-thread settings: a name for `top -H` and /proc, and the CPU priority of the one database
// writer relative to the many (request and delivery threads).
//
// Every accepted answer waits for the group-commit writer (core/group_commit.h), the one
// serial stage, while request and delivery threads are many. On a small machine, when a batch
// is answered its thirty-odd request threads wake at once and, at the same priority, share the
// cores with the writer evenly: the next batch, the one all of them wait for next, stretches.
// So the writer runs a few nice steps above the rest, as databases run their log writer above
// their sessions. Raising a priority takes CAP_SYS_NICE (root, or systemd's LimitNICE=);
// without it the writer runs at the process's priority, as before. The many are never
// lowered: a client or proxy on the same machine at the default priority would then outrank
// the gateway's own request threads (the contract's wrk load lost ~15 % that way).
#pragma once

#include <string>

namespace yb {

// Names the calling thread (at most 15 bytes are kept), as `top -H` and /proc/<pid>/task show.
void name_this_thread(const char* name);
std::string this_threads_name();

// Moves the calling thread's CPU priority by `steps` nice steps from its current one: up
// (towards nice -20) for steps > 0, down (towards 19) for steps < 0, clamped to that range.
// steps == 0: no change. False, and no change, if the system refused (raising without
// CAP_SYS_NICE beyond what RLIMIT_NICE allows).
bool change_this_threads_priority(int steps);

// The calling thread's nice value (-20..19).
int this_threads_nice();

}  // namespace yb
