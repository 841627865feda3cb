// [reload][risk] Experts and risk policies are swappable like detectors: a
// risk plugin's parameters, a Lua risk rule's source and an expert's binary
// change between two minutes of a running pipeline, each recorded as a config
// version; and the operator's `host trade reset-risk` reaches a live
// circuit breaker (OPEN -> HALF_OPEN) from another process.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>

#include "test_swap_support.h"

using namespace sh_test;

namespace {

std::string decision_tail(const std::string& risk) {
  return "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n" + risk +
         "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  min_confidence: 0.1\n"
         "execution: {mode: paper, order_notional_usd: 2000}\n";
}

std::vector<nlohmann::json> decisions_in(const ScratchDir& dir) {
  std::vector<nlohmann::json> out;
  for (const auto& l : lines(read_file(dir / "out/decisions.jsonl"))) out.push_back(nlohmann::json::parse(l));
  return out;
}

nlohmann::json verdict_of(const nlohmann::json& d, const std::string& policy) {
  for (const auto& v : d["risk"]) {
    if (v["policy"] == policy) return v;
  }
  return nullptr;
}

const char* kDetector = "  - {name: return_spike, plugin: return_spike, config: {}}\n";

}  // namespace

TEST_CASE("a risk plugin's parameters and a Lua risk rule swap between two minutes",
          "[reload][risk]") {
  ScratchDir dir("swap_decision_risk");
  write_file(dir / "strict.yaml", "min_confidence: 0.99\n");
  write_file(dir / "rules/allow_all.lua", "function check(intent, pf)\n  return 'allow'\nend\n");
  write_file(dir / "rules/deny_all.lua",
             "function check(intent, pf)\n  return 'deny', 'RISK_LOCKED', 'operator lock'\nend\n");
  write_file(dir / "host.yaml",
             swap_config(kDetector) +
                 decision_tail("  - {name: lua_lock, lua: rules/allow_all.lua}\n"
                               "  - {name: confidence_gate, plugin: confidence_gate, "
                               "config: {min_confidence: 0.1}}\n"));
  SwapRun run(dir / "host.yaml", true, {"confidence_gate", "lua_lock"});
  INFO(run.open_status.message());
  REQUIRE(run.errors.empty());
  REQUIRE(run.open_status.ok());
  sh::host::SwapTargetInfo t;
  REQUIRE(run.pipeline->swap_target("confidence_gate", &t));
  CHECK(t.kind == SH_KIND_RISK);
  REQUIRE(run.pipeline->swap_target("lua_lock", &t));
  CHECK(t.lua);
  REQUIRE(run.pipeline->swap_target("momentum", &t));
  CHECK(t.kind == SH_KIND_EXPERT);

  run.start();
  REQUIRE(run.probe->step(120));
  auto gate = run.request("confidence_gate");
  gate.config_path = (dir / "strict.yaml").string();
  REQUIRE(run.coordinator->submit(gate) == "");
  REQUIRE(run.step_until_outcomes(1));
  REQUIRE(run.outcomes.last().applied);
  REQUIRE(run.probe->step(60));
  auto lock = run.request("lua_lock");
  lock.rule_path = (dir / "rules/deny_all.lua").string();
  REQUIRE(run.coordinator->submit(lock) == "");
  REQUIRE(run.step_until_outcomes(2));
  REQUIRE(run.outcomes.last().applied);
  run.finish();
  REQUIRE(run.run_status.ok());

  // Which version of each served each minute, and what the chain said then.
  const auto versions = run.probe->by_minute();
  size_t before = 0, strict = 0, locked = 0;
  for (const auto& d : decisions_in(dir)) {
    if (d["intent"].is_null()) continue;
    const auto& v = versions.at(d["minute_ts_ns"].get<int64_t>());
    const nlohmann::json lua = verdict_of(d, "lua_lock");
    const nlohmann::json g = verdict_of(d, "confidence_gate");
    // Every line names the version of each policy that made it.
    CHECK(lua["version"].get<std::string>().rfind("lua:", 0) == 0);
    if (v.at("lua_lock") >= 2) {
      CHECK(lua["version"].get<std::string>().find("+cfg2") != std::string::npos);
      ++locked;
      CHECK(lua["action"] == "deny");
      CHECK(lua["reason"] == "RISK_LOCKED");
      CHECK(d["final"]["code"] == 423);
      CHECK(g.is_null());
    } else if (v.at("confidence_gate") >= 2) {
      CHECK(g["version"] == "1.0.0+cfg2");
      CHECK(lua["action"] == "allow");
      // Reductions of exposure pass the gate whatever their confidence.
      if (g["action"] == "deny") {
        ++strict;
        CHECK(g["reason"] == "LOW_CONFIDENCE");
        CHECK(d["final"]["code"] == 412);
      }
    } else {
      ++before;
      CHECK(g["version"] == "1.0.0");
      CHECK(lua["version"].get<std::string>().find("+cfg") == std::string::npos);
      CHECK(g["action"] == "allow");
    }
  }
  CHECK(before > 0);
  CHECK(strict > 0);
  CHECK(locked > 0);
}

TEST_CASE("an expert plugin swaps to a new instance and a bad expert config is refused",
          "[reload][risk]") {
  ScratchDir dir("swap_decision_expert");
  write_file(dir / "bad.yaml", "no_such_key: 1\n");
  write_file(dir / "host.yaml",
             swap_config(kDetector) +
                 decision_tail("  - {name: confidence_gate, plugin: confidence_gate, "
                               "config: {min_confidence: 0.1}}\n"));
  SwapRun run(dir / "host.yaml", true, {"momentum"});
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(100));
  auto bad = run.request("momentum");
  bad.config_path = (dir / "bad.yaml").string();
  const std::string why = run.coordinator->submit(bad);
  CHECK(why.find("no_such_key") != std::string::npos);
  // The execution venue is a component, but never swapped under its orders.
  auto venue = run.request("venue");
  venue.config_path = (dir / "bad.yaml").string();
  const std::string venue_why = run.coordinator->submit(venue);
  CHECK(venue_why.find("is the execution venue: it is not swapped while the host runs") !=
        std::string::npos);
  auto fresh = run.request("momentum");
  fresh.plugin_path = std::string(SH_PLUGIN_DIR) + "/libmomentum.so";
  REQUIRE(run.coordinator->submit(fresh) == "");
  REQUIRE(run.step_until_outcomes(3));
  const auto all = run.outcomes.all();
  CHECK_FALSE(all[0].applied);
  CHECK_FALSE(all[1].applied);  // the venue
  CHECK(all[2].applied);
  CHECK(all[2].config_version == 2);
  run.finish();
  REQUIRE(run.run_status.ok());
  // The swapped expert kept voting: intents after the swap as before it.
  const auto versions = run.probe->by_minute();
  size_t after = 0;
  for (const auto& d : decisions_in(dir)) {
    if (d.value("action", "") == "reduce") continue;  // an emergency-reduce line: no evidence
    const bool swapped = versions.at(d["minute_ts_ns"].get<int64_t>()).at("momentum") == 2;
    for (const auto& e : d["evidence"]) {
      if (e["expert"] == "momentum") CHECK(e["version"] == (swapped ? "1.0.0+cfg2" : "1.0.0"));
    }
    if (!d["intent"].is_null() && swapped) ++after;
  }
  CHECK(after > 0);
}

TEST_CASE("host trade reset-risk half-opens a live circuit breaker", "[reload][risk]") {
  ScratchDir dir("swap_decision_reset");
  // A tiny VaR trip level: the first open position opens the breaker.
  write_file(dir / "host.yaml",
             swap_config(kDetector) +
                 decision_tail("  - {name: breaker, plugin: circuit_breaker, "
                               "config: {var_trip_pct: 0.0001, half_open_scale: 0.5}}\n"
                               "  - {name: confidence_gate, plugin: confidence_gate, "
                               "config: {min_confidence: 0.1}}\n"));
  SwapRun run(dir / "host.yaml", true);
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(200));
  auto counter = [&run](const std::string& name) {
    for (const auto& [k, v] : run.runtime.counters.snapshot()) {
      if (k == name) return v;
    }
    return int64_t{0};
  };
  REQUIRE(counter("breaker.trips") == 1);  // OPEN, and it stays open by itself
  REQUIRE(run.probe->step(20));
  CHECK(counter("breaker.trips") == 1);

  // Flatten, let the closing orders fill, then reset from another process.
  const HostRun flatten = run_host({"trade", "flatten", "--config", (dir / "host.yaml").string()}, dir.path());
  INFO(flatten.err);
  REQUIRE(flatten.exit_code == 0);
  REQUIRE(run.probe->step(3));
  const HostRun reset = run_host({"trade", "reset-risk", "--config", (dir / "host.yaml").string()}, dir.path());
  INFO(reset.err);
  REQUIRE(reset.exit_code == 0);
  CHECK(reset.out.find("queued operator command 'reset-risk'") != std::string::npos);
  run.finish();
  REQUIRE(run.run_status.ok());

  // Before the reset: denials CIRCUIT_OPEN 503. After it: a HALF_OPEN trial
  // that scales new exposure, and the breaker trips again on the trial's VaR.
  size_t open_denials = 0, trial_scales = 0;
  for (const auto& d : decisions_in(dir)) {
    if (d["intent"].is_null()) continue;
    const auto v = verdict_of(d, "breaker");
    if (v.is_null()) continue;
    if (v["action"] == "deny" && v["reason"] == "CIRCUIT_OPEN") {
      ++open_denials;
      CHECK(v["code"] == 503);
    }
    if (v["action"] == "scale") {
      ++trial_scales;
      CHECK(v["detail"].get<std::string>().find("HALF_OPEN") != std::string::npos);
      CHECK(v["scale"] == 0.5);
    }
  }
  CHECK(open_denials > 0);
  CHECK(trial_scales > 0);
  CHECK(counter("breaker.trips") == 2);
}

TEST_CASE("a reset published over param.reload half-opens the breaker and keeps its parameters",
          "[reload][risk]") {
  ScratchDir dir("swap_decision_reset_reload");
  write_file(dir / "reset.yaml", "reset: true\n");
  write_file(dir / "host.yaml",
             swap_config(kDetector) +
                 decision_tail("  - {name: breaker, plugin: circuit_breaker, "
                               "config: {var_trip_pct: 0.0001, half_open_scale: 0.5}}\n"));
  SwapRun run(dir / "host.yaml", true, {"breaker"});
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(200));
  auto reset = run.request("breaker");
  reset.config_path = (dir / "reset.yaml").string();
  REQUIRE(run.coordinator->submit(reset) == "");
  REQUIRE(run.step_until_outcomes(1));
  REQUIRE(run.outcomes.last().applied);
  // Half-opened, and tripped again at once by the book it still holds.
  REQUIRE(run.probe->step(2));
  int64_t trips = 0;
  for (const auto& [k, v] : run.runtime.counters.snapshot()) {
    if (k == "breaker.trips") trips = v;
  }
  CHECK(trips == 2);
  sh::host::SwapTargetInfo t;
  REQUIRE(run.pipeline->swap_target("breaker", &t));
  CHECK(t.current.version == 2);
  // The serving parameters are the configured ones, not {"reset": true}.
  CHECK(t.current.config == nlohmann::json({{"var_trip_pct", 0.0001}, {"half_open_scale", 0.5}}));
  // A new binary then starts from those parameters (and the breaker's state).
  auto fresh = run.request("breaker");
  fresh.plugin_path = std::string(SH_PLUGIN_DIR) + "/libcircuit_breaker.so";
  REQUIRE(run.coordinator->submit(fresh) == "");
  REQUIRE(run.step_until_outcomes(2));
  REQUIRE(run.outcomes.last().applied);
  REQUIRE(run.pipeline->swap_target("breaker", &t));
  CHECK(t.current.config == nlohmann::json({{"var_trip_pct", 0.0001}, {"half_open_scale", 0.5}}));
  run.finish();
  REQUIRE(run.run_status.ok());
  // The journal keeps the reset itself, so a replay resets at the same event.
  sh::host::ConfigVersion v2;
  run.close();
  sh::host::StateStoreOptions so;
  so.dir = (dir / "state").string();
  std::unique_ptr<sh::host::StateStore> store;
  REQUIRE(sh::host::StateStore::open(so, &store).ok());
  sh::host::StateTxn txn;
  REQUIRE(store->begin_read(&txn).ok());
  REQUIRE(sh::host::read_config_version(txn, "breaker", 2, &v2).ok());
  CHECK(v2.config == nlohmann::json({{"reset", true}}));
}
