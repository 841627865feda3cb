// [run][redis] Model-router switches reach the `model.switch.log` stream of
// a real redis-server (runbook 002: `redis-cli XREVRANGE model.switch.log +
// - COUNT 20`), one entry per switch the run stored in LMDB.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "events/redis_client.h"
#include "support/redis_server.h"
#include "test_host_support.h"

using namespace sh_test;
using sh::test::RedisServer;

TEST_CASE("router switches are appended to model.switch.log when Redis is configured",
          "[run][redis][paper]") {
  ScratchDir dir("router_redis");
  RedisServer redis;
  write_file(dir / "host.yaml",
             "host:\n"
             "  mode: production\n"
             "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
             "  state_dir: state\n"
             "  output_dir: out\n"
             "redis: {host: " + redis.host() + ", port: " + std::to_string(redis.port()) + "}\n"
             "state: {durability: process}\n" +
             sample_providers_yaml() +
             "conveyor: {benchmark: BTC}\n"
             "experts:\n"
             "  - {name: momentum, plugin: momentum, config: {}}\n"
             "  - {name: anomaly, plugin: anomaly, config: {}}\n"
             "consensus:\n"
             "  weights: {momentum: 0.5, anomaly: 0.5}\n"
             "  min_confidence: 0.1\n"
             "  router: {candidates: [momentum, anomaly], min_confidence: 0.1, hysteresis: 0.05, "
             "confirm_minutes: 2}\n"
             "execution: {mode: paper}\n");
  const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
  const uint64_t switches = summary["decision"]["model_switches"].get<uint64_t>();
  REQUIRE(switches > 0);

  sh::host::RedisClient c(redis.host(), redis.port());
  REQUIRE(c.connect().ok());
  sh::host::RedisReply reply;
  REQUIRE(c.command({"XRANGE", "model.switch.log", "-", "+"}, &reply).ok());
  std::vector<std::map<std::string, std::string>> entries;
  for (const auto& e : reply.elements) {
    if (e.elements.size() != 2) continue;
    std::map<std::string, std::string> f;
    const auto& kv = e.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) f[kv[i].str] = kv[i + 1].str;
    if (f["kind"] == "model_switch") entries.push_back(std::move(f));
  }
  CHECK(entries.size() == switches);
  REQUIRE(!entries.empty());
  const auto& first = entries.front();
  CHECK(first.at("reason") == "initial");
  CHECK(first.at("from").empty());
  CHECK((first.at("to") == "momentum" || first.at("to") == "anomaly"));
  CHECK(!first.at("symbol").empty());
  CHECK(first.at("ts").rfind("2024-01-02T", 0) == 0);
}
