// bench_isolation: what `isolation: process` costs per minute close at 1,000
// symbols, beside the same plugins in process, in one run.
//
//   (a) Per call, through the real loader (load_components: the same
//       PluginInstance the pipeline calls, backed by the library or by the
//       proxy to sh-plugin-runner): the return_spike detector on a batch of
//       1,000 feature rows, and the notional_cap risk policy on 20 intents
//       with a 200-position portfolio. In-process and isolated calls
//       alternate, so both see the same machine state. Prints p50 / p99 of
//       each, the ratio and the difference (the channel's cost per call).
//   (b) In the real Pipeline: a synthetic 1,000-symbol session (conveyor,
//       detectors return_spike and zscore_spike, the anomaly expert,
//       confidence_gate and notional_cap, paper broker), once with every
//       plugin in process and once with return_spike and notional_cap
//       isolated, alternating runs. Prints the whole minute close's p50 of
//       both (median over runs) and the difference per minute close.
//
//   bench_isolation [calls=2000] [runs=5] [minutes=150] [symbols=1000]   (Release build)
//
// The runner is found next to the bench's ../bin (build/bin/sh-plugin-runner)
// or through $SH_PLUGIN_RUNNER.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <strategy_host/abi.h>

#include "bench_events.h"
#include "plugins/component_loader.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_components.h"
#include "config/pipeline_config.h"
#include "plugins/plugin_catalog.h"
#include "plugins/plugin_instance.h"

namespace fs = std::filesystem;
using namespace sh::host;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kT0 = 1704153600000000000;

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

const char* kNoHostSection = "";

std::string components_yaml() {
  return std::string("host:\n  mode: replay\n  plugin_dirs: ['" SH_PLUGIN_DIR "']\n  log: {level: warn}\n") +
         kNoHostSection +
         "detectors:\n"
         "  - {name: spike_in, plugin: return_spike, config: {z_threshold: 3.0}}\n"
         "  - {name: spike_iso, plugin: return_spike, config: {z_threshold: 3.0}, isolation: process}\n"
         "risk:\n"
         "  - {name: cap_in, plugin: notional_cap, config: {max_notional_usd: 5000}}\n"
         "  - {name: cap_iso, plugin: notional_cap, config: {max_notional_usd: 5000}, isolation: process}\n";
}

// ---- (a) per call

bool call_bench(int calls, size_t symbols) {
  HostConfig config = HostConfig::load_string(components_yaml(), "bench_isolation.yaml", fs::current_path());
  HostRuntime runtime;
  const PluginCatalog catalog = scan_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  if (!loaded.errors.empty()) {
    for (auto& e : loaded.errors) std::cerr << e << "\n";
    return false;
  }
  PluginInstance* det[2] = {loaded.instances[0].get(), loaded.instances[1].get()};
  PluginInstance* risk[2] = {loaded.instances[2].get(), loaded.instances[3].get()};
  if (det[0]->isolated() || !det[1]->isolated() || risk[0]->isolated() || !risk[1]->isolated()) {
    std::cerr << "unexpected isolation of the loaded components\n";
    return false;
  }

  sh_bench::Lcg rng{7};
  std::vector<sh_symbol_id> syms;
  for (size_t i = 0; i < symbols; ++i) syms.push_back(runtime.symbols.intern("SYM" + std::to_string(i)));
  std::vector<sh_feature_row> rows(symbols);
  const double nan = std::nan("");
  sh_market_context ctx{};
  ctx.struct_size = sizeof ctx;
  ctx.symbol_count = static_cast<uint32_t>(symbols);
  ctx.benchmark_ret = nan;
  struct Hits {
    size_t n = 0;
  } hits;
  const sh_hit_sink sink{sizeof(sh_hit_sink), &hits,
                         [](void* c, const sh_detector_hit*, uint32_t count, uint32_t) -> sh_status {
                           static_cast<Hits*>(c)->n += count;
                           return SH_OK;
                         }};

  const uint32_t n_intents = 20, n_positions = 200;
  std::vector<sh_order_intent> intents(n_intents);
  std::vector<sh_position> positions(n_positions);
  std::vector<sh_risk_verdict> verdicts(n_intents);
  sh_portfolio_state pf{};
  pf.struct_size = sizeof pf;
  pf.position_size = sizeof(sh_position);
  pf.position_count = n_positions;
  pf.equity_usd = 1e6;
  pf.cash_usd = 5e5;
  pf.positions = positions.data();
  for (uint32_t i = 0; i < n_positions; ++i) {
    sh_position& p = positions[i];
    p.struct_size = sizeof p;
    p.symbol = syms[i % symbols];
    p.qty = 1.0 + i;
    p.avg_price = p.mark_price = 100.0;
    p.notional_usd = p.qty * p.mark_price;
  }

  std::vector<double> det_us[2], risk_us[2];
  size_t hits_seen[2] = {0, 0};
  for (int c = 0; c < calls; ++c) {
    const int64_t minute = kT0 + int64_t(c) * 60'000'000'000;
    for (size_t i = 0; i < symbols; ++i) {
      sh_feature_row& r = rows[i];
      r = sh_feature_row{};
      r.struct_size = sizeof r;
      r.symbol = syms[i];
      r.minute_ts_ns = minute;
      r.close = 100.0 + rng.normal();
      r.log_ret = 0.001 * rng.normal();
      r.z_ret = rng.normal();
      r.z_volume = rng.normal();
      r.volume = 10.0;
    }
    ctx.minute_ts_ns = minute;
    const sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row),
                                 static_cast<uint32_t>(symbols), 0, minute, rows.data(),
                                 0, 0, nullptr, nullptr};
    for (uint32_t k = 0; k < n_intents; ++k) {
      sh_order_intent& in = intents[k];
      in.struct_size = sizeof in;
      in.symbol = syms[(c * 7 + k) % symbols];
      in.intent_id = uint64_t(c) * 1000 + k;
      in.ts_ns = minute;
      in.side = (k % 2) ? SH_SIDE_BUY : SH_SIDE_SELL;
      in.price = 100.0;
      in.qty = 10.0 + 100.0 * rng.next();
      in.notional_usd = in.qty * in.price;
      in.confidence = rng.next();
    }
    const sh_order_intent_batch ib{sizeof(sh_order_intent_batch), sizeof(sh_order_intent), n_intents,
                                   0, intents.data()};
    // Alternate which one goes first, so neither always runs on a warm cache.
    for (int j = 0; j < 2; ++j) {
      const int w = (c + j) % 2;
      hits.n = 0;
      auto t0 = Clock::now();
      const sh_status ds = det[w]->detect(batch, ctx, sink);
      auto t1 = Clock::now();
      if (ds != SH_OK) {
        std::cerr << "detect failed: " << det[w]->last_error() << "\n";
        return false;
      }
      hits_seen[w] += hits.n;
      for (auto& v : verdicts) {
        v = sh_risk_verdict{};
        v.struct_size = sizeof v;
        v.action = SH_RISK_ALLOW;
        v.scale = 1.0;
      }
      sh_risk_verdict_batch vb{sizeof(sh_risk_verdict_batch), sizeof(sh_risk_verdict), n_intents, 0,
                               verdicts.data()};
      auto t2 = Clock::now();
      const sh_status rs = risk[w]->evaluate_risk(ib, pf, vb);
      auto t3 = Clock::now();
      if (rs != SH_OK) {
        std::cerr << "risk failed: " << risk[w]->last_error() << "\n";
        return false;
      }
      if (c >= 50) {  // warm-up calls left out
        det_us[w].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        risk_us[w].push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
      }
    }
  }
  if (hits_seen[0] != hits_seen[1]) {
    std::cerr << "hit counts differ: " << hits_seen[0] << " vs " << hits_seen[1] << "\n";
    return false;
  }
  std::printf("(a) per call, %d calls each (50 warm-up left out), in-process and isolated alternating\n", calls);
  auto line = [](const char* what, const std::vector<double>& in, const std::vector<double>& iso) {
    std::printf("    %-44s in-process p50 %7.1f us p99 %7.1f us | isolated p50 %7.1f us p99 %7.1f us | "
                "ratio p50 %.1fx, +%.1f us a call\n",
                what, pct(in, 0.5), pct(in, 0.99), pct(iso, 0.5), pct(iso, 0.99),
                pct(iso, 0.5) / std::max(pct(in, 0.5), 1e-3), pct(iso, 0.5) - pct(in, 0.5));
  };
  line("return_spike.detect, 1,000 rows:", det_us[0], det_us[1]);
  line("notional_cap.evaluate, 20 intents, 200 pos:", risk_us[0], risk_us[1]);
  std::printf("    hits per call: %.1f (same in both)\n",
              static_cast<double>(hits_seen[0]) / static_cast<double>(calls));
  return true;
}

// ---- (b) in the pipeline

constexpr int kBaselineWarmup = 60;
constexpr size_t kSkipMinutes = kBaselineWarmup + 30;

std::string pipeline_yaml(const fs::path& dir, size_t symbols, size_t minutes, bool isolate) {
  const std::string iso = isolate ? ", isolation: process" : "";
  const double eps = static_cast<double>(symbols) * 6.0 / 60.0;
  return "host:\n  mode: replay\n  plugin_dirs: ['" SH_PLUGIN_DIR "']\n  state_dir: '" +
         (dir / "state").string() + "'\n  output_dir: '" + (dir / "out").string() +
         "'\n  log: {level: warn}\n"
         "state: {durability: process}\n"
         "providers:\n  - name: synth\n    plugin: synthetic\n    config: {symbol_count: " +
         std::to_string(symbols) + ", seed: 7, events_per_second: " + std::to_string(eps) +
         ", duration_s: " + std::to_string(minutes * 60) +
         ", trade_share: 0.6, quote_share: 0.4, l2_share: 0.0, volatility_bps: 20}\n"
         "conveyor: {baseline_warmup: " + std::to_string(kBaselineWarmup) + "}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}" + iso + "}\n"
         "  - {name: zscore_spike, plugin: zscore_spike, config: {}}\n"
         "experts:\n"
         "  - {name: anomaly, plugin: anomaly, config: {z_threshold: 2.0}}\n"
         "risk:\n"
         "  - {name: confidence_gate, plugin: confidence_gate, config: {min_confidence: 0.3}}\n"
         "  - {name: notional_cap, plugin: notional_cap, config: {max_notional_usd: 10000}" + iso + "}\n"
         "consensus:\n  weights: {anomaly: 1.0}\n  threshold: 0.55\n  min_confidence: 0.3\n"
         "execution: {mode: paper, order_notional_usd: 2000, slippage_bps: 1, fill: next_open, "
         "initial_cash_usd: 10000000}\n";
}

struct PipelineRun {
  bool ok = false;
  std::string digest;
  uint64_t intents = 0, hits = 0;
  double close_p50_us = 0, close_p99_us = 0;
};

PipelineRun run_pipeline(const std::string& yaml, const fs::path& base) {
  PipelineRun r;
  HostConfig config = HostConfig::load_string(yaml, "bench_isolation.yaml", base);
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  const PluginCatalog catalog = scan_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  if (!loaded.errors.empty()) {
    for (auto& e : loaded.errors) std::cerr << e << "\n";
    return r;
  }
  LoadedRules no_rules;
  PipelineComponents parts = assemble_pipeline_components(config, loaded, no_rules);
  Pipeline p(std::move(pc), config, runtime, parts.providers, std::move(parts.detectors));
  p.set_decision_components(std::move(parts.experts), std::move(parts.risk), parts.venue);
  Status st = p.open();
  if (st.ok()) st = p.run();
  if (!st.ok()) {
    std::cerr << st.message() << "\n";
    return r;
  }
  const auto& close = p.close_latency_ns();
  if (close.size() <= kSkipMinutes + 10) {
    std::cerr << "too few minutes: " << close.size() << "\n";
    return r;
  }
  std::vector<double> us;
  for (size_t i = kSkipMinutes; i < close.size(); ++i) us.push_back(static_cast<double>(close[i]) / 1e3);
  r.close_p50_us = pct(us, 0.5);
  r.close_p99_us = pct(us, 0.99);
  r.digest = p.summary().digest;
  r.intents = p.summary().intents;
  r.hits = p.summary().detector_hits;
  r.ok = true;
  return r;
}

bool pipeline_bench(int runs, size_t minutes, size_t symbols) {
  const fs::path dir = fs::temp_directory_path() / ("sh_bench_isolation_" + std::to_string(::getpid()));
  std::vector<double> p50[2], p99[2];
  std::string digest[2];
  uint64_t intents = 0, hits = 0;
  for (int i = 0; i < runs; ++i) {
    for (int j = 0; j < 2; ++j) {
      const int w = (i + j) % 2;  // alternate which goes first
      fs::remove_all(dir);
      fs::create_directories(dir);
      PipelineRun r = run_pipeline(pipeline_yaml(dir, symbols, minutes, w == 1), dir);
      if (!r.ok) return false;
      p50[w].push_back(r.close_p50_us);
      p99[w].push_back(r.close_p99_us);
      digest[w] = r.digest;
      intents = r.intents;
      hits = r.hits;
    }
    std::printf("  run %d: whole close in-process p50 %6.0f us p99 %6.0f us | isolated p50 %6.0f us p99 %6.0f us\n",
                i + 1, p50[0].back(), p99[0].back(), p50[1].back(), p99[1].back());
  }
  fs::remove_all(dir);
  const double in50 = pct(p50[0], 0.5), iso50 = pct(p50[1], 0.5);
  std::printf("(b) in the pipeline: %zu symbols, %zu minutes (%zu warm-up left out), %llu intents, "
              "%llu detector hits a run; median of %d runs each\n",
              symbols, minutes, kSkipMinutes, static_cast<unsigned long long>(intents),
              static_cast<unsigned long long>(hits), runs);
  std::printf("    whole minute close, all in process:               p50 %7.0f us  p99 %7.0f us\n", in50,
              pct(p99[0], 0.5));
  std::printf("    whole minute close, return_spike + notional_cap isolated: p50 %7.0f us  p99 %7.0f us\n",
              iso50, pct(p99[1], 0.5));
  const auto [lo0, hi0] = std::minmax_element(p50[0].begin(), p50[0].end());
  std::printf("    difference: %+.0f us p50 (ratio %.2fx); the in-process p50 alone spreads over "
              "%.0f-%.0f us from run to run, so the two isolated calls' own cost is (a)'s figure; "
              "same digest: %s\n",
              iso50 - in50, iso50 / std::max(in50, 1e-3), *lo0, *hi0,
              digest[0] == digest[1] ? "yes" : "NO");
  return digest[0] == digest[1];
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const size_t minutes = argc > 3 ? static_cast<size_t>(std::atoll(argv[3])) : 150;
  const size_t symbols = argc > 4 ? static_cast<size_t>(std::atoll(argv[4])) : 1000;
  spdlog::set_level(spdlog::level::warn);
  std::printf("bench_isolation: isolation: process vs in process, %zu symbols\n", symbols);
  if (!call_bench(calls, symbols)) return 1;
  if (runs > 0 && !pipeline_bench(runs, minutes, symbols)) return 1;
  return 0;
}
