// [run][lua][risk] Lua router and risk rules in the decision layer, through
// the real binary over the shipped sample session: a risk rule's verdicts
// and reason codes in decisions.jsonl, an erroring or runaway rule failing
// closed while the run carries on, a router rule deciding the signal, and
// dry-run deciding without submitting.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_host_support.h"

using namespace sh_test;

namespace {

// experts: momentum + anomaly (plugins) + extra_experts; risk: extra_risk
// then a permissive plugin gate. Rules are read from <dir>/rules.
std::string lua_decision_config(const std::string& extra_risk, const std::string& extra_experts = "",
                                const std::string& mode = "replay") {
  return "host:\n"
         "  mode: " + mode + "\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  rule_dirs: [rules]\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         + sample_providers_yaml() +
         "conveyor: {benchmark: BTC}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n" +
         extra_experts +
         "risk:\n" + extra_risk +
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.1}}\n"
         "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  threshold: 0.55\n"
         "  min_confidence: 0.1\n"
         // No emergency reduce: the tests count every allowed intent as accepted.
         "execution: {mode: paper, order_notional_usd: 2000, slippage_bps: 1, fill: next_open,\n"
         "            emergency_reduce: {enabled: false}}\n";
}

HostRun run_in(const ScratchDir& dir, const std::string& config_text) {
  write_file(dir / "host.yaml", config_text);
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

nlohmann::json summary_of(const ScratchDir& dir) {
  return nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
}

std::vector<nlohmann::json> decisions_of(const ScratchDir& dir) {
  std::vector<nlohmann::json> out;
  for (const auto& l : lines(read_file(dir / "out/decisions.jsonl"))) out.push_back(nlohmann::json::parse(l));
  return out;
}

// The verdict of `policy` in a decision line, or null.
nlohmann::json verdict_of(const nlohmann::json& d, const std::string& policy) {
  if (!d.contains("risk") || !d["risk"].is_array()) return nullptr;
  for (const auto& v : d["risk"]) {
    if (v["policy"] == policy) return v;
  }
  return nullptr;
}

void copy_rule(const ScratchDir& dir, const std::string& file) {
  write_file(dir / "rules" / file, read_file(fs::path(SH_SOURCE_DIR) / "scripts/lua" / file));
}

}  // namespace

TEST_CASE("a Lua risk rule runs in the chain: its denials carry its reason and code",
          "[run][lua][risk]") {
  ScratchDir dir("lua_risk_deny");
  copy_rule(dir, "confidence_gate.lua");
  const HostRun r = run_in(dir, lua_decision_config(
      "  - {name: lua_gate, lua: rules/confidence_gate.lua, params: {min_confidence: 0.99}}\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  const uint64_t intents = s["decision"]["intents"].get<uint64_t>();
  REQUIRE(intents > 0);
  // The planted spikes make a few intents near-certain (anomaly confidence
  // ~1): those pass; every other one is denied by the rule.
  size_t denied = 0, allowed = 0;
  for (const auto& d : decisions_of(dir)) {
    if (!d.contains("intent") || d["intent"].is_null()) continue;  // no intent, or a reduce line
    const auto v = verdict_of(d, "lua_gate");
    REQUIRE(v.is_object());
    if (d["intent"]["confidence"].get<double>() < 0.99) {
      ++denied;
      CHECK(v["action"] == "deny");
      CHECK(v["reason"] == "LOW_CONFIDENCE");
      CHECK(v["code"] == 412);
      CHECK(v["detail"].get<std::string>().find("< 0.990") != std::string::npos);
      CHECK(d["final"]["code"] == 412);
      CHECK(verdict_of(d, "confidence_gate").is_null());  // the chain stopped at the denial
    } else {
      ++allowed;
      CHECK(v["action"] == "allow");
    }
  }
  CHECK(denied + allowed == intents);
  CHECK(denied > 10 * allowed);
  CHECK(s["decision"]["denied"]["LOW_CONFIDENCE"].get<uint64_t>() == denied);

  // The same rule with a permissive threshold lets orders through.
  ScratchDir ok("lua_risk_allow");
  copy_rule(ok, "confidence_gate.lua");
  REQUIRE(run_in(ok, lua_decision_config(
      "  - {name: lua_gate, lua: rules/confidence_gate.lua, params: {min_confidence: 0.0}}\n"))
              .exit_code == 0);
  const auto s2 = summary_of(ok);
  CHECK(s2["decision"]["intents"] == intents);
  CHECK(s2["decision"]["orders_accepted"].get<uint64_t>() > 0);
  CHECK(s2["decision"]["denied"].value("LOW_CONFIDENCE", 0) == 0);
}

TEST_CASE("a Lua risk rule that errors or never returns fails closed and the run carries on",
          "[run][lua][risk]") {
  // Healthy through the load-time dry run and the first 300 intents, then
  // broken: an error, or a loop that never ends.
  const auto failure = GENERATE(as<std::string>{}, "error('limits table missing')", "while true do end");
  const std::string source = "local calls = 0\n"
                             "function check(intent, pf)\n"
                             "  calls = calls + 1\n"
                             "  if calls > 300 then " + failure + " end\n"
                             "  return 'allow'\n"
                             "end\n";
  ScratchDir dir("lua_risk_fail");
  write_file(dir / "rules/bad_risk.lua", source);
  const HostRun r = run_in(dir, lua_decision_config(
      "  - {name: bad_risk, lua: rules/bad_risk.lua, time_budget_ms: 20, on_error: keep_last_good}\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  const uint64_t intents = s["decision"]["intents"].get<uint64_t>();
  REQUIRE(intents > 0);
  const uint64_t errors = s["decision"]["denied"]["POLICY_ERROR"].get<uint64_t>();
  CHECK(errors > intents / 2);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() + errors == intents);
  CHECK(s["minutes_closed"] == 360);  // every minute still closed
  // Once broken, nothing gets through: after the first POLICY_ERROR every
  // intent is denied 503.
  bool broken = false;
  for (const auto& d : decisions_of(dir)) {
    if (d["intent"].is_null()) continue;
    broken = broken || d["final"]["reason"] == "POLICY_ERROR";
    if (!broken) continue;
    CHECK(d["final"]["code"] == 503);
    CHECK(d["final"]["reason"] == "POLICY_ERROR");
  }
  CHECK(broken);
  // The log names the rule's file (and the line for a runtime error).
  CHECK(r.err.find("bad_risk.lua") != std::string::npos);
}

TEST_CASE("a Lua router rule decides the signal from the fused evidence", "[run][lua]") {
  // A strict router: only near-certain records trade.
  ScratchDir strict("lua_router_strict");
  copy_rule(strict, "router_threshold.lua");
  const HostRun r = run_in(strict, lua_decision_config(
      "", "  - {name: router, lua: rules/router_threshold.lua, params: {min_confidence: 0.99}}\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  ScratchDir plain("lua_router_none");
  REQUIRE(run_in(plain, lua_decision_config("")).exit_code == 0);
  const uint64_t plain_intents = summary_of(plain)["decision"]["intents"].get<uint64_t>();
  const uint64_t strict_intents = summary_of(strict)["decision"]["intents"].get<uint64_t>();
  REQUIRE(plain_intents > 100);
  CHECK(strict_intents < plain_intents / 100);
  for (const auto& d : decisions_of(strict)) {
    if (!d["intent"].is_null()) CHECK(d["consensus"]["confidence"].get<double>() >= 0.99);
  }

  // A contrarian router fades every fused signal: each intent takes the side
  // the evidence leans against.
  ScratchDir fade("lua_router_fade");
  write_file(fade / "rules/fade.lua",
             "function route(ev, ctx)\n"
             "  if not (ev.confidence >= 0.1) then return 'flat', 0 end\n"
             "  if ev.prob_long > ev.prob_short then return 'short', ev.confidence end\n"
             "  if ev.prob_short > ev.prob_long then return 'long', ev.confidence end\n"
             "  return 'flat', 0\n"
             "end\n");
  REQUIRE(run_in(fade, lua_decision_config("", "  - {name: fade, lua: rules/fade.lua}\n")).exit_code == 0);
  size_t faded = 0;
  for (const auto& d : decisions_of(fade)) {
    if (d["intent"].is_null()) continue;
    const double pl = d["consensus"]["prob_long"].get<double>();
    const double ps = d["consensus"]["prob_short"].get<double>();
    CHECK(d["intent"]["side"] == (pl > ps ? "sell" : "buy"));
    CHECK(d["consensus"]["signal"] == (pl > ps ? "short" : "long"));
    CHECK(d["consensus"]["allow"] == true);
    ++faded;
  }
  CHECK(faded >= plain_intents);
}

TEST_CASE("dry-run decides and logs every order but submits none", "[run][paper]") {
  ScratchDir dir("lua_dry_run");
  const HostRun r = run_in(dir, lua_decision_config("", "", "dry-run"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  const uint64_t intents = s["decision"]["intents"].get<uint64_t>();
  REQUIRE(intents > 0);
  CHECK(s["decision"]["orders_accepted"] == 0);
  CHECK(s["decision"]["fills"] == 0);
  CHECK(s["decision"]["orders_not_submitted"] == intents);
  CHECK(lines(read_file(dir / "out/trades.csv")).size() == 1);  // header only
  size_t not_submitted = 0;
  for (const auto& d : decisions_of(dir)) {
    if (!d["intent"].is_null() && d["final"]["status"] == "not_submitted") ++not_submitted;
  }
  CHECK(not_submitted == intents);
}
