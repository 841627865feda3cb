// [hostile] The call watchdog: an in-process plugin stuck in a call past
// host.watchdog_ms ends the host with status 70 and a line naming the
// plugin, the component and the call (a supervisor restarts it; the store is
// as after a kill -9); SIGTERM while a plugin is stuck ends the host within
// 2 s all the same.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

std::string hanging_config(int64_t watchdog_ms) {
  return "host: {mode: production, state_dir: state, output_dir: out, watchdog_ms: " +
         std::to_string(watchdog_ms) + "}\n" + sample_providers_yaml() +
         "detectors:\n"
         "  - {name: stuck, plugin: '" + test_plugin("hostile_detector").string() +
         "', config: {misbehave: hang, on_call: 3}}\n";
}

}  // namespace

TEST_CASE("a plugin call stuck past host.watchdog_ms ends the host with 70, naming it", "[hostile]") {
  ScratchDir dir("hostile_watchdog_call");
  write_file(dir / "host.yaml", hanging_config(300));
  const auto t0 = std::chrono::steady_clock::now();
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO(r.err);
  CHECK(r.exit_code == 70);
  CHECK_THAT(r.err, Contains("watchdog: plugin 'hostile_detector' (component 'stuck') in detect() has run for "));
  CHECK_THAT(r.err, Contains("(host.watchdog_ms 300); stopping with status 70"));
  CHECK(took < std::chrono::seconds(20));
  // The store it leaves opens, with the minutes committed before the hang.
  sh::host::StateStoreOptions so;
  so.dir = (dir / "state").string();
  so.read_only = true;
  std::unique_ptr<sh::host::StateStore> store;
  REQUIRE(sh::host::StateStore::open(so, &store).ok());
  int64_t last_minute = 0;
  CHECK(store->last_minute_ts_ns(&last_minute).ok());  // two minutes committed before the hang
}

TEST_CASE("SIGTERM ends a host whose plugin is stuck within 2 s", "[hostile]") {
  ScratchDir dir("hostile_watchdog_term");
  write_file(dir / "host.yaml", hanging_config(0));  // no call deadline: only the signal's
  BackgroundHost h = start_host({"--config", "host.yaml"}, dir.path(), "host");
  // Wait for the hang: two minutes decided, the third detect() never returns.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_file(h.err).find("production mode") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(::waitpid(h.pid, nullptr, WNOHANG) == 0);  // still there, stuck
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::kill(h.pid, SIGTERM) == 0);
  const int rc = wait_host(h, std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - t0;
  const std::string err = read_file(dir / "host.stderr");
  INFO(err);
  CHECK(rc == 128 + SIGTERM);
  CHECK(took < std::chrono::milliseconds(2600));
  CHECK_THAT(err, Contains("watchdog: the host did not stop within 2000 ms of signal 15 (plugin "
                           "'hostile_detector' (component 'stuck') in detect()); exiting with status 143"));
}
