// [run][paper] The decision layer end to end: the real binary over the
// shipped sample session with expert plugins (momentum, anomaly), a risk
// chain and the paper broker: decisions.jsonl, trades.csv, run summary.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;

namespace {


std::string decision_config(const std::string& extra_risk = "", const std::string& extra = "") {
  return "host:\n"
         "  mode: replay\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "']\n"
         "  state_dir: state\n"
         "  output_dir: out\n"
         + sh_test::sample_providers_yaml() +
         "conveyor: {benchmark: BTC}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n" +
         extra_risk +
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.1}}\n"
         "  - {name: confidence_sizing, plugin: confidence_sizing, config: {}}\n"
         "  - {name: notional_cap, plugin: notional_cap, config: {max_notional_usd: 50000}}\n"
         "consensus:\n"
         "  weights: {momentum: 0.5, anomaly: 0.5}\n"
         "  threshold: 0.55\n"
         "  min_confidence: 0.1\n"
         "execution: {mode: paper, order_notional_usd: 2000, slippage_bps: 1, fill: next_open}\n" +
         extra;
}

HostRun run_with(const ScratchDir& dir, const std::string& config_text) {
  write_file(dir / "host.yaml", config_text);
  return run_host({"--config", (dir / "host.yaml").string()}, dir.path());
}

nlohmann::json summary_of(const ScratchDir& dir) {
  return nlohmann::json::parse(read_file(dir / "out/run_summary.json"));
}

}  // namespace

TEST_CASE("replay with experts and a risk chain makes paper orders and fills", "[run][paper]") {
  ScratchDir dir("run_decision");
  const HostRun r = run_with(dir, decision_config());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("fills") != std::string::npos);

  const auto decisions = lines(read_file(dir / "out/decisions.jsonl"));
  REQUIRE(!decisions.empty());
  bool saw_verdicts = false;
  for (const auto& l : decisions) {
    const auto j = nlohmann::json::parse(l);
    if (j.value("action", "") == "reduce") continue;  // emergency reduce lines (no consensus)
    REQUIRE(j.contains("consensus"));
    CHECK(j["consensus"].contains("signal"));
    if (j.contains("risk") && j["risk"].is_array() && !j["risk"].empty()) saw_verdicts = true;
  }
  CHECK(saw_verdicts);

  const auto trades = lines(read_file(dir / "out/trades.csv"));
  REQUIRE(trades.size() >= 2);  // header + at least one fill
  CHECK(trades[0].rfind("timestamp,ts_ns,symbol,side,qty,price", 0) == 0);

  const auto s = summary_of(dir);
  REQUIRE(s.contains("decision"));
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
  CHECK(s["decision"]["fills"].get<uint64_t>() == trades.size() - 1);
  CHECK(s["decision"]["equity_usd"].get<double>() > 0);
  bool streams_trades = false, streams_decisions = false;
  for (const auto& st : s["streams"]) {
    streams_trades = streams_trades || st["name"] == "trades";
    streams_decisions = streams_decisions || st["name"] == "decisions";
  }
  CHECK(streams_trades);
  CHECK(streams_decisions);

  // A second replay (fresh dir) and a replay into the same dir: same digest.
  ScratchDir b("run_decision_b");
  REQUIRE(run_with(b, decision_config()).exit_code == 0);
  CHECK(summary_of(b)["digest"] == s["digest"]);
  CHECK(read_file(b / "out/trades.csv") == read_file(dir / "out/trades.csv"));
  CHECK(read_file(b / "out/decisions.jsonl") == read_file(dir / "out/decisions.jsonl"));
  REQUIRE(run_with(dir, decision_config()).exit_code == 0);
  CHECK(summary_of(dir)["digest"] == s["digest"]);
  CHECK(lines(read_file(dir / "out/trades.csv")).size() == trades.size());
}

TEST_CASE("an engaged kill switch denies every order: no fills", "[run][paper]") {
  ScratchDir dir("run_decision_kill");
  write_file(dir / "KILL", "stop\n");
  const HostRun r = run_with(
      dir, decision_config("  - {name: kill_switch, plugin: kill_switch, config: {path: '" +
                           (dir / "KILL").string() + "'}}\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  REQUIRE(s.contains("decision"));
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(s["decision"]["fills"] == 0);
  CHECK(s["decision"]["orders_accepted"] == 0);
  CHECK(s["decision"]["denied"]["KILL_SWITCH"].get<uint64_t>() ==
        s["decision"]["intents"].get<uint64_t>());
  const auto trades = lines(read_file(dir / "out/trades.csv"));
  CHECK(trades.size() == 1);  // the header only
  CHECK(r.out.find("KILL_SWITCH=") != std::string::npos);
}

TEST_CASE("execution mode live without a broker plugin refuses to start", "[run][paper]") {
  ScratchDir dir("run_decision_live");
  std::string cfg = decision_config();
  const std::string from = "execution: {mode: paper,";
  cfg.replace(cfg.find(from), from.size(), "execution: {mode: live,");
  const HostRun r = run_with(dir, cfg);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("live trading needs a broker plugin") != std::string::npos);
}

TEST_CASE("consensus.router picks the active model per symbol and stores its switches",
          "[run][paper]") {
  ScratchDir dir("run_decision_router");
  std::string cfg = decision_config();
  const std::string from = "  min_confidence: 0.1\n";
  cfg.replace(cfg.find(from), from.size(),
              from + "  router: {candidates: [momentum, anomaly], min_confidence: 0.1, "
                     "hysteresis: 0.05, confirm_minutes: 2}\n");
  const HostRun r = run_with(dir, cfg);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  CHECK(s["decision"]["model_switches"].get<uint64_t>() > 0);
  CHECK(r.err.find("(initial)") != std::string::npos);
  const auto decisions = lines(read_file(dir / "out/decisions.jsonl"));
  REQUIRE(!decisions.empty());
  // Only momentum ever votes on the sample with these settings: it is active.
  CHECK(nlohmann::json::parse(decisions[0])["consensus"]["model_version"] == "momentum");
  // A candidate that is not an expert is a located config error.
  std::string bad = cfg;
  const std::string cand = "candidates: [momentum, anomaly]";
  bad.replace(bad.find(cand), cand.size(), "candidates: [momentum, nope]");
  const HostRun rb = run_with(dir, bad);
  CHECK(rb.exit_code == 1);
  CHECK(rb.err.find("no expert component named 'nope'") != std::string::npos);
}

TEST_CASE("the risk chain sees a parametric VaR of the open positions", "[run][paper]") {
  ScratchDir dir("run_decision_var");
  const HostRun r = run_with(dir, decision_config());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto s = summary_of(dir);
  REQUIRE(s["decision"]["fills"].get<uint64_t>() > 0);  // a position was open
  CHECK(s["decision"]["var_pct_max"].get<double>() > 0);
  CHECK(s["decision"]["var_pct_max"].get<double>() < 100);
  CHECK(s["decision"]["operator_commands"] == 0);
}

TEST_CASE("host trade stop|resume: operator commands through the store", "[run][paper]") {
  ScratchDir dir("run_decision_trade");
  std::string cfg = decision_config();
  const std::string from = "  mode: replay\n";
  cfg.replace(cfg.find(from), from.size(), "  mode: production\n");
  write_file(dir / "host.yaml", cfg);
  const std::string config = (dir / "host.yaml").string();

  // A bad command name is a usage error.
  CHECK(run_host({"trade", "explode", "--config", config}, dir.path()).exit_code == 2);

  // stop queued before the run: applied at its first minute, every order 423.
  const HostRun q1 = run_host({"trade", "stop", "--config", config}, dir.path());
  INFO(q1.err);
  REQUIRE(q1.exit_code == 0);
  const HostRun r1 = run_host({"--config", config}, dir.path());
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(r1.err.find("operator command 'stop' applied at minute") != std::string::npos);
  auto s = summary_of(dir);
  CHECK(s["decision"]["operator_commands"] == 1);
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(s["decision"]["orders_accepted"] == 0);
  CHECK(s["decision"]["orders_refused"].get<uint64_t>() > 0);
  bool saw_423 = false;
  for (const auto& l : lines(read_file(dir / "out/decisions.jsonl"))) {
    saw_423 = saw_423 || (l.find("423") != std::string::npos &&
                           l.find("emergency stop is active") != std::string::npos);
  }
  CHECK(saw_423);

  // The next runs replay later sessions (the same market 6 h and 12 h on):
  // minutes the store already has are caught up without new orders.
  ScratchDir data("run_decision_trade_data");
  auto later_session = [&](int k) {
    std::string c = cfg;
    const std::string sample = sh_test::sample_providers_yaml();
    fs::create_directories(data / std::to_string(k));
    c.replace(c.find(sample), sample.size(),
              shifted_sample_providers_yaml(data / std::to_string(k), k * 6LL * 3600 * 1000000000LL));
    write_file(dir / "host.yaml", c);
  };

  // The stop is persisted: without a command the next run still refuses.
  later_session(1);
  const HostRun r2 = run_host({"--config", config}, dir.path());
  REQUIRE(r2.exit_code == 0);
  s = summary_of(dir);
  CHECK(s["decision"]["operator_commands"] == 0);
  CHECK(s["decision"]["intents"].get<uint64_t>() > 0);
  CHECK(s["decision"]["orders_accepted"] == 0);

  // resume: the record is consumed once and orders are accepted again.
  REQUIRE(run_host({"trade", "resume", "--config", config}, dir.path()).exit_code == 0);
  later_session(2);
  const HostRun r3 = run_host({"--config", config}, dir.path());
  INFO(r3.err);
  REQUIRE(r3.exit_code == 0);
  CHECK(r3.err.find("operator command 'resume' applied at minute") != std::string::npos);
  s = summary_of(dir);
  CHECK(s["decision"]["operator_commands"] == 1);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
}
