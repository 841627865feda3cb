// Issue 20 item 4: a reload survives a restart whatever path it came by.
// The real host binary against a real redis-server: a raw `redis-cli
// PUBLISH param.reload ...` (the runbook's own command) is applied, becomes
// the desired state, is re-applied from the store after a restart (Redis
// down), shows as drift in `host status` and `--validate-config`, is written
// out by `host config export`; an edited YAML wins over it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_swap_e2e_support.h"

using namespace sh_test::e2e;
using sh_test::HostRun;
using sh_test::lines;
using sh_test::read_file;
using sh_test::run_host;
using sh_test::ScratchDir;
using sh_test::write_file;
using Catch::Matchers::Contains;

namespace {

std::string restart_yaml(const RedisServer& redis, double z) {
  return production_head(redis, "{reconnect_backoff_ms: {initial: 50, max: 400}}") +
         "providers:\n"
         "  - name: feed\n"
         "    plugin: synthetic\n"
         "    config: {symbol_count: 4, seed: 11, events_per_second: 50, events: 2000000000}\n"
         "detectors:\n"
         "  - name: return_spike\n"
         "    plugin: return_spike\n"
         "    config: {z_threshold: " + std::to_string(z) + "}\n";
}

std::vector<nlohmann::json> history(const ScratchDir& dir) {
  const HostRun h = run_host({"config", "history", "--config", "host.yaml", "--component", "return_spike",
                              "--format", "json"},
                             dir.path());
  REQUIRE(h.exit_code == 0);
  std::vector<nlohmann::json> rows;
  for (const auto& l : lines(h.out)) rows.push_back(nlohmann::json::parse(l));
  return rows;
}

// Starts the host, waits for `ready` and a committed minute in its log (the
// run loop, with its SIGTERM handling, is running), then SIGTERMs it.
std::string run_until(const ScratchDir& dir, const std::string& ready, const std::string& config = "host.yaml") {
  BackgroundHost host({"run", "--config", config}, dir.path());
  const bool seen = eventually([&] {
    const std::string err = host.err();
    return (err.find(ready) != std::string::npos && err.find("committed: 4 rows") != std::string::npos) ||
           !host.running();
  }, 15000);
  const int code = host.signal_and_wait(SIGTERM, 15000);
  INFO("host stderr:\n" << host.err());
  CHECK(seen);
  CHECK(code == 0);
  return host.err();
}

}  // namespace

TEST_CASE("a raw PUBLISH reload still serves after a restart, shows as drift and exports",
          "[reload][redis][e2e][restart]") {
  ScratchDir dir("swap_restart");
  RedisServer redis;
  write_file(dir / "host.yaml", restart_yaml(redis, 4.0));
  write_file(dir / "conf/spike_t1.yaml", "z_threshold: 3.5\n");
  const std::string message =
      R"({"component":"return_spike","config_path":"conf/spike_t1.yaml","version":"t1"})";

  {
    BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
    REQUIRE(host.wait_subscribed());
    RedisClient pub(redis.host(), redis.port());
    REQUIRE(pub.connect().ok());
    RedisReply r;
    REQUIRE(pub.command({"PUBLISH", "param.reload", message}, &r).ok());
    const bool applied = eventually(
        [&] { return host.err().find("Configuration reloaded: return_spike") != std::string::npos; }, 5000);
    // The listener records the applied message as the desired state.
    const bool desired = eventually([&] {
      RedisReply h;
      return pub.command({"HGET", "param.desired", "return_spike"}, &h).ok() && h.str == message;
    }, 5000);
    INFO("host stderr:\n" << host.err());
    REQUIRE(applied);
    CHECK(desired);
    REQUIRE(host.signal_and_wait(SIGTERM, 15000) == 0);
  }

  // What serves differs from the YAML: status and validate-config say so.
  const HostRun st = run_host({"status", "--config", "host.yaml", "--format", "json"}, dir.path());
  INFO(st.out + st.err);
  REQUIRE(st.exit_code == 0);
  const auto drift = nlohmann::json::parse(st.out)["config_drift"];
  REQUIRE(drift.size() == 1);
  CHECK(drift[0]["component"] == "return_spike");
  CHECK(drift[0]["label"] == "t1");
  CHECK(drift[0]["origin"] == "redis");
  CHECK(drift[0]["differs_in"] == nlohmann::json::array({"config"}));
  const HostRun text = run_host({"status", "--config", "host.yaml"}, dir.path());
  CHECK_THAT(text.out, Contains("config drift"));
  CHECK_THAT(text.out, Contains("return_spike: serving version 2 (t1, set_config by redis"));
  const HostRun valid = run_host({"--validate-config", "--config", "host.yaml"}, dir.path());
  CHECK(valid.exit_code == 0);
  CHECK_THAT(valid.out, Contains("config drift:"));
  CHECK_THAT(valid.out, Contains("return_spike: serving version 2"));

  // Restart with Redis down: the store alone re-applies t1 before the first
  // event (origin restore, effective at event 0).
  redis.stop();
  const std::string err = run_until(dir, "Configuration reloaded: return_spike");
  CHECK_THAT(err, Contains("component 'return_spike': re-applying version 2 (t1, applied by redis"));
  auto rows = history(dir);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2]["origin"] == "restore");
  CHECK(rows[2]["label"] == "t1");
  CHECK(rows[2]["effective_seq"] == 0);
  CHECK(rows[2]["config"]["z_threshold"] == 3.5);

  // Export writes the serving config; with it the host serves the same
  // version without re-applying anything and no drift is left.
  const HostRun exp = run_host({"config", "export", "--config", "host.yaml", "--to", "serving.yaml"}, dir.path());
  INFO(exp.err);
  REQUIRE(exp.exit_code == 0);
  CHECK_THAT(exp.err, Contains("1 component(s) differ"));
  CHECK_THAT(read_file(dir / "serving.yaml"), Contains("z_threshold: 3.5"));
  const HostRun clean = run_host({"--validate-config", "--config", "serving.yaml"}, dir.path());
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.find("config drift") == std::string::npos);
  const std::string err2 = run_until(dir, "committed: 4 rows", "serving.yaml");
  CHECK(err2.find("re-applying") == std::string::npos);
  CHECK(history(dir).size() == 3);

  // An edited YAML is newer than the reload: it wins, and the log says which
  // reload it replaces.
  write_file(dir / "host.yaml", restart_yaml(redis, 5.0));
  const std::string err3 = run_until(dir, "the YAML changed since version 3");
  CHECK_THAT(err3, Contains("component 'return_spike': the YAML changed since version 3 (t1, applied by restore)"));
  rows = history(dir);
  REQUIRE(rows.size() == 4);
  CHECK(rows[3]["swap"] == "startup");
  CHECK(rows[3]["config"]["z_threshold"] == 5.0);
}
