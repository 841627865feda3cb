// Which plugin call is in progress on this thread, so that a plugin calling
// exit() is named instead of ending the host quietly with its status.
//
// PluginInstance opens a PluginCallScope around every call into a plugin
// (create, the batch calls, set_config, state, destroy): two thread-local
// stores, no allocation. install_plugin_exit_guard() registers an atexit
// handler that, when exit() runs inside such a scope, logs
//   plugin 'p' (component 'c') called exit() during detect(); stopping with status 70
// and ends the process with _exit(kPluginExitStatus), so a supervisor sees a
// failure (and restarts the host) rather than status 0 without a summary.
// A plugin that calls exit() from a thread of its own is not caught.
#pragma once

#include <string>

namespace sh::host {

// EX_SOFTWARE (sysexits.h): an internal software error.
constexpr int kPluginExitStatus = 70;

struct PluginCallMarker {
  const std::string* component = nullptr;  // null: no plugin call in progress
  const std::string* plugin = nullptr;
  const char* call = nullptr;  // "detect", "evaluate", ...
};

namespace detail {
extern thread_local PluginCallMarker current_plugin_call;
// The pipeline thread's calls are also published for the call watchdog
// (isolation/call_watchdog.h); other threads' are not.
extern thread_local bool publish_plugin_calls;
void publish_call(const PluginCallMarker& marker) noexcept;  // component null: no call
}  // namespace detail

// Marks a plugin call for the duration of the scope; nests.
class PluginCallScope {
 public:
  PluginCallScope(const std::string& component, const std::string& plugin,
                  const char* call) noexcept
      : saved_(detail::current_plugin_call) {
    detail::current_plugin_call = PluginCallMarker{&component, &plugin, call};
    if (detail::publish_plugin_calls) detail::publish_call(detail::current_plugin_call);
  }
  ~PluginCallScope() {
    detail::current_plugin_call = saved_;
    if (detail::publish_plugin_calls) detail::publish_call(saved_);
  }
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  PluginCallMarker saved_;
};

// Registers the atexit handler (once per process; later calls do nothing).
// Call it after logging is set up: the handler logs through spdlog.
void install_plugin_exit_guard();

}  // namespace sh::host
