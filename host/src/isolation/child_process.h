// Starting and ending the host's helper processes (sh-plugin-runner) from
// a multi-threaded host.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sh::host {

// Forks and execs args[0] with args. Each (fd, at) pair gives the child
// descriptor `fd` as number `at`; every other descriptor of the host (the
// state-dir lock, the store, sockets) is closed in the child. The child
// starts with no blocked signals and is killed when the host dies
// (PR_SET_PDEATHSIG). Returns the pid, or -1 with *why.
pid_t spawn_child(const std::vector<std::string>& args,
                  const std::vector<std::pair<int, int>>& fds, std::string* why);

// Waits up to grace_ms for the child to exit, then SIGKILLs it and waits.
// Returns its wait status.
int reap_child(pid_t pid, int64_t grace_ms);

// "SIGSEGV", "SIGKILL", ... ("signal N" for one without a name).
std::string signal_name(int sig);

// "died of SIGSEGV", "exited with status 0".
std::string describe_exit(int wait_status);

}  // namespace sh::host
