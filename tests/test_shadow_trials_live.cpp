// [shadow][redis][e2e] Shadow trials on a running production host (the real
// binary, SH_HOST_BIN) driven by the real `host reload` over a real
// redis-server: start, the comparison in `host status`, a refused discard
// of a component with no trial, promote through the normal swap path (log
// line, switch stream, config history), and a restart that drops a trial.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/redis_server.h"
#include "test_host_support.h"
#include "support/http_client.h"
#include "test_swap_e2e_support.h"

using namespace sh_test;
using namespace sh_test::e2e;
using Catch::Matchers::Contains;

namespace {

std::string live_yaml(const RedisServer& redis) {
  return synthetic_production_yaml(redis,
                                   "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
                                   "  - {name: second, plugin: return_spike, config: {z_threshold: 4.0}}\n");
}

}  // namespace

TEST_CASE("host reload --shadow, --promote and --discard against a running host over real Redis",
          "[shadow][redis][e2e]") {
  ScratchDir dir("shadow_live");
  RedisServer redis;
  // host.http on: the comparison is in /api/status too (and on the page).
  const int http_port = free_tcp_port();
  std::string yaml = live_yaml(redis);
  REQUIRE(yaml.find("host:\n") != std::string::npos);
  yaml.replace(yaml.find("host:\n"), 6, "host:\n  http: {port: " + std::to_string(http_port) + "}\n");
  write_file(dir / "host.yaml", yaml);
  write_file(dir / "conf/spike_low.yaml", "z_threshold: 0.5\n");
  auto reload = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"reload", "--config", "host.yaml"});
    return run_host(args, dir.path());
  };
  {
    BackgroundHost host({"run", "--config", "host.yaml"}, dir.path());
    {
      INFO("host stderr:\n" << host.err());
      REQUIRE(host.wait_subscribed(1));
    }
    const HostRun started = reload({"--component", "return_spike", "--config-path", "conf/spike_low.yaml",
                                    "--label", "low", "--shadow"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK_THAT(started.out, Contains("(shadow trial: not stored as desired state)"));
    const bool logged = eventually(
        [&] { return host.err().find("Shadow trial started: return_spike candidate low") != std::string::npos; },
        5000);
    // The candidate's hits arrive in out/shadow, the comparison in host status.
    const bool hits = eventually([&] { return !read_file(dir / "out/shadow/return_spike.jsonl").empty(); }, 8000);
    INFO("host stderr:\n" << host.err());
    CHECK(logged);
    REQUIRE(hits);
    const HostRun status = run_host({"status", "--config", "host.yaml", "--format", "json"}, dir.path());
    REQUIRE(status.exit_code == 0);
    const auto trials = nlohmann::json::parse(status.out)["shadow_trials"];
    REQUIRE(trials.size() == 1);
    CHECK(trials[0]["component"] == "return_spike");
    CHECK(trials[0]["state"] == "running");
    const HostRun text = run_host({"status", "--config", "host.yaml"}, dir.path());
    CHECK_THAT(text.out, Contains("shadow trials (1)"));
    const HttpReply api = http_get(http_port, "/api/status");
    REQUIRE(api.status == 200);
    const auto api_trials = nlohmann::json::parse(api.body)["shadow_trials"];
    REQUIRE(api_trials.size() == 1);
    CHECK(api_trials[0]["component"] == "return_spike");
    CHECK(api_trials[0]["candidate_hits"].get<uint64_t>() > 0);
    // Not stored as the desired state: reconcile would not bring it back.
    Fields entry;
    REQUIRE(eventually([&] { return find_entry(redis, "return_spike", "1", &entry); }, 5000));
    CHECK(entry["shadow"] == "start");
    CHECK(entry["config_version"] == "0");

    // A discard of a component with no trial: refused with the reason.
    REQUIRE(reload({"--component", "second", "--discard"}).exit_code == 0);
    CHECK(eventually(
        [&] { return host.err().find("refused: second: component 'second': no shadow trial is running to discard") !=
                     std::string::npos; },
        5000));

    // Promote: the normal swap path.
    const HostRun promoted = reload({"--component", "return_spike", "--promote"});
    INFO(promoted.err);
    REQUIRE(promoted.exit_code == 0);
    CHECK_THAT(promoted.out, Contains("desired state stored in param.desired[return_spike]"));
    const bool swapped = eventually(
        [&] { return host.err().find("Configuration reloaded: return_spike version ") != std::string::npos; }, 5000);
    INFO("host stderr:\n" << host.err());
    REQUIRE(swapped);
    REQUIRE(eventually([&] { return find_entry(redis, "return_spike", "1", &entry) && entry["shadow"] == "promote"; },
                       5000));
    CHECK(entry["config_version"] == "2");

    // A trial of the other detector, still running when the host stops.
    REQUIRE(reload({"--component", "second", "--config-path", "conf/spike_low.yaml", "--label", "left",
                    "--shadow"})
                .exit_code == 0);
    REQUIRE(eventually([&] { return host.err().find("Shadow trial started: second") != std::string::npos; }, 5000));
    CHECK(host.signal_and_wait(SIGTERM, 15000) == 0);
  }
  const HostRun history = run_host({"config", "history", "--config", "host.yaml", "--component", "return_spike",
                                    "--format", "json"},
                                   dir.path());
  REQUIRE(history.exit_code == 0);
  const auto rows = lines(history.out);
  REQUIRE(rows.size() == 2);
  CHECK(nlohmann::json::parse(rows[1])["label"] == "low");
  CHECK(nlohmann::json::parse(rows[1])["config"]["z_threshold"] == 0.5);

  // The restart drops the running trial, says so, and serves the promoted version.
  BackgroundHost again({"run", "--config", "host.yaml"}, dir.path());
  REQUIRE(again.wait_subscribed(1));
  INFO("host stderr:\n" << again.err());
  CHECK_THAT(again.err(), Contains("component 'second': the shadow trial of candidate left"));
  CHECK_THAT(again.err(), Contains("ended with the restart"));
  const HostRun status = run_host({"status", "--config", "host.yaml", "--format", "json"}, dir.path());
  REQUIRE(status.exit_code == 0);
  CHECK_FALSE(nlohmann::json::parse(status.out).contains("shadow_trials"));
  CHECK(again.signal_and_wait(SIGTERM, 15000) == 0);
}
