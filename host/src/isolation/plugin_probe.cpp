#include "isolation/plugin_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "isolation/elf_check.h"
#include "isolation/isolated_plugin.h"

namespace sh::host {
namespace {

using Clock = std::chrono::steady_clock;

// What the runner prints once the library loaded (whatever its status).
constexpr char kProbeDone[] = "probe-done";

std::string signal_text(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

PluginLibrary::Opened open_probed(const std::filesystem::path& path) {
  const std::string runner = plugin_runner_path();
  std::error_code ec;
  if (::access(runner.c_str(), X_OK) != 0 || !std::filesystem::is_regular_file(path, ec) ||
      !check_elf_file(path).empty()) {
    return PluginLibrary::open(path);  // nothing to probe, or the ELF check speaks
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return PluginLibrary::open(path);
  std::vector<std::string> args = {runner, "--probe", path.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(fds[1], 1) < 0) ::_exit(127);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return PluginLibrary::open(path);
  }
  std::string out;
  bool timed_out = false;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kProbeTimeoutMs);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[256];
    const ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // EOF: the child is done (or gone)
    if (out.size() < 4096) out.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  const std::string where = "load error: " + path.string() + ": ";
  PluginLibrary::Opened failed;
  if (timed_out) {
    failed.status = where + "did not finish loading within " + std::to_string(kProbeTimeoutMs) +
                    " ms (probed in a child process)";
  } else if (WIFSIGNALED(status)) {
    failed.status = where + "crashed while loading (" + signal_text(WTERMSIG(status)) +
                    "; probed in a child process)";
  } else if (out.rfind(kProbeDone, 0) != 0) {
    failed.status = where + "exited with status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                    " while loading (probed in a child process)";
  } else {
    return PluginLibrary::open(path);  // it loads without harm: load it here
  }
  return failed;
}

}  // namespace sh::host
