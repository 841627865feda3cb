// CallWatchdog: bounds what nothing else bounds on the pipeline thread.
//
//   - A call into an in-process plugin (a detect, an evaluate, a poll) that
//     runs longer than host.watchdog_ms: the host logs which plugin, which
//     component and which call, and exits with status 70 so a supervisor
//     restarts it. Its state is then as after a kill -9 (every committed
//     minute kept, feeds trimmed at the next start). Lua rules have their
//     own budgets (lua/rule_watchdog.h) and `isolation: process` plugins
//     their own call deadline; this covers the rest.
//   - SIGTERM or SIGINT: the run normally stops after the current batch; if
//     the process is still there 2 s after the signal (a plugin stuck in a
//     call), it logs what it was doing and exits with 128 + the signal.
// A thread of its own, waking every 50 ms; the pipeline thread only stores
// two atomics around each plugin call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sh::host {

// The calling thread's plugin calls are watched from now on (the pipeline
// thread, before run()).
void watch_plugin_calls_on_this_thread();

// Async-signal-safe: a stop signal arrived (its number, for the exit status).
void note_stop_signal_for_watchdog(int signal_number) noexcept;

class CallWatchdog {
 public:
  // call_deadline_ms 0 = plugin calls unbounded; stop_deadline_ms after a
  // stop signal (2000).
  CallWatchdog(int64_t call_deadline_ms, int64_t stop_deadline_ms);
  ~CallWatchdog();
  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

 private:
  void run();

  const int64_t call_deadline_ns_;
  const int64_t stop_deadline_ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace sh::host
