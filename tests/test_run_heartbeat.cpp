// [run][ops] The heartbeat of a host in a live mode (runbook 001: every 5 s;
// host.heartbeat_ms here 200 ms), through the real binary: a log line per
// beat, <state_dir>/heartbeat.json, a Redis key with a TTL on a real
// redis-server, and `host status` telling a running host from one that
// stopped cleanly and from one whose heartbeat went stale (kill -9).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

std::string endless_config(const std::string& extra = "") {
  return "host: {mode: production, state_dir: state, output_dir: out, heartbeat_ms: 200}\n"
         "providers:\n"
         "  - name: synth\n"
         "    plugin: synthetic\n"
         "    config: {symbols: [AAA, BBB], events_per_second: 200, events: 1000000000}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n" +
         extra;
}

// Waits until `pred` holds (or the host exits, or 60 s pass).
template <typename Pred>
bool wait_until(Pred pred, pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a live host beats every interval, and host status tells running, stopped and stale apart",
          "[run][ops]") {
  sh::test::RedisServer redis;
  ScratchDir dir("heartbeat");
  write_file(dir / "host.yaml",
             endless_config("redis: {host: " + redis.host() + ", port: " + std::to_string(redis.port()) + "}\n"));
  const std::vector<std::string> status_args = {"status", "--config", (dir / "host.yaml").string()};

  BackgroundHost h = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "first");
  // Three beats: the log lines, the file, the Redis key with its TTL.
  REQUIRE(wait_until([&] { return count_of(read_file(h.err), "heartbeat uptime=") >= 3; }, h.pid));
  CHECK_THAT(read_file(h.err), Catch::Contains("mode=production"));
  const json rec = json::parse(read_file(dir / "state/heartbeat.json"));
  CHECK(rec["pid"] == h.pid);
  CHECK(rec["interval_ms"] == 200);
  CHECK(rec["stopped"] == false);
  sh::host::RedisClient client(redis.host(), redis.port());
  REQUIRE(client.connect().ok());
  sh::host::RedisReply reply;
  REQUIRE(client.command({"GET", "host.heartbeat"}, &reply).ok());
  CHECK(json::parse(reply.str)["pid"] == h.pid);
  REQUIRE(client.command({"PTTL", "host.heartbeat"}, &reply).ok());
  CHECK(reply.integer > 0);
  CHECK(reply.integer <= 600);

  HostRun s = run_host(status_args, dir.path());
  REQUIRE(s.exit_code == 0);
  CHECK_THAT(s.out, Catch::Contains("running (pid " + std::to_string(h.pid) + ", production, heartbeat"));

  // A clean stop writes a last record, and the Redis key goes.
  REQUIRE(::kill(h.pid, SIGTERM) == 0);
  CHECK(wait_host(h) == 0);
  s = run_host(status_args, dir.path());
  CHECK_THAT(s.out, Catch::Contains("not running (stopped cleanly at "));
  REQUIRE(client.command({"EXISTS", "host.heartbeat"}, &reply).ok());
  CHECK(reply.integer == 0);

  // A killed host leaves a record that goes stale after three intervals.
  BackgroundHost h2 = start_host({"--config", (dir / "host.yaml").string()}, dir.path(), "second");
  REQUIRE(wait_until([&] { return count_of(read_file(h2.err), "heartbeat uptime=") >= 2; }, h2.pid));
  const pid_t killed = h2.pid;
  REQUIRE(::kill(killed, SIGKILL) == 0);
  wait_host(h2);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  s = run_host(status_args, dir.path());
  INFO(s.err);
  CHECK_THAT(s.out, Catch::Contains("not running (heartbeat stale: last at "));
  CHECK_THAT(s.out, Catch::Contains("pid " + std::to_string(killed) + "; the host died or hangs"));
  // ... and its Redis key expired on its own.
  REQUIRE(client.command({"EXISTS", "host.heartbeat"}, &reply).ok());
  CHECK(reply.integer == 0);
}

TEST_CASE("host.heartbeat_ms is checked, 0 turns the heartbeat off, and a replay never beats",
          "[run][ops]") {
  ScratchDir dir("heartbeat_config");
  write_file(dir / "bad.yaml", "host: {mode: production, heartbeat_ms: 50}\n");
  const HostRun bad = run_host({"--validate-config", "--config", (dir / "bad.yaml").string()}, dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Catch::Contains("host.heartbeat_ms: expected 0 (off) or 100 to 3600000 ms, not '50'"));

  DecisionConfig cfg;  // a replay
  const HostRun r = run_decision(dir, cfg);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("heartbeat uptime=") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "state/heartbeat.json"));
}
