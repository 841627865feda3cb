// Helpers for the HTTP tests of a running host (tests/test_ops_*.cpp): a
// free loopback port, a raw-socket HTTP client (raw, so that malformed and
// oversized requests can be sent as bytes), and the config of a live-ish
// host: production mode over an endless synthetic feed replayed at full
// speed (minutes close constantly), the decision layer with a circuit
// breaker and a kill switch, and host.http on the given port.
#ifndef SH_TESTS_TEST_OPS_SUPPORT_H
#define SH_TESTS_TEST_OPS_SUPPORT_H

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "test_run_decision_support.h"

namespace sh_test {

// Waits up to timeout_s for pred(); false on a timeout or when the host exits.
template <typename Pred>
bool wait_for(Pred pred, pid_t host_pid, int timeout_s = 8) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    if (host_pid > 0 && ::waitpid(host_pid, nullptr, WNOHANG) == host_pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A live-ish host with host.http on `port`; http_extra adds keys to host.http.
inline std::string ops_host_yaml(int port, const std::string& http_extra = "") {
  return "host:\n"
         "  mode: production\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         "  heartbeat_ms: 0\n"
         "  log: {level: warn}\n"
         "  http: {port: " + std::to_string(port) + http_extra + "}\n"
         "providers:\n"
         "  - name: synth\n"
         "    plugin: synthetic\n"
         "    config: {symbols: [AAA, BBB], events_per_second: 200, events: 1000000000}\n"
         "conveyor: {baseline_warmup: 5}\n"
         "state: {durability: process}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n"
         "  - {name: breaker, plugin: circuit_breaker, config: {}}\n"
         "  - {name: kill, plugin: kill_switch, config: {}}\n"
         "consensus: {weights: {momentum: 0.5, anomaly: 0.5}, threshold: 0.55, min_confidence: 0.1}\n"
         "execution: {mode: paper, order_notional_usd: 2000, initial_cash_usd: 100000}\n";
}

// Starts a host on dir/host.yaml and waits until its /health answers.
inline BackgroundHost start_ops_host(const ScratchDir& dir, int port, const std::string& tag = "ops") {
  BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), tag);
  wait_for([&] { return http_get(port, "/health").status != 0; }, h.pid);
  return h;
}

// The same with operator commands that take `token` (host.http.token_file).
inline BackgroundHost start_token_host(const ScratchDir& dir, int port, const std::string& token,
                                       const std::string& http_extra = "") {
  write_file(dir / "token", token + "\n");
  write_file(dir / "host.yaml", ops_host_yaml(port, ", token_file: token" + http_extra));
  return start_ops_host(dir, port);
}

// Kills the host if a failed REQUIRE left it running.
struct HostGuard {
  BackgroundHost& h;
  ~HostGuard() {
    if (h.pid > 0) {
      ::kill(h.pid, SIGKILL);
      ::waitpid(h.pid, nullptr, 0);
    }
  }
};

// SIGTERM and wait; the exit code.
inline int stop_host(BackgroundHost& h) {
  if (h.pid > 0) ::kill(h.pid, SIGTERM);
  return wait_host(h, std::chrono::seconds(20));
}

}  // namespace sh_test

#endif  // SH_TESTS_TEST_OPS_SUPPORT_H
