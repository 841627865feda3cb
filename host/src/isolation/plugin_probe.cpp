#include "isolation/plugin_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "isolation/child_process.h"
#include "isolation/elf_check.h"
#include "isolation/isolated_plugin.h"

namespace sh::host {
namespace {

using Clock = std::chrono::steady_clock;

// What the runner prints once the library loaded (whatever its status).
constexpr char kProbeDone[] = "probe-done";

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
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return PluginLibrary::open(path);
  }
  std::string why;
  const pid_t pid = spawn_child({runner, "--probe", path.string()}, {{devnull, 0}, {fds[1], 1}}, &why);
  ::close(devnull);
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
  const int status = reap_child(pid, timed_out ? 0 : kProbeTimeoutMs);

  const std::string where = "load error: " + path.string() + ": ";
  PluginLibrary::Opened failed;
  if (timed_out) {
    failed.status = where + "did not finish loading within " + std::to_string(kProbeTimeoutMs) +
                    " ms (probed in a child process)";
  } else if (WIFSIGNALED(status)) {
    failed.status = where + "crashed while loading (" + signal_name(WTERMSIG(status)) +
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
