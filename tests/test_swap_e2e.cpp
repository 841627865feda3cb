// [reload][redis][e2e] GitHub issue 5 end to end: the real `host` binary
// (SH_HOST_BIN) running a production pipeline in the background against a
// real redis-server, reloaded by the real `host reload` command:
//   (a) a parameter change is applied, logged, and written to the switch stream;
//   (b) a schema violation is refused, logged, and written with its reason;
//   (c) Redis dies and comes back on the same port: the listener reconnects,
//       re-subscribes, and the next reload is applied;
//   (d) SIGTERM ends the run cleanly (exit 0, summary), and `host config
//       history` lists the startup version and the two applied swaps.
// Every wait is bounded; the host is killed if a check fails.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"
#include "test_swap_e2e_support.h"

using namespace sh::host;
using sh::test::RedisServer;
using sh_test::HostRun;
using sh_test::lines;
using sh_test::read_file;
using sh_test::run_host;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

using namespace sh_test::e2e;

namespace {

std::string host_yaml(const RedisServer& redis) {
  return synthetic_production_yaml(
      redis, "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n");
}

}  // namespace

TEST_CASE("issue 5 end to end: host reload against a running production host over real Redis",
          "[reload][redis][e2e]") {
  ScratchDir dir("swap_e2e");
  RedisServer redis;
  write_file(dir / "host.yaml", host_yaml(redis));
  write_file(dir / "conf/spike_t1.yaml", "z_threshold: 3.5\n");
  write_file(dir / "conf/spike_bad.yaml", "z_threshold: \"x\"\n");
  write_file(dir / "conf/spike_t2.yaml", "z_threshold: 3.0\n");

  auto reload = [&](const std::string& params, const std::string& label) {
    return run_host({"reload", "--config", "host.yaml", "--component", "return_spike", "--config-path",
                     params, "--label", label},
                    dir.path());
  };

  BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
  // Subscribed (the listener logs it once SUBSCRIBE is confirmed).
  const bool subscribed = host.wait_subscribed();
  {
    INFO("host stderr:\n" << host.err());
    REQUIRE(subscribed);
  }

  {
    // (a) a parameter change.
    {
      const HostRun r = reload("conf/spike_t1.yaml", "t1");
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK_THAT(r.out, Contains("received by 1 subscriber(s)"));
      const bool logged = eventually(
          [&] { return host.err().find("Configuration reloaded: return_spike") != std::string::npos; }, 5000);
      Fields e;
      const bool streamed = eventually([&] { return find_entry(redis, "return_spike", "1", &e); }, 5000);
      INFO("host stderr:\n" << host.err());
      CHECK(logged);
      REQUIRE(streamed);
      CHECK(e["version"] == "t1");
      CHECK(e["reason"] == "");
      CHECK(e["config_version"] == "2");
      CHECK(std::stoull(e["seq"]) > 0);
    }
    // (b) a schema violation: refused, the serving version stays.
    {
      const HostRun r = reload("conf/spike_bad.yaml", "bad");
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const bool logged = eventually(
          [&] { return host.err().find("Configuration reload refused: return_spike: ") != std::string::npos; },
          5000);
      Fields e;
      const bool streamed = eventually([&] { return find_entry(redis, "return_spike", "0", &e); }, 5000);
      INFO("host stderr:\n" << host.err());
      CHECK(logged);
      REQUIRE(streamed);
      INFO("reason: " << e["reason"]);
      CHECK(e["reason"] != "");
      CHECK_THAT(e["reason"], Contains("z_threshold"));
      CHECK(e["version"] == "bad");
      CHECK(e["config_version"] == "0");
      CHECK(count_of(host.err(), "Configuration reloaded: return_spike") == 1);
    }
    // (c) Redis goes away and comes back (empty) on the same port.
    {
      const size_t reconnects_before = count_of(host.err(), "control: reconnected to redis");
      redis.stop();
      // The listener notices (its keep-alive or the dropped socket) and retries.
      const bool noticed =
          eventually([&] { return count_of(host.err(), "reconnecting with backoff") >= 1; }, 5000);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      redis.start();
      const bool reconnected = eventually(
          [&] { return count_of(host.err(), "control: reconnected to redis") > reconnects_before; }, 10000);
      INFO("host stderr:\n" << host.err());
      CHECK(noticed);
      REQUIRE(reconnected);
      REQUIRE(host.running());
      const HostRun r = reload("conf/spike_t2.yaml", "t2");
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK_THAT(r.out, Contains("received by 1 subscriber(s)"));
      const bool logged =
          eventually([&] { return count_of(host.err(), "Configuration reloaded: return_spike") == 2; }, 5000);
      Fields e;
      const bool streamed = eventually([&] { return find_entry(redis, "return_spike", "1", &e); }, 5000);
      INFO("host stderr (after the restart):\n" << host.err());
      CHECK(logged);
      REQUIRE(streamed);
      CHECK(e["version"] == "t2");
      CHECK(e["config_version"] == "3");
    }
    // (d) SIGTERM: the run finishes and prints its summary.
    const int code = host.signal_and_wait(SIGTERM, 15000);
    INFO("host stdout:\n" << host.out() << "\nhost stderr:\n" << host.err());
    CHECK(code == 0);
    CHECK_THAT(host.out(), Contains("run summary (production)"));
    CHECK_THAT(host.out(), Contains("events in"));
    // The summary counts what the log said: two applied, one refused.
    CHECK(count_of(host.err(), "Configuration reload refused") == 1);
    CHECK_THAT(host.out(), Contains("reload messages    received 3, applied 2, refused 1  (swap=1)"));

    const HostRun hist = run_host({"config", "history", "--config", "host.yaml", "--component", "return_spike",
                                   "--format", "json"},
                                  dir.path());
    INFO(hist.err);
    REQUIRE(hist.exit_code == 0);
    std::vector<nlohmann::json> rows;
    for (const auto& l : lines(hist.out)) rows.push_back(nlohmann::json::parse(l));
    INFO(hist.out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0]["version"] == 1);
    CHECK(rows[0]["swap"] == "startup");
    CHECK(rows[1]["version"] == 2);
    CHECK(rows[1]["label"] == "t1");
    CHECK(rows[1]["swap"] == "set_config");
    CHECK(rows[1]["config"]["z_threshold"] == 3.5);
    CHECK(rows[2]["version"] == 3);
    CHECK(rows[2]["label"] == "t2");
    CHECK(rows[2]["config"]["z_threshold"] == 3.0);
    CHECK(rows[1]["effective_seq"].get<uint64_t>() > 0);
    CHECK(rows[2]["effective_seq"].get<uint64_t>() > rows[1]["effective_seq"].get<uint64_t>());
    // The text table lists the same versions.
    const HostRun text = run_host({"config", "history", "--config", "host.yaml"}, dir.path());
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Contains("t1"));
    CHECK_THAT(text.out, Contains("t2"));
  }
}
