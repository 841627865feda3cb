#include "isolation/call_watchdog.h"

#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "isolation/plugin_call_scope.h"

namespace sh::host {

namespace {

int64_t steady_now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The pipeline thread's call in progress: start time 0 = none.
std::atomic<int64_t> g_call_start_ns{0};
std::atomic<const std::string*> g_call_component{nullptr};
std::atomic<const std::string*> g_call_plugin{nullptr};
std::atomic<const char*> g_call_name{nullptr};

std::atomic<int64_t> g_stop_signal_ns{0};
std::atomic<int> g_stop_signal{0};

[[noreturn]] void stop_now(const std::string& line, int status) {
  try {
    spdlog::critical("{}", line);
    if (auto logger = spdlog::default_logger_raw()) logger->flush();
  } catch (...) {
    const std::string out = line + "\n";
    (void)!::write(STDERR_FILENO, out.data(), out.size());
  }
  ::_exit(status);
}

std::string current_call() {
  const std::string* component = g_call_component.load(std::memory_order_acquire);
  const std::string* plugin = g_call_plugin.load(std::memory_order_acquire);
  const char* call = g_call_name.load(std::memory_order_acquire);
  if (g_call_start_ns.load(std::memory_order_acquire) == 0 || component == nullptr || plugin == nullptr) {
    return "";
  }
  return "plugin '" + *plugin + "' (component '" + *component + "') in " + (call ? call : "?") + "()";
}

}  // namespace

namespace detail {
void publish_call(const PluginCallMarker& m) noexcept {
  if (m.component == nullptr) {
    g_call_start_ns.store(0, std::memory_order_release);
    return;
  }
  g_call_component.store(m.component, std::memory_order_relaxed);
  g_call_plugin.store(m.plugin, std::memory_order_relaxed);
  g_call_name.store(m.call, std::memory_order_relaxed);
  g_call_start_ns.store(steady_now_ns(), std::memory_order_release);
}
}  // namespace detail

void watch_plugin_calls_on_this_thread() { detail::publish_plugin_calls = true; }

void note_stop_signal_for_watchdog(int signal_number) noexcept {
  int64_t expected = 0;  // the first signal starts the clock
  if (g_stop_signal_ns.compare_exchange_strong(expected, steady_now_ns())) {
    g_stop_signal.store(signal_number, std::memory_order_relaxed);
  }
}

CallWatchdog::CallWatchdog(int64_t call_deadline_ms, int64_t stop_deadline_ms)
    : call_deadline_ns_(call_deadline_ms * 1000000), stop_deadline_ns_(stop_deadline_ms * 1000000) {
  thread_ = std::thread([this] { run(); });
}

CallWatchdog::~CallWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CallWatchdog::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return done_; })) {
    const int64_t now = steady_now_ns();
    const int64_t stop_at = g_stop_signal_ns.load(std::memory_order_acquire);
    if (stop_at != 0 && now - stop_at > stop_deadline_ns_) {
      const int sig = g_stop_signal.load(std::memory_order_relaxed);
      const std::string call = current_call();
      stop_now("watchdog: the host did not stop within " + std::to_string(stop_deadline_ns_ / 1000000) +
                   " ms of signal " + std::to_string(sig) +
                   (call.empty() ? std::string() : " (" + call + ")") + "; exiting with status " +
                   std::to_string(128 + sig),
               128 + sig);
    }
    const int64_t started = g_call_start_ns.load(std::memory_order_acquire);
    if (call_deadline_ns_ > 0 && started != 0 && now - started > call_deadline_ns_) {
      const std::string call = current_call();
      if (call.empty()) continue;  // it returned meanwhile
      stop_now("watchdog: " + call + " has run for " + std::to_string((now - started) / 1000000) +
                   " ms (host.watchdog_ms " + std::to_string(call_deadline_ns_ / 1000000) +
                   "); stopping with status " + std::to_string(kPluginExitStatus) +
                   " so a supervisor restarts the host",
               kPluginExitStatus);
    }
  }
}

}  // namespace sh::host
