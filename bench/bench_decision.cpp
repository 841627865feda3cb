// bench_decision: the decision layer at one minute close for 1,000 symbols.
//
//   (a) In the real pipeline (real dlopen'd plugins, real LMDB, paper broker,
//       decisions.jsonl): a synthetic 1,000-symbol stream through the
//       conveyor, three detectors, the four expert plugins (fsm_regime,
//       classifier with config/models/logistic_example.json, anomaly,
//       divergence) at the runbook weights {0.3, 0.3, 0.2, 0.2}, the model
//       router (consensus.router), a chain of ten risk policy plugins and the
//       paper broker. Figure: the decision stage per minute close (the whole
//       of DecisionStage::decide(): fills, experts, router, consensus, intents,
//       chain, submits, and the decision lines unless the minute writer
//       formats them on its thread), p50 / p99. Baseline from the same
//       run: the conveyor's own close work (bars, features, baselines,
//       context), and the whole close (conveyor + detectors + decision +
//       LMDB txn + sinks). Warm-up minutes (until the rolling baselines give
//       z-scores) are left out. Repeated `runs` times; medians.
//   (b) The decision core alone: consensus over 4 experts' evidence, the
//       model router over the same 4 arrays, order intents for the allowed
//       records, and a chain of ten in-process risk policies doing
//       representative arithmetic (kill switch, confidence floor, notional
//       cap, daily loss, drawdown lock, VaR scale, rate limit, vol target,
//       confidence scale, circuit breaker). The evidence changes every
//       minute (deterministic LCG). Baseline: a bare loop over the same
//       arrays computing the same weighted means and a sized notional, no
//       containers, no chain. Prints p50 / p99 per minute of both.
//
//   bench_decision [runs=5] [minutes=360] [symbols=1000] [shards=1] [commit_thread=both|1|0]
//                  [events per symbol-minute=32] [speed=0]   (Release build; target p99 <= 1 ms)
//
// speed > 0 paces the synthetic feed (event-time seconds per wall second;
// 1200: a minute every 50 ms): the minutes arrive with time between them,
// as from a live feed, so each close runs after the previous commit is done.
//
// The stream has realistic minutes: 20 trades, 6 quotes and 6 L2 rows per
// symbol-minute. By default each run is made twice, alternately: with the
// minute's commit on the minute writer's thread (state.commit_thread, the
// default) and on the pipeline thread (the baseline for the whole close).
//
// SH_BENCH_DUMP=1 prints every measured minute's times to stderr;
// SH_BENCH_KEEP=1 keeps the last run's state and output files (decisions.jsonl,
// trades.csv) and prints where.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <strategy_host/abi.h>

#include "bench_events.h"
#include "plugins/component_loader.h"
#include "decision/consensus.h"
#include "decision/model_router.h"
#include "decision/order_intent.h"
#include "decision/risk_chain.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_components.h"
#include "config/pipeline_config.h"
#include "plugins/plugin_catalog.h"
#include "plugins/plugin_instance.h"

namespace fs = std::filesystem;
using namespace sh::host;

namespace {

constexpr int64_t kT0 = 1704153600000000000;
constexpr int64_t kMinuteNs = 60LL * 1000000000;

// Each (expert, symbol) has a stable confidence level plus minute-to-minute
// noise, so the router sees occasional challengers (a few switches a minute)
// rather than a new winner every minute.
void fill_evidence(std::vector<std::vector<sh_evidence>>* arrays, const std::vector<sh_symbol_id>& syms,
                   sh_bench::Lcg* rng) {
  for (size_t k = 0; k < arrays->size(); ++k) {
    auto& arr = (*arrays)[k];
    for (size_t i = 0; i < syms.size(); ++i) {
      sh_evidence& e = arr[i];
      e.struct_size = sizeof e;
      e.symbol = syms[i];
      e.flags = rng->next() < 0.02 ? SH_EVIDENCE_FLAG_ABSTAIN : 0;
      const double bias = (i % 2 == 0) ? 0.25 : -0.25;
      e.prob_long = std::clamp(0.5 + bias + 0.2 * (rng->next() - 0.5), 0.0, 1.0);
      e.prob_short = 1.0 - e.prob_long;
      const double level = 0.6 + 0.3 * static_cast<double>((i * 7 + k * 13) % 10) / 10.0;
      e.confidence = std::clamp(level + 0.06 * (rng->next() - 0.5), 0.0, 1.0);
    }
  }
}

RiskPolicy policy(const char* name,
                  double (*per_intent)(const sh_order_intent&, const sh_portfolio_state&,
                                       sh_risk_verdict&)) {
  RiskPolicy p;
  p.name = name;
  p.evaluate = [per_intent](const sh_order_intent_batch& in, const sh_portfolio_state& pf,
                            sh_risk_verdict_batch& out) {
    for (uint32_t i = 0; i < in.count; ++i) (void)per_intent(in.items[i], pf, out.items[i]);
    return Status::Ok();
  };
  return p;
}

void deny(sh_risk_verdict& v, sh_risk_reason r) {
  v.action = SH_RISK_DENY;
  v.reason = r;
}
void scale(sh_risk_verdict& v, sh_risk_reason r, double s) {
  v.action = SH_RISK_SCALE;
  v.reason = r;
  v.scale = s;
}

std::vector<RiskPolicy> ten_policies() {
  std::vector<RiskPolicy> ps;
  ps.push_back(policy("kill_switch", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                        sh_risk_verdict& v) {
    if (pf.consecutive_errors > 5) deny(v, SH_REASON_KILL_SWITCH);
    return 0.0;
  }));
  ps.push_back(policy("low_confidence", [](const sh_order_intent& in, const sh_portfolio_state&,
                                           sh_risk_verdict& v) {
    if (in.confidence < 0.6) deny(v, SH_REASON_LOW_CONFIDENCE);
    return 0.0;
  }));
  ps.push_back(policy("notional_cap", [](const sh_order_intent& in, const sh_portfolio_state&,
                                         sh_risk_verdict& v) {
    if (in.notional_usd > 1800.0) scale(v, SH_REASON_NOTIONAL_CAP, 1800.0 / in.notional_usd);
    return 0.0;
  }));
  ps.push_back(policy("daily_loss", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                       sh_risk_verdict& v) {
    if (pf.daily_pnl_usd < -0.03 * pf.equity_usd) deny(v, SH_REASON_DAILY_LOSS);
    return 0.0;
  }));
  ps.push_back(policy("drawdown_lock", [](const sh_order_intent&, const sh_portfolio_state& pf,
                                          sh_risk_verdict& v) {
    if (pf.drawdown_pct > 12.0) deny(v, SH_REASON_RISK_LOCKED);
    return 0.0;
  }));
  ps.push_back(policy("var_limit", [](const sh_order_intent& in, const sh_portfolio_state& pf,
                                      sh_risk_verdict& v) {
    const double var = 1.65 * 0.02 * in.notional_usd / std::max(pf.equity_usd, 1.0) * 100.0;
    if (var > 0.03) scale(v, SH_REASON_VAR_LIMIT, std::sqrt(0.03 / var));
    return var;
  }));
  ps.push_back(policy("rate_limit", [](const sh_order_intent& in, const sh_portfolio_state&,
                                       sh_risk_verdict& v) {
    if ((in.intent_id % 97) == 0) deny(v, SH_REASON_RATE_LIMITED);
    return 0.0;
  }));
  ps.push_back(policy("vol_target", [](const sh_order_intent& in, const sh_portfolio_state&,
                                       sh_risk_verdict& v) {
    const double ann_vol = 0.6 + 0.1 * std::fabs(in.prob_long - in.prob_short);
    if (ann_vol > 0.08) scale(v, SH_REASON_VOL_TARGET, std::min(1.0, 0.08 / ann_vol * 8.0));
    return ann_vol;
  }));
  ps.push_back(policy("confidence_scale", [](const sh_order_intent& in, const sh_portfolio_state&,
                                             sh_risk_verdict& v) {
    scale(v, SH_REASON_CONFIDENCE_SCALE, std::clamp(in.confidence, 0.1, 1.0));
    return 0.0;
  }));
  ps.push_back(policy("circuit_breaker", [](const sh_order_intent& in, const sh_portfolio_state&,
                                            sh_risk_verdict& v) {
    if (!std::isfinite(in.price) || in.price <= 0.0) deny(v, SH_REASON_CIRCUIT_OPEN);
    return 0.0;
  }));
  return ps;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[at];
}


// ---- (a) the decision stage in the real pipeline.

constexpr int kBaselineWarmup = 60;  // conveyor baseline_warmup, minutes
unsigned g_shards = 1;               // conveyor.shards (argv[4])
// state.commit_thread: 2 = each run twice, with and without (argv[5]: 1, 0).
int g_commit_mode = 2;
unsigned g_events = 32;              // events per symbol-minute (argv[6])
// argv[7]: the synthetic feed's speed (event-time seconds per wall second;
// 0 = as fast as the host reads). Paced, the minutes arrive as a live
// feed's do, with time between them: each close runs with the previous
// minute's commit done, as in a live host, instead of back to back.
double g_speed = 0;
// Minutes left out at the start: the baseline warm-up (z-scores null, so
// three of the four experts abstain) plus mom_20's 20 bars and some slack.
constexpr size_t kSkipMinutes = kBaselineWarmup + 30;

std::string pipeline_yaml(const fs::path& dir, size_t symbols, size_t minutes, bool commit_thread) {
  // Realistic minutes: 20 trades, 6 quotes and 6 L2 rows per symbol-minute.
  const double eps = static_cast<double>(symbols) * g_events / 60.0;
  return "host:\n  mode: replay\n  plugin_dirs: ['" SH_PLUGIN_DIR "']\n  state_dir: '" +
         (dir / "state").string() + "'\n  output_dir: '" + (dir / "out").string() +
         "'\n  log: {level: warn}\n"
         "state: {durability: process, commit_thread: " + std::string(commit_thread ? "true" : "false") +
         "}\n"
         "providers:\n  - name: synth\n    plugin: synthetic\n    config: {symbol_count: " +
         std::to_string(symbols) + ", seed: 7, events_per_second: " + std::to_string(eps) +
         ", duration_s: " + std::to_string(minutes * 60) +
         ", trade_share: 0.625, quote_share: 0.1875, l2_share: 0.1875, volatility_bps: 20, speed: " +
         std::to_string(g_speed) + "}\n"
         "conveyor: {baseline_warmup: " + std::to_string(kBaselineWarmup) +
         ", shards: " + std::to_string(g_shards) + "}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
         "  - {name: volume_spike, plugin: volume_spike, config: {z_threshold: 4.0}}\n"
         "  - {name: spread_blowout, plugin: spread_blowout, config: {z_threshold: 4.0}}\n"
         "experts:\n"
         "  - {name: fsm, plugin: fsm_regime, config: {}}\n"
         "  - {name: classifier, plugin: classifier, config: {model_path: '" SH_SOURCE_DIR
         "/config/models/logistic_example.json'}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {z_threshold: 2.0}}\n"
         "  - {name: divergence, plugin: divergence, config: {}}\n"
         "risk:\n"
         "  - {name: kill_switch, plugin: kill_switch, config: {path: '" +
         (dir / "KILL_SWITCH").string() + "'}}\n"
         "  - {name: circuit_breaker, plugin: circuit_breaker, config: {}}\n"
         "  - {name: safe_mode, plugin: safe_mode, config: {}}\n"
         "  - {name: drawdown_lock, plugin: drawdown_lock, config: {}}\n"
         "  - {name: daily_loss, plugin: daily_loss, config: {}}\n"
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.3}}\n"
         "  - {name: kelly_var, plugin: kelly_var, config: {}}\n"
         "  - {name: vol_target, plugin: vol_target, config: {}}\n"
         "  - {name: confidence_sizing, plugin: confidence_sizing, config: {}}\n"
         "  - {name: notional_cap, plugin: notional_cap, config: {max_notional_usd: 10000}}\n"
         "consensus:\n"
         "  weights: {fsm: 0.3, classifier: 0.3, anomaly: 0.2, divergence: 0.2}\n"
         "  threshold: 0.55\n"
         "  min_confidence: 0.3\n"
         "  router: {candidates: [fsm, classifier, anomaly, divergence], min_confidence: 0.3, "
         "hysteresis: 0.05, confirm_minutes: 3}\n"
         "execution: {mode: paper, order_notional_usd: 2000, slippage_bps: 1, fill: next_open, "
         "initial_cash_usd: 10000000}\n";
}

struct PipelineRun {
  bool ok = false;
  RunSummary summary;
  std::vector<double> decision_us, core_us, conveyor_us, close_us;  // after the warm-up
  std::vector<double> commit_us;  // the minute writer's (state.commit_thread)
};

PipelineRun run_pipeline(const std::string& yaml, const fs::path& base) {
  PipelineRun r;
  HostConfig config = HostConfig::load_string(yaml, "bench_decision.yaml", base);
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  const PluginCatalog catalog = scan_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  if (!loaded.errors.empty()) {
    for (auto& e : loaded.errors) std::cerr << e << "\n";
    return r;
  }
  // Exactly as `host run` wires them: experts and risk policies in config order.
  LoadedRules no_rules;
  PipelineComponents parts = assemble_pipeline_components(config, loaded, no_rules);
  if (parts.experts.size() != 4 || parts.risk.size() != 10) {
    std::cerr << "expected 4 experts and 10 risk policies, got " << parts.experts.size() << " and "
              << parts.risk.size() << "\n";
    return r;
  }
  Pipeline p(std::move(pc), config, runtime, parts.providers, std::move(parts.detectors));
  p.set_decision_components(std::move(parts.experts), std::move(parts.risk), parts.venue);
  Status st = p.open();
  if (st.ok()) st = p.run();
  if (!st.ok()) {
    std::cerr << st.message() << "\n";
    return r;
  }
  r.summary = p.summary();
  const auto& dec = p.decision_latency_ns();
  const auto& core = p.decision_core_ns();
  const auto& conv = p.conveyor_close_ns();
  const auto& close = p.close_latency_ns();
  if (dec.size() != close.size() || core.size() != close.size() || conv.size() != close.size() ||
      close.size() <= kSkipMinutes + 10) {
    std::cerr << "unexpected sample counts: " << dec.size() << " " << core.size() << " "
              << conv.size() << " " << close.size() << "\n";
    return r;
  }
  const bool dump = std::getenv("SH_BENCH_DUMP") != nullptr;
  for (size_t i = kSkipMinutes; i < close.size(); ++i) {
    if (dump) {
      std::fprintf(stderr, "minute %zu decision_us %.0f conveyor_us %.0f close_us %.0f\n", i,
                   static_cast<double>(dec[i]) / 1e3, static_cast<double>(conv[i]) / 1e3,
                   static_cast<double>(close[i]) / 1e3);
    }
    r.decision_us.push_back(static_cast<double>(dec[i]) / 1e3);
    r.core_us.push_back(static_cast<double>(core[i]) / 1e3);
    r.conveyor_us.push_back(static_cast<double>(conv[i]) / 1e3);
    r.close_us.push_back(static_cast<double>(close[i]) / 1e3);
    if (i < p.commit_ns().size()) r.commit_us.push_back(static_cast<double>(p.commit_ns()[i]) / 1e3);
  }
  r.ok = true;
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double lo(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
double hi(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

// Returns false on a failed run.
bool pipeline_bench(int runs, size_t minutes, size_t symbols) {
  const fs::path dir =
      fs::temp_directory_path() / ("sh_bench_decision_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const bool threaded = g_commit_mode != 0;
  const std::string yaml = pipeline_yaml(dir, symbols, minutes, threaded);
  std::vector<double> k50, k99, d50, d99, c50, c99, t50, t99, w50, w99, i50, i99;
  PipelineRun last;
  for (int i = 0; i < runs; ++i) {
    if (g_commit_mode == 2) {
      // Baseline, same invocation, alternating: the commit on the pipeline thread.
      PipelineRun inl = run_pipeline(pipeline_yaml(dir, symbols, minutes, false), dir);
      if (!inl.ok) return false;
      i50.push_back(pct(inl.close_us, 0.50));
      i99.push_back(pct(inl.close_us, 0.99));
      std::printf("  run %d, commit on the pipeline thread: whole close p50 %5.0f us p99 %5.0f us\n", i + 1,
                  i50.back(), i99.back());
    }
    PipelineRun r = run_pipeline(yaml, dir);
    if (!r.ok) return false;
    if (!r.commit_us.empty()) {
      w50.push_back(pct(r.commit_us, 0.50));
      w99.push_back(pct(r.commit_us, 0.99));
    }
    k50.push_back(pct(r.core_us, 0.50));
    k99.push_back(pct(r.core_us, 0.99));
    d50.push_back(pct(r.decision_us, 0.50));
    d99.push_back(pct(r.decision_us, 0.99));
    c50.push_back(pct(r.conveyor_us, 0.50));
    c99.push_back(pct(r.conveyor_us, 0.99));
    t50.push_back(pct(r.close_us, 0.50));
    t99.push_back(pct(r.close_us, 0.99));
    std::printf("  run %d: experts..risk p50 %5.0f us p99 %5.0f us | decide() p50 %5.0f us p99 %5.0f us "
                "| conveyor close p50 %5.0f us p99 %5.0f us | whole close p50 %5.0f us p99 %5.0f us\n",
                i + 1, k50.back(), k99.back(), d50.back(), d99.back(), c50.back(), c99.back(),
                t50.back(), t99.back());
    last = std::move(r);
  }
  const RunSummary& s = last.summary;
  const double measured = static_cast<double>(s.minutes_closed - kSkipMinutes);
  uint64_t denied = 0;
  for (const auto& kv : s.denied) denied += kv.second;
  std::string reasons;
  for (const auto& [k, v] : s.denied) reasons += " " + k + "=" + std::to_string(v);
  std::printf("(a) in the pipeline: %zu symbols, %llu minute closes (%zu warm-up left out), "
              "4 expert plugins, model router, 10 risk policy plugins, paper broker; "
              "median of %d runs%s\n",
              symbols, static_cast<unsigned long long>(s.minutes_closed), kSkipMinutes, runs,
              g_speed > 0 ? ("; the feed paced at " + std::to_string(static_cast<int>(g_speed)) +
                             "x real time (minutes arrive as live, not back to back)").c_str()
                          : "; minutes back to back (as fast as the host reads)");
  std::printf("    per minute (whole run, last run): %.0f intents, %.0f orders accepted, %.0f "
              "denied, %.1f fills, %.2f model switches, %.0f detector hits\n",
              static_cast<double>(s.intents) / static_cast<double>(s.minutes_closed),
              static_cast<double>(s.orders_accepted) / static_cast<double>(s.minutes_closed),
              static_cast<double>(denied) / static_cast<double>(s.minutes_closed),
              static_cast<double>(s.fills) / static_cast<double>(s.minutes_closed),
              static_cast<double>(s.model_switches) / static_cast<double>(s.minutes_closed),
              static_cast<double>(s.detector_hits) / static_cast<double>(s.minutes_closed));
  std::error_code ec;
  const auto log_bytes = fs::file_size(dir / "out" / "decisions.jsonl", ec);
  std::printf("    decisions.jsonl: %.0f KB a minute\n",
              ec ? 0.0 : static_cast<double>(log_bytes) / 1024.0 / static_cast<double>(s.minutes_closed));
  std::printf("    denied by reason:%s; expert errors %llu\n", reasons.empty() ? " none" : reasons.c_str(),
              static_cast<unsigned long long>(s.expert_errors));
  std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
              "experts, router, consensus, 10-policy chain:", median(k50), median(k99), lo(k99),
              hi(k99));
  std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
              threaded ? "whole decide() (+ fills, submits; lines: writer):"
                       : "whole decide() (+ fills, submits, decision lines):",
              median(d50), median(d99), lo(d99), hi(d99));
  std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
              "baseline: conveyor close, same run:", median(c50), median(c99), lo(c99), hi(c99));
  std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
              threaded ? "whole minute close (pipeline thread), same run:" : "whole minute close, same run:",
              median(t50), median(t99), lo(t99), hi(t99));
  if (!w50.empty()) {
    std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
                "  its commit on the minute writer's thread:", median(w50), median(w99), lo(w99), hi(w99));
  }
  if (!i50.empty()) {
    std::printf("    %-52s p50 %6.0f us   p99 %6.0f us   (p99 over runs %.0f-%.0f)\n",
                "baseline: whole close, commit on the pipeline thread:", median(i50), median(i99), lo(i99),
                hi(i99));
    std::printf("    whole close, commit thread / inline: p50 %.2fx, p99 %.2fx; target whole close p99 <= "
                "2000 us: %s\n",
                median(t50) / std::max(median(i50), 1e-3), median(t99) / std::max(median(i99), 1e-3),
                median(t99) <= 2000.0 ? "met" : "NOT met");
  }
  std::printf("    experts..risk / conveyor close: p50 %.2fx, p99 %.2fx; target experts..risk p99 <= "
              "1000 us: %s (%.0f measured minutes a run)\n",
              median(k50) / std::max(median(c50), 1e-3), median(k99) / std::max(median(c99), 1e-3),
              median(k99) <= 1000.0 ? "met" : "NOT met", measured);
  std::printf("    decide() / conveyor close: p50 %.2fx, p99 %.2fx\n",
              median(d50) / std::max(median(c50), 1e-3), median(d99) / std::max(median(c99), 1e-3));
  if (std::getenv("SH_BENCH_KEEP") != nullptr) {
    std::printf("    kept %s\n", dir.string().c_str());
  } else {
    fs::remove_all(dir);
  }
  return true;
}

// ---- (b) the decision core alone.

void core_bench(size_t n, int minutes) {
  const std::vector<std::string> experts{"fsm", "classifier", "anomaly", "divergence"};

  ConsensusConfig cc;
  cc.weights = {{"fsm", 0.3}, {"classifier", 0.3}, {"anomaly", 0.2}, {"divergence", 0.2}};
  cc.threshold = 0.6;
  std::unique_ptr<Consensus> consensus;
  if (!Consensus::create(cc, &consensus).ok()) return;
  ModelRouterConfig rc;
  rc.candidates = experts;
  rc.min_confidence = 0.6;
  rc.hysteresis = 0.05;
  rc.confirm_minutes = 3;
  std::unique_ptr<ModelRouter> router;
  if (!ModelRouter::create(rc, &router).ok()) return;
  RiskChain chain(ten_policies());

  std::vector<sh_symbol_id> syms(n);
  std::vector<double> prices(n);
  for (size_t i = 0; i < n; ++i) {
    syms[i] = static_cast<sh_symbol_id>(i + 1);
    prices[i] = 10.0 + static_cast<double>(i);
  }
  std::vector<std::vector<sh_evidence>> arrays(4, std::vector<sh_evidence>(n));
  std::vector<ExpertEvidence> views(4);
  for (size_t k = 0; k < 4; ++k) {
    views[k].name = experts[k];
    views[k].items = arrays[k].data();
    views[k].count = static_cast<uint32_t>(n);
  }
  sh_portfolio_state pf{};
  pf.struct_size = sizeof pf;
  pf.position_size = sizeof(sh_position);
  pf.equity_usd = 100000;
  pf.peak_equity_usd = 100000;

  std::vector<ConsensusRecord> records;
  std::vector<SwitchRecord> switches;
  std::vector<std::string_view> versions(n);
  std::vector<sh_order_intent> intents;
  intents.reserve(n);
  RiskChainResult result;
  std::vector<double> core_us, base_us, router_us, consensus_us, intents_us, chain_us;
  sh_bench::Lcg rng{42};
  size_t total_intents = 0, total_allowed = 0, total_switches = 0;
  double sink = 0.0;

  for (int m = 0; m < minutes + 20; ++m) {  // 20 warm-up minutes
    fill_evidence(&arrays, syms, &rng);
    const int64_t ts = kT0 + m * kMinuteNs;

    auto t0 = std::chrono::steady_clock::now();
    switches.clear();
    if (!router->route(ts, syms.data(), n, views, &switches).ok()) return;
    router->active_models(syms.data(), n, versions.data());
    auto ta = std::chrono::steady_clock::now();
    if (!consensus->fuse(syms.data(), n, views, versions.data(), &records).ok()) return;
    auto tb = std::chrono::steady_clock::now();
    intents.clear();
    for (size_t i = 0; i < n; ++i) {
      if (!records[i].allow) continue;
      // intent_id: a cheap stand-in for the key hash (the key is built only
      // for orders that reach the broker).
      intents.push_back(make_order_intent(records[i], ts, prices[i], 2000.0, syms[i] * 131u + m));
    }
    pf.consecutive_errors = chain.consecutive_errors();
    auto tc = std::chrono::steady_clock::now();
    chain.evaluate(intents.data(), intents.size(), pf, &result);
    auto t1 = std::chrono::steady_clock::now();

    // Baseline: the same weighted means and sizing, bare.
    auto b0 = std::chrono::steady_clock::now();
    const double w[4] = {0.3, 0.3, 0.2, 0.2};
    double acc = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double ws = 0, pl = 0, ps = 0, cf = 0;
      for (size_t k = 0; k < 4; ++k) {
        const sh_evidence& e = arrays[k][i];
        if (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) continue;
        ws += w[k];
        pl += w[k] * e.prob_long;
        ps += w[k] * e.prob_short;
        cf += w[k] * e.confidence;
      }
      if (ws > 0 && (pl / ws >= 0.6 || ps / ws >= 0.6)) acc += 2000.0 / prices[i] * cf / ws;
    }
    auto b1 = std::chrono::steady_clock::now();
    sink += acc;

    if (m < 20) continue;
    core_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    base_us.push_back(std::chrono::duration<double, std::micro>(b1 - b0).count());
    router_us.push_back(std::chrono::duration<double, std::micro>(ta - t0).count());
    consensus_us.push_back(std::chrono::duration<double, std::micro>(tb - ta).count());
    intents_us.push_back(std::chrono::duration<double, std::micro>(tc - tb).count());
    chain_us.push_back(std::chrono::duration<double, std::micro>(t1 - tc).count());
    total_intents += intents.size();
    total_switches += switches.size();
    for (const IntentOutcome& o : result.outcomes) total_allowed += o.action != SH_RISK_DENY;
  }

  std::printf("(b) decision core alone: %zu symbols, 4 experts, 10 in-process risk policies, %d minutes\n", n, minutes);
  std::printf("  per minute: %.0f intents, %.0f through the chain, %.2f router switches\n",
              static_cast<double>(total_intents) / minutes,
              static_cast<double>(total_allowed) / minutes,
              static_cast<double>(total_switches) / minutes);
  std::printf("  %-44s p50 %8.1f us   p99 %8.1f us\n", "decision core (router+consensus+chain):",
              pct(core_us, 0.50), pct(core_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "router:", pct(router_us, 0.50),
              pct(router_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "consensus:", pct(consensus_us, 0.50),
              pct(consensus_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "intents:", pct(intents_us, 0.50),
              pct(intents_us, 0.99));
  std::printf("    %-42s p50 %8.1f us   p99 %8.1f us\n", "risk chain (10 policies):",
              pct(chain_us, 0.50), pct(chain_us, 0.99));
  std::printf("  %-44s p50 %8.1f us   p99 %8.1f us\n", "baseline (bare weighted loop):",
              pct(base_us, 0.50), pct(base_us, 0.99));
  std::printf("  ratio p50 %.1fx; target p99 <= 1000 us: %s   (sink %.3g)\n",
              pct(core_us, 0.50) / std::max(pct(base_us, 0.50), 1e-3),
              pct(core_us, 0.99) <= 1000.0 ? "met" : "NOT met", sink);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const size_t minutes = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 360;
  const size_t symbols = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 1000;
  if (argc > 4) g_shards = static_cast<unsigned>(std::max(1, std::atoi(argv[4])));
  if (argc > 5) g_commit_mode = std::atoi(argv[5]) != 0 ? 1 : 0;
  if (argc > 6) g_events = static_cast<unsigned>(std::max(1, std::atoi(argv[6])));
  if (argc > 7) g_speed = std::max(0.0, std::atof(argv[7]));
  spdlog::set_level(spdlog::level::warn);
  if (!pipeline_bench(runs, std::max(minutes, kSkipMinutes + 20), symbols)) return 1;
  core_bench(symbols, 500);
  return 0;
}
