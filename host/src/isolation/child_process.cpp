#include "isolation/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace sh::host {

pid_t spawn_child(const std::vector<std::string>& args,
                  const std::vector<std::pair<int, int>>& fds, std::string* why) {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (the host has other threads).
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int first_free = 3;
  for (const auto& [fd, at] : fds) first_free = std::max(first_free, at + 1);
  const int park = std::max(first_free, 64);  // sources move here before they land
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int parked[8];
    const size_t n = std::min<size_t>(fds.size(), 8);
    for (size_t i = 0; i < n; ++i) {
      parked[i] = ::fcntl(fds[i].first, F_DUPFD, park);
      if (parked[i] < 0) ::_exit(127);
    }
    for (size_t i = 0; i < n; ++i) {
      if (::dup2(parked[i], fds[i].second) < 0) ::_exit(127);  // dup2 clears close-on-exec
    }
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, static_cast<unsigned>(first_free), ~0u, 0u) != 0)
#endif
      for (int fd = first_free; fd < 65536; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid < 0) *why = std::string("fork: ") + std::strerror(errno);
  return pid;
}

int reap_child(pid_t pid, int64_t grace_ms) {
  int status = 0;
  if (pid <= 0) return status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return status;
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) return "died of " + signal_name(WTERMSIG(wait_status));
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  return "stopped";
}

}  // namespace sh::host
