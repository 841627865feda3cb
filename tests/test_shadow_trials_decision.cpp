// [shadow][reload][risk] Shadow trials of experts and risk policies (issue 15
// point 5): a candidate expert evaluates the same rows as the serving one,
// a candidate risk policy judges the same intents against the same
// portfolio; their evidence and verdicts go to out/shadow/<component>.jsonl
// and the ShadowBoard, never into consensus, the chain or the broker: the
// decisions, trades and digest are those of the session without the trials
// until a promote. The journal replays the session byte for byte.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "control/reload_message.h"
#include "test_shadow_support.h"

using namespace sh_test;
using nlohmann::json;
using sh::host::ReloadRequest;
using sh::host::ShadowAction;
using Catch::Matchers::Contains;

namespace {

const char* kDecisionDetectors = "  - {name: return_spike, plugin: return_spike, config: {}}\n";

std::string decision_config(const std::string& state = "state", int poll = 200) {
  return swap_config(kDecisionDetectors, state, poll) +
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n"
         "  - {name: lua_lock, lua: rules/allow_all.lua}\n"
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.1}}\n"
         "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  min_confidence: 0.1\n"
         "execution: {mode: paper, order_notional_usd: 2000}\n";
}

void write_inputs(const ScratchDir& dir) {
  write_file(dir / "rules/allow_all.lua", "function check(intent, pf)\n  return 'allow'\nend\n");
  write_file(dir / "rules/deny_all.lua",
             "function check(intent, pf)\n  return 'deny', 'RISK_LOCKED', 'operator lock'\nend\n");
  write_file(dir / "params/gate_strict.yaml", "min_confidence: 0.99\n");
  write_file(dir / "params/momentum_slow.yaml", "scale: 0.005\nmin_abs_mom: 0.002\n");
  write_file(dir / "host.yaml", decision_config());
  std::string other = decision_config("state_replay", 4096);
  other.replace(other.find("output_dir: out"), 15, "output_dir: out_replay");
  write_file(dir / "replay.yaml", other);
}

// Starts the three trials after 60 minutes: a slower momentum, a strict
// confidence gate and a Lua rule that denies everything.
void start_trials(SwapRun& run) {
  REQUIRE(run.open_status.ok());
  run.start();
  REQUIRE(run.probe->step(60));
  auto momentum = shadow_request(run, "momentum", ShadowAction::kStart);
  momentum.config_path = "params/momentum_slow.yaml";
  momentum.version = "slow";
  submit_applied(run, momentum);
  auto gate = shadow_request(run, "confidence_gate", ShadowAction::kStart);
  gate.config_path = "params/gate_strict.yaml";
  gate.version = "strict";
  submit_applied(run, gate);
  auto lock = shadow_request(run, "lua_lock", ShadowAction::kStart);
  lock.rule_path = "rules/deny_all.lua";
  lock.version = "lock";
  submit_applied(run, lock);
}

}  // namespace

TEST_CASE("shadow experts and risk policies leave the decisions alone, compare, and replay",
          "[shadow][reload][risk]") {
  ScratchDir dir("shadow_decision");
  write_inputs(dir);
  const HostRun plain = run_host({"run", "--config", "host.yaml"}, dir.path());
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  const std::string plain_decisions = read_file(dir / "out/decisions.jsonl");
  const std::string plain_trades = read_file(dir / "out/trades.csv");
  REQUIRE_FALSE(plain_decisions.empty());

  std::string digest;
  {
    SwapRun run(dir / "host.yaml", true, {"momentum", "confidence_gate", "lua_lock"});
    start_trials(run);
    REQUIRE(run.probe->step(200));
    submit_applied(run, shadow_request(run, "lua_lock", ShadowAction::kDiscard));
    run.finish();
    REQUIRE(run.run_status.ok());
    digest = run.pipeline->summary().digest;

    const auto m = comparison_of(run, "momentum");
    CHECK(m.kind == "expert");
    CHECK(m.state == "running");
    CHECK(m.minutes_compared >= 200);
    // min_abs_mom makes the candidate abstain where the serving one leans;
    // a smaller scale gives other confidences where both lean.
    CHECK(m.candidate_hits < m.serving_hits);
    CHECK(m.only_serving > 0);
    CHECK(m.score_differs > 0);
    const auto g = comparison_of(run, "confidence_gate");
    CHECK(g.kind == "risk policy");
    CHECK(g.minutes_compared > 0);
    CHECK(g.serving_hits == g.candidate_hits);  // one verdict per intent each
    CHECK(g.minutes_differing > 0);
    const auto l = comparison_of(run, "lua_lock");
    CHECK(l.state == "discarded");
    CHECK(l.minutes_differing == l.minutes_compared);
    const json snapshot = run.pipeline->shadow_board().snapshot_json();
    bool saw_verdicts = false;
    for (const json& t : snapshot) saw_verdicts |= t["compares"] == "verdicts";
    CHECK(saw_verdicts);
    run.close();
  }
  // The trials never reached the decision: the same lines, trades and digest.
  CHECK(read_file(dir / "out/decisions.jsonl") == plain_decisions);
  CHECK(read_file(dir / "out/trades.csv") == plain_trades);
  CHECK_THAT(plain.out, Contains("digest sha256:" + digest));

  // The strict gate denies low-confidence intents the serving gate allowed.
  size_t strict_denials = 0;
  for (const json& v : json_lines(dir / "out/shadow/confidence_gate.jsonl")) {
    CHECK_THAT(v["version"].get<std::string>(), Catch::EndsWith("+shadow:strict"));
    if (v["action"] == "deny" && v["serving_action"] == "allow") {
      CHECK(v["reason"] == "LOW_CONFIDENCE");
      ++strict_denials;
    }
  }
  CHECK(strict_denials > 0);
  const auto lock_lines = json_lines(dir / "out/shadow/lua_lock.jsonl");
  REQUIRE_FALSE(lock_lines.empty());
  for (const json& v : lock_lines) {
    CHECK(v["action"] == "deny");
    CHECK(v["reason"] == "RISK_LOCKED");
    CHECK(v["serving_action"] == "allow");
  }
  const auto momentum_lines = json_lines(dir / "out/shadow/momentum.jsonl");
  REQUIRE_FALSE(momentum_lines.empty());
  for (const json& e : momentum_lines) {
    CHECK(e["confidence"].is_number());
    const std::string d = e["direction"];
    CHECK((d == "long" || d == "short" || d == "flat"));
  }

  // The binary replays the session from its journal: the same shadow files.
  const std::string out = replay_through_binary(dir);
  CHECK_THAT(out, Contains("digest sha256:" + digest));
  for (const char* f : {"momentum.jsonl", "confidence_gate.jsonl", "lua_lock.jsonl"}) {
    INFO(f);
    CHECK(read_file(dir / "out_replay/shadow" / f) == read_file(dir / "out/shadow" / f));
  }
}

TEST_CASE("a promoted shadow risk policy decides from the next minute on", "[shadow][reload][risk]") {
  ScratchDir dir("shadow_decision_promote");
  write_inputs(dir);
  uint64_t promoted_at = 0;
  {
    SwapRun run(dir / "host.yaml", true, {"momentum", "confidence_gate", "lua_lock"});
    start_trials(run);
    REQUIRE(run.probe->step(100));
    const auto promoted =
        submit_applied(run, shadow_request(run, "confidence_gate", ShadowAction::kPromote));
    CHECK(promoted.config_version == 2);
    promoted_at = promoted.effective_seq;
    submit_applied(run, shadow_request(run, "momentum", ShadowAction::kDiscard));
    run.finish();
    REQUIRE(run.run_status.ok());
    CHECK(comparison_of(run, "confidence_gate").state == "promoted");
    CHECK(comparison_of(run, "momentum").state == "discarded");
    sh::host::SwapTargetInfo info;
    REQUIRE(run.pipeline->swap_target("confidence_gate", &info));
    CHECK(info.current.label == "strict");
    CHECK(info.current.config == json({{"min_confidence", 0.99}}));
    run.close();
  }
  REQUIRE(promoted_at > 0);
  // Before the promote the gate (0.1) let intents through; after it, the
  // strict version denies them with LOW_CONFIDENCE in the decision log.
  size_t strict_denied = 0;
  for (const json& d : json_lines(dir / "out/decisions.jsonl")) {
    if (!d.contains("risk")) continue;
    for (const json& v : d["risk"]) {
      if (v["policy"] != "confidence_gate") continue;
      const std::string version = v.value("version", "");
      if (version.find("+cfg2") != std::string::npos && v["action"] == "deny") ++strict_denied;
    }
  }
  CHECK(strict_denied > 0);
}

TEST_CASE("a shadow trial of a Lua router rule or a provider is refused with the reason",
          "[shadow][reload]") {
  ScratchDir dir("shadow_decision_refusals");
  write_inputs(dir);
  write_file(dir / "rules/router.lua", read_file(fs::path(SH_SOURCE_DIR) / "scripts/lua/router_threshold.lua"));
  std::string config = decision_config();
  config.replace(config.find("experts:\n"), 9, "experts:\n  - {name: router, lua: rules/router.lua}\n");
  write_file(dir / "host.yaml", config);
  SwapRun run(dir / "host.yaml", false);
  INFO(run.open_status.message());
  REQUIRE(run.errors.empty());
  REQUIRE(run.open_status.ok());
  auto router = shadow_request(run, "router", ShadowAction::kStart);
  router.rule_path = "rules/router.lua";
  CHECK_THAT(run.coordinator->submit(router), Contains("this is a Lua router rule"));
  auto provider = shadow_request(run, "sample", ShadowAction::kStart);
  CHECK_THAT(run.coordinator->submit(provider), Contains("this is a market-data provider"));
  CHECK_THAT(run.coordinator->submit(shadow_request(run, "confidence_gate", ShadowAction::kPromote)),
             Contains("no shadow trial is running to promote"));
}
