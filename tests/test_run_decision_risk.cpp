// [run][risk] The risk chain through the real host binary: every reason code
// a shipped policy gives, the circuit breaker tripped by the portfolio VaR the
// host computes, and safe mode entered and left on erroring cycles of a real
// (test) policy plugin. Each run replays the sample session (4 symbols, 360
// minutes) with real plugins and a real LMDB store; the assertions read
// decisions.jsonl, trades.csv and run_summary.json as a user would.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using nlohmann::json;

namespace {

// The decision lines grouped by decision cycle (a minute with intents: the
// host calls the risk chain once per such minute), in minute order.
std::vector<std::vector<json>> cycles_of(const std::vector<json>& decisions) {
  std::vector<std::vector<json>> cycles;
  int64_t last = -1;
  for (const json& d : intent_lines(decisions)) {
    const int64_t ts = d["minute_ts_ns"].get<int64_t>();
    if (cycles.empty() || ts != last) cycles.emplace_back();
    cycles.back().push_back(d);
    last = ts;
  }
  return cycles;
}

}  // namespace

TEST_CASE("each risk reason code reaches decisions.jsonl with its HTTP-like code", "[run][risk]") {
  struct Row {
    const char* reason;
    int code;
    const char* policy;  // component name = plugin name (or the test plugin)
    std::string config;
  };
  ScratchDir dir("run_decision_reasons");
  write_file(dir / "KILL_SWITCH", "halt\n");
  const std::vector<Row> rows = {
      {"LOW_CONFIDENCE", 412, "confidence_gate", "{min_confidence: 0.99}"},
      {"NOTIONAL_CAP", 412, "notional_cap", "{max_notional_usd: 1000, mode: deny}"},
      {"VOL_TARGET", 412, "vol_target", "{target_ann_vol: 0.001, default_ann_vol: 0.8}"},
      {"KILL_SWITCH", 423, "kill_switch", "{path: '" + (dir / "KILL_SWITCH").string() + "'}"},
      {"RISK_LOCKED", 423, "drawdown_lock", "{max_drawdown_pct: 0.001}"},
      {"DAILY_LOSS", 423, "daily_loss", "{daily_loss_pct: 0.001}"},
      {"VAR_LIMIT", 423, "kelly_var", "{var_limit_pct: 0.001, var_emergency_pct: 0.002}"},
      {"RATE_LIMITED", 429, "rate_limit", "{window_ms: 3600000, max_intents: 2}"},
      {"CIRCUIT_OPEN", 503, "circuit_breaker", "{var_trip_pct: 0.001}"},
      {"POLICY_ERROR", 503, "flaky_risk", "{fail_cycles: 3}"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.reason) {
      const std::string plugin = std::string(row.policy) == "flaky_risk"
                                     ? test_plugin("flaky_risk").string()
                                     : std::string(row.policy);
      DecisionConfig cfg;
      cfg.add_risk(row.policy, plugin, row.config);
      const HostRun r = run_decision(dir, cfg);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);

      const auto decisions = read_decisions(dir / "out");
      const auto trades = read_trades(dir / "out");
      std::set<std::string> filled;
      for (const auto& t : trades) filled.insert(t.at("idempotency_key"));
      size_t denied = 0;
      for (const json& d : intent_lines(decisions)) {
        const json& f = d["final"];
        if (f["status"] != "denied") continue;
        INFO(d.dump());
        CHECK(f["reason"] == row.reason);  // the only policy: every denial is its
        CHECK(f["code"] == row.code);
        const json v = policy_verdict(d, row.policy);
        REQUIRE(v.is_object());
        CHECK(v["action"] == "deny");
        CHECK(v["reason"] == row.reason);
        CHECK(v["code"] == row.code);
        CHECK(!v["detail"].get<std::string>().empty());
        CHECK(filled.count(f["idempotency_key"].get<std::string>()) == 0);  // never filled
        ++denied;
      }
      CHECK(denied > 0);
      const json s = summary_json(dir / "out");
      CHECK(s["decision"]["denied"].value(row.reason, uint64_t{0}) == denied);
    }
  }
}

TEST_CASE("safe mode scales new exposure by 0.1 after more than 5 erroring cycles, then "
          "returns to full size",
          "[run][risk]") {
  ScratchDir dir("run_decision_safe_mode");
  const std::string flaky = test_plugin("flaky_risk").string();

  SECTION("six erroring cycles: POLICY_ERROR, then safe mode for three clean cycles") {
    DecisionConfig cfg;
    // Every intent the chain lets through must be accepted here: no
    // emergency reduce (whose reduce-only refusals would mix in).
    cfg.execution_extra = ", emergency_reduce: {enabled: false}";
    cfg.add_risk("flaky", flaky, "{skip_cycles: 2, fail_cycles: 6}");
    cfg.add_risk("safe_mode", "safe_mode", "{}");  // defaults: > 5 errors, x0.1, 3 clean cycles
    const HostRun r = run_decision(dir, cfg);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto decisions = read_decisions(dir / "out");
    const PositionBook book(read_trades(dir / "out"));
    const auto cycles = cycles_of(decisions);
    REQUIRE(cycles.size() >= 14);

    for (size_t c = 0; c < cycles.size(); ++c) {
      const size_t cycle = c + 1;  // 1-based, as the plugin counts
      for (const json& d : cycles[c]) {
        INFO("cycle " << cycle << ": " << d.dump());
        const json& f = d["final"];
        const json flaky_v = policy_verdict(d, "flaky");
        const json safe_v = policy_verdict(d, "safe_mode");
        REQUIRE(flaky_v.is_object());
        if (cycle >= 3 && cycle <= 8) {
          // Fails closed: the whole batch is denied, safe_mode never sees it.
          CHECK(flaky_v["action"] == "deny");
          CHECK(flaky_v["reason"] == "POLICY_ERROR");
          CHECK(flaky_v["detail"].get<std::string>().find("injected failure on cycle " +
                                                          std::to_string(cycle)) != std::string::npos);
          CHECK(f["status"] == "denied");
          CHECK(f["reason"] == "POLICY_ERROR");
          CHECK(f["code"] == 503);
          CHECK(safe_v.is_null());
          continue;
        }
        REQUIRE(safe_v.is_object());
        CHECK(f["status"] == "accepted");
        CHECK(f["code"] == 200);
        const double asked = d["intent"]["qty"].get<double>();
        // Cycles 9..11: the first after six errors (6 > 5) and two clean ones;
        // the third clean cycle (12) completes the streak and is unscaled.
        const bool in_safe_mode = cycle >= 9 && cycle <= 11;
        if (in_safe_mode && book.adds_exposure(d)) {
          CHECK(safe_v["action"] == "scale");
          CHECK(safe_v["reason"] == "SAFE_MODE");
          CHECK(safe_v["code"] == 200);
          CHECK(safe_v["scale"].get<double>() == Approx(0.1));
          CHECK(f["qty"].get<double>() == Approx(asked * 0.1));
        } else {
          CHECK(safe_v["action"] == "allow");
          CHECK(f["qty"].get<double>() == Approx(asked));
        }
      }
    }
    // At least one intent of the safe-mode cycles added exposure (else the
    // scaling above was never exercised).
    size_t scaled = 0;
    for (size_t c = 8; c < 11; ++c) {
      for (const json& d : cycles[c]) scaled += policy_verdict(d, "safe_mode")["reason"] == "SAFE_MODE";
    }
    CHECK(scaled > 0);
    CHECK(r.err.find("[safe_mode] safe mode entered: 6 consecutive errors > 5") != std::string::npos);
    CHECK(r.err.find("[safe_mode] safe mode left after 3 clean cycles") != std::string::npos);
    const json s = summary_json(dir / "out");
    CHECK(s["decision"]["denied"]["POLICY_ERROR"].get<uint64_t>() > 0);
    CHECK(s["decision"]["fills"].get<uint64_t>() > 0);
  }

  SECTION("five erroring cycles are not more than five: no safe mode") {
    DecisionConfig cfg;
    cfg.execution_extra = ", emergency_reduce: {enabled: false}";
    cfg.add_risk("flaky", flaky, "{skip_cycles: 2, fail_cycles: 5}");
    cfg.add_risk("safe_mode", "safe_mode", "{}");
    const HostRun r = run_decision(dir, cfg);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto decisions = read_decisions(dir / "out");
    size_t policy_errors = 0;
    for (const json& d : intent_lines(decisions)) {
      INFO(d.dump());
      policy_errors += d["final"]["reason"] == "POLICY_ERROR";
      const json safe_v = policy_verdict(d, "safe_mode");
      if (safe_v.is_object()) CHECK(safe_v["action"] == "allow");
    }
    CHECK(policy_errors > 0);
    CHECK(r.err.find("safe mode entered") == std::string::npos);
  }
}

TEST_CASE("the circuit breaker opens on the portfolio's real VaR and then denies new exposure",
          "[run][risk]") {
  ScratchDir dir("run_decision_circuit");
  // Large orders on a small account: a few open positions put the host's
  // parametric VaR over the breaker's default 2.5 %.
  DecisionConfig cfg;
  cfg.initial_cash_usd = 20000;
  cfg.order_notional_usd = 10000;
  cfg.add_risk("circuit_breaker", "circuit_breaker", "{}");
  const HostRun r = run_decision(dir, cfg);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["var_pct_max"].get<double>() > 2.5);
  const auto decisions = intent_lines(read_decisions(dir / "out"));
  const auto trades = read_trades(dir / "out");
  const PositionBook book(trades);

  // CLOSED first: orders go through until the trip.
  int64_t trip_ts = -1;
  size_t accepted_before = 0;
  for (const json& d : decisions) {
    const json v = policy_verdict(d, "circuit_breaker");
    if (v.is_object() && v["reason"] == "CIRCUIT_OPEN") {
      trip_ts = d["minute_ts_ns"].get<int64_t>();
      INFO(d.dump());
      CHECK(v["action"] == "deny");
      CHECK(v["code"] == 503);
      CHECK(v["detail"].get<std::string>().rfind("circuit OPEN: VaR ", 0) == 0);
      CHECK(d["final"]["status"] == "denied");
      CHECK(d["final"]["code"] == 503);
      break;
    }
    accepted_before += d["final"]["status"] == "accepted";
  }
  REQUIRE(trip_ts > 0);
  CHECK(accepted_before > 0);
  CHECK(r.err.find("[circuit_breaker] circuit CLOSED -> OPEN: VaR ") != std::string::npos);

  // OPEN stays open (no automatic reset): from the trip on, every intent
  // that adds exposure is denied CIRCUIT_OPEN, only reductions pass.
  size_t denied_after = 0;
  for (const json& d : decisions) {
    if (d["minute_ts_ns"].get<int64_t>() < trip_ts) continue;
    INFO(d.dump());
    if (book.adds_exposure(d)) {
      CHECK(d["final"]["status"] == "denied");
      CHECK(d["final"]["reason"] == "CIRCUIT_OPEN");
      CHECK(d["final"]["code"] == 503);
      ++denied_after;
    } else {
      CHECK(d["final"]["status"] == "accepted");
    }
  }
  CHECK(denied_after > 1);
  CHECK(s["decision"]["denied"]["CIRCUIT_OPEN"] == denied_after);
  // Fills after the trip minute come from orders of the trip minute or later:
  // none of them grows a position.
  std::map<std::string, double> pos;
  for (const auto& t : trades) {
    const double before = pos[t.at("symbol")];
    const double after = std::stod(t.at("position_qty"));
    pos[t.at("symbol")] = after;
    if (std::stoll(t.at("ts_ns")) <= trip_ts) continue;
    INFO(t.at("idempotency_key"));
    CHECK(std::fabs(after) < std::fabs(before));
  }
  // The breaker is one-shot in a run: only one CLOSED -> OPEN.
  CHECK(r.err.find("circuit CLOSED -> OPEN") == r.err.rfind("circuit CLOSED -> OPEN"));
}

TEST_CASE("the circuit breaker opens on a slow decision in a live mode, never in a replay",
          "[run][risk]") {
  ScratchDir dir("run_decision_circuit_latency");
  // The 5th decision cycle takes 400 ms (test policy); the breaker's VaR
  // trip is out of reach (positions capped), its latency trip at 200 ms (a normal decision here
  // takes well under a millisecond).
  DecisionConfig cfg;
  cfg.add_risk("slow", test_plugin("flaky_risk").string(), "{slow_cycle: 5, slow_ms: 400}");
  cfg.add_risk("circuit_breaker", "circuit_breaker", "{var_trip_pct: 100, latency_trip_ms: 200}");
  cfg.add_risk("notional_cap", "notional_cap", "{max_notional_usd: 10000}");  // VaR well under 100 %

  SECTION("production: the minute after the slow one sees its latency and trips") {
    cfg.mode = "production";
    const HostRun r = run_decision(dir, cfg);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto decisions = read_decisions(dir / "out");
    const auto cycles = cycles_of(decisions);
    REQUIRE(cycles.size() > 7);
    const PositionBook book(read_trades(dir / "out"));
    for (size_t c = 0; c < cycles.size(); ++c) {
      for (const json& d : cycles[c]) {
        INFO("cycle " << c + 1 << ": " << d.dump());
        const json v = policy_verdict(d, "circuit_breaker");
        REQUIRE(v.is_object());
        if (c < 5) {
          CHECK(v["action"] == "allow");  // CLOSED through the slow cycle itself
        } else if (book.adds_exposure(d)) {
          CHECK(v["action"] == "deny");
          CHECK(v["reason"] == "CIRCUIT_OPEN");
          CHECK(v["code"] == 503);
          CHECK(v["detail"].get<std::string>().rfind("circuit OPEN: latency ", 0) == 0);
        }
      }
    }
    CHECK(r.err.find("[circuit_breaker] circuit CLOSED -> OPEN: latency ") != std::string::npos);
    CHECK(summary_json(dir / "out")["decision"]["denied"]["CIRCUIT_OPEN"].get<uint64_t>() > 0);
  }

  SECTION("replay: decision latency is null, the same slow cycle trips nothing") {
    const HostRun r = run_decision(dir, cfg);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("circuit CLOSED -> OPEN") == std::string::npos);
    const json s = summary_json(dir / "out");
    CHECK(s["decision"]["denied"].value("CIRCUIT_OPEN", uint64_t{0}) == 0);
    CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
  }
}

TEST_CASE("safe mode also counts expert errors: an expert failing every minute puts the book in safe mode",
          "[run][risk]") {
  ScratchDir dir("run_decision_safe_mode_experts");
  DecisionConfig cfg;
  cfg.mode = "production";
  cfg.extra = "state: {durability: process}\n";
  cfg.add_risk("safe_mode", "safe_mode", "{}");
  std::string yaml = cfg.text();
  const std::string anchor = "experts:\n";
  yaml.replace(yaml.find(anchor), anchor.size(),
               anchor + "  - {name: broken, plugin: '" + test_plugin("hostile_expert").string() +
                   "', config: {misbehave: throw, on_call: 1, every: true}}\n");
  const std::string weights = "weights: {momentum: 0.5, anomaly: 0.5}";
  yaml.replace(yaml.find(weights), weights.size(), "weights: {momentum: 0.4, anomaly: 0.4, broken: 0.2}");

  SECTION("default sources: expert errors count") {
    write_file(dir / "host.yaml", yaml);
    const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json s = summary_json(dir / "out");
    CHECK(s["decision"]["expert_errors"].get<uint64_t>() > 5);
    // Entered on the first minute with intents, after the warm-up's erroring minutes.
    const size_t at = r.err.find("[safe_mode] safe mode entered: ");
    REQUIRE(at != std::string::npos);
    CHECK(r.err.find(" consecutive errors > 5", at) != std::string::npos);
    size_t scaled = 0;
    for (const json& d : intent_lines(read_decisions(dir / "out"))) {
      scaled += policy_verdict(d, "safe_mode")["reason"] == "SAFE_MODE";
    }
    CHECK(scaled > 0);
    // host status shows the count.
    const HostRun st = run_host({"status", "--config", (dir / "host.yaml").string(), "--format", "json"}, dir.path());
    INFO(st.err);
    REQUIRE(st.exit_code == 0);
    CHECK(json::parse(st.out)["risk_chain_consecutive_errors"].get<uint64_t>() > 5);
    const HostRun text = run_host({"status", "--config", (dir / "host.yaml").string()}, dir.path());
    CHECK(text.out.find("errors in a row ") != std::string::npos);
  }
  SECTION("execution.safe_mode_errors without expert: the same run never enters safe mode") {
    const std::string exec = "execution: {mode: paper,";
    yaml.replace(yaml.find(exec), exec.size(), "execution: {safe_mode_errors: [risk, detector], mode: paper,");
    write_file(dir / "host.yaml", yaml);
    const HostRun r = run_host({"--config", (dir / "host.yaml").string()}, dir.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("safe mode entered") == std::string::npos);
  }
}
