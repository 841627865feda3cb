// [alerts][redis] Alerts in a persistent mode: a production host stopped
// mid-session with alerts raised and restarted on the whole input neither
// forgets nor repeats them (its alerts.jsonl ends equal to an uninterrupted
// replay's); `host status` lists the active ones; every raise and clear is
// an entry of the Redis stream risk.alerts on a real redis-server.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_alerts_support.h"

using namespace sh_test;
using sh::host::RedisClient;
using sh::host::RedisReply;
using sh::test::RedisServer;
using Catch::Matchers::Contains;

namespace {

// Every entry of `stream`, as field -> value maps, oldest first.
std::vector<std::map<std::string, std::string>> stream_entries(const RedisServer& redis, const std::string& stream) {
  RedisClient c(redis.host(), redis.port());
  std::vector<std::map<std::string, std::string>> out;
  RedisReply r;
  if (!c.connect().ok() || !c.command({"XRANGE", stream, "-", "+"}, &r).ok()) return out;
  for (const RedisReply& e : r.elements) {
    if (e.elements.size() != 2) continue;
    std::map<std::string, std::string> f;
    const auto& kv = e.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) f[kv[i].str] = kv[i + 1].str;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

TEST_CASE("alerts survive a restart mid-session, show in host status and reach the risk.alerts stream",
          "[alerts][redis][e2e]") {
  RedisServer redis;
  const std::string redis_yaml =
      "redis: {host: " + redis.host() + ", port: " + std::to_string(redis.port()) + ", timeout_ms: 1000}\n";
  const OpsSession whole;

  // The reference: the whole session replayed at once.
  ScratchDir ref("ops_alerts_ref");
  write_file(ref / "host.yaml", ops_config_yaml("replay", ops_providers_yaml(ref / "data", whole)));
  REQUIRE(run_host({"--config", "host.yaml"}, ref.path()).exit_code == 0);
  const std::vector<std::string> expected = lines(read_file(ref / "out/alerts.jsonl"));
  REQUIRE(expected.size() == 6);

  // Production: the first 18 minutes (DQ_LOW and SUPPRESSION_HIGH raised at
  // minute 10, FEED_STALE at 15), then the whole input again.
  ScratchDir dir("ops_alerts_restart");
  OpsSession first = whole;
  first.minutes = 18;
  write_file(dir / "host.yaml",
             ops_config_yaml("production", ops_providers_yaml(dir / "part1", first), "", redis_yaml));
  const HostRun r1 = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  const std::vector<std::string> after1 = lines(read_file(dir / "out/alerts.jsonl"));
  REQUIRE(after1.size() == 3);
  CHECK(std::vector<std::string>(expected.begin(), expected.begin() + 3) == after1);

  const HostRun status = run_host({"status", "--config", "host.yaml"}, dir.path());
  REQUIRE(status.exit_code == 0);
  CHECK_THAT(status.out, Contains("alerts (3 active)"));
  CHECK_THAT(status.out, Contains("  FEED_STALE warning since 2024-01-02T00:16:00Z: B: no market data for 75.0 s"));
  CHECK_THAT(status.out, Contains("  DQ_LOW warning since 2024-01-02T00:11:00Z: "));
  const HostRun status_json = run_host({"status", "--config", "host.yaml", "--format", "json"}, dir.path());
  const auto sj = nlohmann::json::parse(status_json.out);
  CHECK(sj["alerts"]["active"].size() == 3);
  CHECK(sj["alerts"]["counts"]["FEED_STALE"]["raised"] == 1);

  write_file(dir / "host.yaml",
             ops_config_yaml("production", ops_providers_yaml(dir / "whole", whole), "", redis_yaml));
  const HostRun r2 = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.err, Contains("alert FEED_STALE (warning) still raised from the previous run"));
  CHECK(lines(read_file(dir / "out/alerts.jsonl")) == expected);
  CHECK_THAT(run_host({"status", "--config", "host.yaml"}, dir.path()).out, Contains("alerts (0 active)"));

  // The stream: one entry per line of alerts.jsonl, in order, over both runs.
  const auto entries = stream_entries(redis, "risk.alerts");
  REQUIRE(entries.size() == expected.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto line = nlohmann::json::parse(expected[i]);
    CHECK(entries[i].at("alert") == expected[i]);
    CHECK(entries[i].at("code") == line["code"].get<std::string>());
    CHECK(entries[i].at("state") == line["state"].get<std::string>());
    CHECK(entries[i].at("severity") == line["severity"].get<std::string>());
    CHECK(entries[i].at("ts") == line["ts"].get<std::string>());
    CHECK(std::stod(entries[i].at("threshold")) == line["threshold"].get<double>());
    CHECK(entries[i].at("message") == line["message"].get<std::string>());
  }
}

TEST_CASE("alerts: Redis down does not hold the run, the stream's entries are kept for a later attempt",
          "[alerts][redis][e2e]") {
  RedisServer redis;
  const int port = redis.port();
  redis.stop();
  ScratchDir dir("ops_alerts_redis_down");
  write_file(dir / "host.yaml",
             ops_config_yaml("production", ops_providers_yaml(dir / "data", OpsSession{}), "",
                             "redis: {host: 127.0.0.1, port: " + std::to_string(port) + ", timeout_ms: 200}\n"));
  const HostRun r = run_host({"--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(lines(read_file(dir / "out/alerts.jsonl")).size() == 6);
  CHECK_THAT(r.err, Contains("alerts: redis stream risk.alerts: "));
  CHECK_THAT(r.err, Contains("entries kept, retried every second"));
}
