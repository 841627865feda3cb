#include "isolation/plugin_call_scope.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

namespace sh::host {

namespace detail {
thread_local PluginCallMarker current_plugin_call;
thread_local bool publish_plugin_calls = false;
}  // namespace detail

namespace {

void on_exit_during_plugin_call() {
  const PluginCallMarker m = detail::current_plugin_call;
  if (m.component == nullptr) return;  // an ordinary exit of the host
  const std::string line = "plugin '" + *m.plugin + "' (component '" + *m.component +
                           "') called exit() during " + m.call + "(); stopping with status " +
                           std::to_string(kPluginExitStatus);
  try {
    spdlog::critical("{}", line);
    if (auto logger = spdlog::default_logger_raw()) logger->flush();
  } catch (...) {
    const std::string out = line + "\n";
    (void)!::write(STDERR_FILENO, out.data(), out.size());
  }
  ::_exit(kPluginExitStatus);
}

}  // namespace

void install_plugin_exit_guard() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(&on_exit_during_plugin_call); });
}

}  // namespace sh::host
