// bench_pipeline: the conveyor end to end through the real pipeline (real
// plugins via dlopen, real LMDB, JSONL sink), each figure beside a baseline
// measured in the same run.
//
//   (a) replay from CSV files to events, events/s   vs  the replay provider alone
//   (b) one minute close for 1,000 symbols (features, snapshot txn, context,
//       three detectors, gate, sinks), p50/p99     vs  the conveyor alone
//   (c) live: the minute's deadline (boundary + lateness) seen on the
//       receive clock -> rows committed in LMDB, 1,000 symbols of 20 trades,
//       6 quotes, 6 L2 rows per symbol-minute, shadow mode (fsync'd commits),
//       p50/p99                                     vs  the same stream replayed
//                                                       on event time
//
// Usage: bench_pipeline [trades=2000000] [runs=3]   (Release build)
#include <strategy_host/abi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_pipeline_run.h"
#include "plugins/component_loader.h"
#include "conveyor/conveyor.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "pipeline/pipeline.h"
#include "config/pipeline_config.h"
#include "plugins/plugin_instance.h"

namespace fs = std::filesystem;
using namespace sh::host;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// 100 symbols, trades and quotes in time order, like a recorded session.
void write_csv(const fs::path& dir, size_t trades) {
  fs::create_directories(dir);
  std::ofstream t(dir / "trades.csv"), q(dir / "quotes.csv");
  t << "ts,symbol,price,size,side,trade_id\n";
  q << "ts,symbol,bid,bid_size,ask,ask_size\n";
  const int64_t start = 1704153600LL * 1000000000LL;
  const int64_t step = 20'000'000;  // 50 trades/s: 3,000 a minute over 100 symbols
  uint64_t x = 88172645463325252ULL;
  char buf[256];
  for (size_t i = 0; i < trades; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const int sym = static_cast<int>(x % 100);
    const double px = 100.0 + sym + static_cast<double>(x % 1000) * 0.001;
    const int64_t ts = start + static_cast<int64_t>(i) * step;
    int n = std::snprintf(buf, sizeof buf, "%lld,S%03d,%.3f,%.4f,%s,%zu\n",
                          static_cast<long long>(ts), sym, px, 0.5 + (x % 100) * 0.01,
                          (x & 1) ? "buy" : "sell", i + 1);
    t.write(buf, n);
    if (i % 2 == 0) {
      n = std::snprintf(buf, sizeof buf, "%lld,S%03d,%.3f,%.2f,%.3f,%.2f\n",
                        static_cast<long long>(ts + step / 2), sym, px - 0.01, 2.0, px + 0.01, 3.0);
      q.write(buf, n);
    }
  }
}

const char* kDetectors =
    "detectors:\n"
    "  - {name: return_spike, plugin: return_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: volume_spike, plugin: volume_spike, config: {z_threshold: 4.0}}\n"
    "  - {name: spread_blowout, plugin: spread_blowout, config: {z_threshold: 4.0}}\n";

std::string host_section(const fs::path& dir, const std::string& durability, bool commit_thread = true) {
  return "host:\n  mode: replay\n  plugin_dirs: ['" SH_PLUGIN_DIR "']\n  state_dir: '" +
         (dir / "state").string() + "'\n  output_dir: '" + (dir / "out").string() +
         "'\n  log: {level: warn}\nstate: {durability: " + durability +
         ", commit_thread: " + (commit_thread ? "true" : "false") + "}\n";
}

using Run = sh_bench::PipelineRun;
using sh_bench::run_pipeline;

// The replay provider alone: poll into a sink that only counts.
double provider_only_rate(const std::string& yaml, const fs::path& base) {
  HostConfig config = HostConfig::load_string(yaml, "bench.yaml", base);
  HostRuntime runtime;
  const PluginCatalog catalog = scan_plugins(config);
  PluginInstance::Created c =
      load_component(config, config.providers().at(0), catalog, runtime);
  if (!c.instance) {
    std::cerr << c.error << "\n";
    return 0;
  }
  uint64_t n = 0;
  sh_event_sink sink{sizeof(sh_event_sink), &n,
                     [](void* ctx, const sh_market_event*, uint32_t count, uint32_t) -> sh_status {
                       *static_cast<uint64_t*>(ctx) += count;
                       return SH_OK;
                     }};
  const auto t0 = std::chrono::steady_clock::now();
  while (c.instance->poll(sink, 4096) == SH_OK) {
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(n) / s;
}

// Realistic minutes: 20 trades, 6 quotes and 6 L2 rows per symbol-minute.
std::string synthetic_provider(size_t symbols, size_t minutes) {
  const double eps = static_cast<double>(symbols * 32) / 60.0;
  return "providers:\n  - name: synth\n    plugin: synthetic\n    config: {symbol_count: " +
         std::to_string(symbols) + ", seed: 7, events_per_second: " + std::to_string(eps) +
         ", duration_s: " + std::to_string(minutes * 60) +
         ", trade_share: 0.625, quote_share: 0.1875, l2_share: 0.1875}\n";
}

// Conveyor alone on the synthetic stream: latency of the calls that close.
std::vector<double> conveyor_close_us(const std::string& yaml, const fs::path& base) {
  HostConfig config = HostConfig::load_string(yaml, "bench.yaml", base);
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  const PluginCatalog catalog = scan_plugins(config);
  PluginInstance::Created c = load_component(config, config.providers().at(0), catalog, runtime);
  struct Ctx {
    Conveyor conveyor;
    std::vector<MinuteClose> closed;
    std::vector<double> us;
  } ctx{Conveyor(pc.conveyor), {}, {}};
  sh_event_sink sink{sizeof(sh_event_sink), &ctx,
                     [](void* p, const sh_market_event* ev, uint32_t count, uint32_t size) -> sh_status {
                       auto& x = *static_cast<Ctx*>(p);
                       x.conveyor.on_events(ev, count, size, x.closed);
                       for (const MinuteClose& m : x.closed) x.us.push_back(m.compute_ns / 1e3);
                       x.conveyor.recycle(x.closed);
                       return SH_OK;
                     }};
  while (c.instance->poll(sink, 4096) == SH_OK) {
  }
  return ctx.us;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t trades = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = fs::temp_directory_path() / ("sh_bench_pipeline_" + std::to_string(::getpid()));
  fs::remove_all(dir);

  // (a) replay from CSV, end to end.
  write_csv(dir / "csv", trades);
  const std::string replay_yaml =
      host_section(dir, "process") +
      "providers:\n  - name: csv\n    plugin: replay\n    config:\n      files:\n"
      "        - {path: '" + (dir / "csv/trades.csv").string() + "', type: trades}\n"
      "        - {path: '" + (dir / "csv/quotes.csv").string() + "', type: quotes}\n" +
      "conveyor: {baseline_warmup: 50}\n" + kDetectors;
  std::vector<double> e2e, provider;
  uint64_t events = 0, minutes = 0, published = 0;
  for (int i = 0; i < runs; ++i) {
    provider.push_back(provider_only_rate(replay_yaml, dir));
    const Run r = run_pipeline(replay_yaml, dir);
    if (!r.ok) return 1;
    events = r.summary.events_in;
    minutes = r.summary.minutes_closed;
    published = r.summary.published;
    e2e.push_back(static_cast<double>(events) / r.summary.wall_seconds);
  }
  std::printf("(a) replay from CSV to events: %llu events (%zu trades + quotes, 100 symbols), "
              "%llu minutes, %llu events published, median of %d runs\n",
              static_cast<unsigned long long>(events), trades,
              static_cast<unsigned long long>(minutes), static_cast<unsigned long long>(published),
              runs);
  std::printf("    pipeline end to end           : %8.2f M events/s\n", median(e2e) / 1e6);
  std::printf("    baseline: replay provider only: %8.2f M events/s  (pipeline/provider %.2f)\n",
              median(provider) / 1e6, median(e2e) / median(provider));

  // (b) minute close for 1,000 symbols, realistic minutes; the minute's
  // commit on the minute writer's thread (the default) and, as the baseline,
  // on the pipeline thread.
  const size_t symbols = 1000, close_minutes = 300;
  for (const char* durability : {"process", "sync"}) {
    const size_t n = durability == std::string("sync") ? 60 : close_minutes;
    const std::string rest = synthetic_provider(symbols, n) + "conveyor: {baseline_warmup: 200}\n" + kDetectors;
    const Run r = run_pipeline(host_section(dir, durability) + rest, dir);
    const Run inl = run_pipeline(host_section(dir, durability, false) + rest, dir);
    if (!r.ok || !inl.ok) return 1;
    std::printf("(b) minute close, %zu symbols, %llu closes, durability %-7s: p50 %7.0f us  p99 %7.0f us  max %7.0f us"
                "  (commit on the writer: p50 %7.0f us p99 %7.0f us)\n",
                symbols, static_cast<unsigned long long>(r.summary.minutes_closed), durability,
                r.summary.close_p50_us, r.summary.close_p99_us, r.summary.close_max_us, r.summary.commit_p50_us,
                r.summary.commit_p99_us);
    std::printf("    baseline: the commit on the pipeline thread: p50 %7.0f us  p99 %7.0f us  max %7.0f us\n",
                inl.summary.close_p50_us, inl.summary.close_p99_us, inl.summary.close_max_us);
    if (std::string(durability) == "process") {
      const std::vector<double> base = conveyor_close_us(host_section(dir, durability) + rest, dir);
      std::printf("    baseline: conveyor close alone (bars, features, context): p50 %7.0f us  p99 %7.0f us\n",
                  pct(base, 0.5), pct(base, 0.99));
    }
  }

  // (c) live close on the receive clock. The synthetic feed reports its
  // receive clock as a live provider does; a close starts when the clock or
  // an event's receive time passes the deadline, and its sample runs to the
  // commit (conveyor close, detectors, gate, sinks on the pipeline thread,
  // then the LMDB transaction on the minute writer's thread).
  {
    const std::string feed =
        "providers:\n  - name: synth\n    plugin: synthetic\n    config: {symbol_count: 1000, seed: 7, "
        "events_per_second: " + std::to_string(1000.0 * 32 / 60.0) +
        ", duration_s: 3600, trade_share: 0.625, quote_share: 0.1875, l2_share: 0.1875, l2_levels: 3, "
        "recv_lag_us: 2000, receive_clock: true}\n"
        "conveyor: {baseline_warmup: 50}\n" + std::string(kDetectors);
    auto yaml_for = [&](const char* mode, const char* durability) {
      std::string y = host_section(dir, durability) + feed;
      const std::string from = "mode: replay";
      y.replace(y.find(from), from.size(), std::string("mode: ") + mode);
      return y;
    };
    std::vector<double> live50, live99, replay50, replay99;
    uint64_t closes = 0, on_clock = 0;
    for (int i = 0; i < runs; ++i) {
      fs::remove_all(dir / "state");
      fs::remove_all(dir / "out");
      const Run live = run_pipeline(yaml_for("shadow", "sync"), dir);
      const Run replay = run_pipeline(yaml_for("replay", "process"), dir);
      if (!live.ok || !replay.ok) return 1;
      closes = live.summary.minutes_closed;
      on_clock = live.summary.minutes_closed_on_clock;
      live50.push_back(pct(live.committed_us, 0.50));
      live99.push_back(pct(live.committed_us, 0.99));
      replay50.push_back(pct(replay.committed_us, 0.50));
      replay99.push_back(pct(replay.committed_us, 0.99));
    }
    std::printf("(c) live close, deadline -> rows committed, 1000 symbols x (20 trades, 6 quotes, 6 L2) per minute, "
                "%llu closes (%llu on the clock), median of %d runs\n",
                static_cast<unsigned long long>(closes), static_cast<unsigned long long>(on_clock), runs);
    std::printf("    shadow, receive clock, fsync'd commits : p50 %7.0f us  p99 %7.0f us  (target p99 <= 5000 us)\n",
                median(live50), median(live99));
    std::printf("    baseline: replay on event time, no sync: p50 %7.0f us  p99 %7.0f us  (live/replay p99 %.2f)\n",
                median(replay50), median(replay99), median(live99) / median(replay99));
  }
  fs::remove_all(dir);
  return 0;
}
