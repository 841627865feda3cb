// [hostile][store] One host per state dir: a second host on a directory that
// a running host holds is refused with the holder's PID (it would write every
// fill, decision and event a second time); a lock left by a host killed with
// kill -9 is taken over by the next start, which says so.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "test_run_decision_support.h"

using namespace sh_test;

namespace {

// A production host fed by the synthetic provider with no end: it runs until
// it is killed.
std::string endless_config(const std::string& events) {
  return "host: {mode: production, state_dir: state, output_dir: out}\n"
         "providers:\n"
         "  - name: synth\n"
         "    plugin: synthetic\n"
         "    config: {symbols: [AAA, BBB], events_per_second: 200" + events + "}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n";
}

bool wait_for_text(const fs::path& file, const std::string& text, pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(file).find(text) != std::string::npos) return true;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("a second host on a held state dir is refused with the holder's pid, a killed holder's lock is taken over",
          "[hostile][store]") {
  ScratchDir dir("hostile_state_lock");
  write_file(dir / "endless.yaml", endless_config(""));
  write_file(dir / "short.yaml", endless_config(", events: 3000"));

  BackgroundHost first = start_host({"--config", (dir / "endless.yaml").string()}, dir.path(), "first");
  REQUIRE(wait_for_text(first.err, "production mode", first.pid));
  CHECK(read_file(dir / "state/host.lock").find("pid " + std::to_string(first.pid) + " since ") == 0);

  // The same directory again, from another config: refused before it touches
  // the store or the outputs.
  const std::string lock_record = read_file(dir / "state/host.lock");
  const HostRun second = run_host({"--config", (dir / "short.yaml").string()}, dir.path());
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("is in use by another host (pid " + std::to_string(first.pid) + " since ") !=
        std::string::npos);
  CHECK(second.err.find("one host per state dir") != std::string::npos);
  CHECK(second.out.find("run summary") == std::string::npos);
  CHECK(read_file(dir / "state/host.lock") == lock_record);  // the holder is untouched
  CHECK(::waitpid(first.pid, nullptr, WNOHANG) == 0);         // and still running

  // kill -9: the kernel drops the lock; the next host takes it over and says
  // whose it was.
  REQUIRE(::kill(first.pid, SIGKILL) == 0);
  const pid_t killed = first.pid;
  CHECK(wait_host(first) == 128 + SIGKILL);
  const HostRun third = run_host({"--config", (dir / "short.yaml").string()}, dir.path());
  INFO(third.err);
  CHECK(third.exit_code == 0);
  CHECK(third.err.find("took over the run lock left by a host that did not stop cleanly (pid " +
                       std::to_string(killed) + " since ") != std::string::npos);
  CHECK(third.out.find("run summary") != std::string::npos);
  // A clean stop leaves no holder behind: the next start says nothing.
  const HostRun fourth = run_host({"--config", (dir / "short.yaml").string()}, dir.path());
  CHECK(fourth.exit_code == 0);
  CHECK(fourth.err.find("took over the run lock") == std::string::npos);
}
