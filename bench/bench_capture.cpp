// bench_capture: the binary event capture (issue 17, point 2) end to end
// through the conveyor on one core, beside the CSV replay of the same
// session in the same run (the input a user would otherwise replay).
//
// The session: S symbols x M minutes of 20 trades, 6 quotes and 6 L2 rows
// per symbol-minute (the realistic shape), written as three CSVs, converted
// with the real `host capture convert`, then replayed through the real
// Pipeline (real plugins via dlopen, real LMDB, conveyor: bars, features,
// baselines, snapshot rows; no detectors) from each source. The two runs'
// digests must agree.
//
// Usage: bench_capture [symbols=1000] [minutes=60] [runs=3] [capture-only | shards=N | writer]
// (Release build; capture-only skips the CSV runs, for profiling;
// shards=N replays the capture with conveyor.shards 1 and N alternately
// instead: issue 17, point 4; writer: with state.commit_thread true and
// false alternately: point 3)
#include <strategy_host/abi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_pipeline_run.h"


namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Per symbol-minute: 20 trades, 6 quotes, 6 L2 rows (3 levels a side, one
// update each), spread over the minute, time-ordered across symbols.
void write_session(const fs::path& dir, size_t symbols, size_t minutes) {
  fs::create_directories(dir);
  std::ofstream t(dir / "trades.csv"), q(dir / "quotes.csv"), l(dir / "l2.csv");
  t << "ts,symbol,price,size,side,trade_id,recv_ts\n";
  q << "ts,symbol,bid,bid_size,ask,ask_size,recv_ts\n";
  l << "ts,symbol,side,level,price,size\n";
  const int64_t start = 1704153600LL * 1000000000LL;
  uint64_t x = 88172645463325252ULL;
  auto rnd = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  std::vector<double> px(symbols);
  for (size_t s = 0; s < symbols; ++s) px[s] = 20.0 + static_cast<double>(s % 500);
  char buf[256];
  std::vector<uint64_t> trade_id(symbols, 0);  // per symbol, as exchanges number them
  for (size_t m = 0; m < minutes; ++m) {
    // 60 slots a minute; each symbol trades in 20, quotes in 6, moves L2 in 2 (3 levels).
    for (int slot = 0; slot < 60; ++slot) {
      const int64_t base = start + static_cast<int64_t>(m) * 60'000'000'000LL + slot * 1'000'000'000LL;
      for (size_t s = 0; s < symbols; ++s) {
        const int64_t ts = base + static_cast<int64_t>(s) * (900'000'000LL / static_cast<int64_t>(symbols));
        const double step = (static_cast<double>(rnd() % 2001) - 1000.0) * 1e-6;
        px[s] *= 1.0 + step;
        const double p = px[s];
        if (slot % 3 == 0) {
          const int n = std::snprintf(buf, sizeof buf, "%lld,S%04zu,%.6f,%.4f,%s,%llu,%lld\n",
                                      static_cast<long long>(ts), s, p, 0.5 + static_cast<double>(rnd() % 100) * 0.01,
                                      (rnd() & 1) ? "buy" : "sell", static_cast<unsigned long long>(++trade_id[s]),
                                      static_cast<long long>(ts + 40'000'000));
          t.write(buf, n);
        }
        if (slot % 10 == 1) {
          const int n = std::snprintf(buf, sizeof buf, "%lld,S%04zu,%.6f,%.2f,%.6f,%.2f,%lld\n",
                                      static_cast<long long>(ts), s, p * 0.9995, 2.0 + static_cast<double>(rnd() % 50),
                                      p * 1.0005, 3.0 + static_cast<double>(rnd() % 50),
                                      static_cast<long long>(ts + 40'000'000));
          q.write(buf, n);
        }
        if (slot % 30 == 2) {  // 3 rows an update: the touch both sides, one second level
          const bool bid2 = slot < 30;
          const struct { const char* side; int level; } rows[3] = {{"bid", 0}, {"ask", 0}, {bid2 ? "bid" : "ask", 1}};
          for (const auto& row : rows) {
            const double off = 0.0005 * (1 + row.level);
            const double lp = row.side[0] == 'b' ? p * (1 - off) : p * (1 + off);
            const int n = std::snprintf(buf, sizeof buf, "%lld,S%04zu,%s,%d,%.6f,%.3f\n", static_cast<long long>(ts), s,
                                        row.side, row.level, lp, 1.0 + static_cast<double>(rnd() % 100) * 0.1);
            l.write(buf, n);
          }
        }
      }
    }
  }
}

std::string host_section(const fs::path& dir, const std::string& name, unsigned shards = 1,
                         bool commit_thread = true) {
  return "host:\n  mode: replay\n  plugin_dirs: ['" SH_PLUGIN_DIR "']\n  state_dir: '" +
         (dir / ("state_" + name)).string() + "'\n  output_dir: '" + (dir / ("out_" + name)).string() +
         "'\n  log: {level: warn}\nstate: {durability: process, commit_thread: " +
         (commit_thread ? "true" : "false") + "}\nconveyor: {baseline_warmup: 30, shards: " + std::to_string(shards) +
         "}\n";
}

// shards=N: the capture through one shard and through N, alternately;
// writer: with the minute writer's thread (state.commit_thread) and without.
int compare(const fs::path& dir, const std::string& providers, unsigned shards, int runs) {
  std::vector<double> rate[2];
  std::string digest[2];
  uint64_t events = 0;
  for (int i = 0; i < runs; ++i) {
    for (int k = 0; k < 2; ++k) {
      const unsigned n = shards == 0 || k == 0 ? 1 : shards;
      const bool writer = shards != 0 || k == 1;
      const std::string name = "run" + std::to_string(k);
      fs::remove_all(dir / ("state_" + name));
      fs::remove_all(dir / ("out_" + name));
      const sh_bench::PipelineRun r =
          sh_bench::run_pipeline(host_section(dir, name, n, writer) + providers, dir, true);
      if (!r.ok) return 1;
      rate[k].push_back(static_cast<double>(r.summary.events_in) / r.summary.wall_seconds);
      digest[k] = r.summary.digest;
      events = r.summary.events_in;
    }
  }
  std::printf("capture replay through the conveyor, %llu events, median of %d runs, alternating:\n",
              static_cast<unsigned long long>(events), runs);
  if (shards == 0) {
    std::printf("  minute writer thread         : %8.2f M events/s\n", median(rate[1]) / 1e6);
    std::printf("  baseline: commit on pipeline : %8.2f M events/s  (ratio %.2fx)\n", median(rate[0]) / 1e6,
                median(rate[1]) / median(rate[0]));
  } else {
    std::printf("  conveyor.shards %-2u : %8.2f M events/s\n", shards, median(rate[1]) / 1e6);
    std::printf("  baseline: 1 shard  : %8.2f M events/s  (ratio %.2fx)\n", median(rate[0]) / 1e6,
                median(rate[1]) / median(rate[0]));
  }
  std::printf("  digests: %s (%s, %s)\n", digest[0] == digest[1] ? "equal" : "DIFFER",
              digest[0].substr(0, 12).c_str(), digest[1].substr(0, 12).c_str());
  return digest[0] == digest[1] ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t symbols = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
  const size_t minutes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 60;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  const bool capture_only = argc > 4 && std::string(argv[4]) == "capture-only";
  const unsigned shards =
      argc > 4 && std::string(argv[4]).rfind("shards=", 0) == 0 ? std::atoi(argv[4] + 7) : 0;
  const bool writer = argc > 4 && std::string(argv[4]) == "writer";
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = fs::temp_directory_path() / ("sh_bench_capture_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  write_session(dir / "csv", symbols, minutes);

  const std::string csv_providers =
      "providers:\n  - name: csv\n    plugin: replay\n    config:\n      files:\n"
      "        - {path: '" + (dir / "csv/trades.csv").string() + "', type: trades}\n"
      "        - {path: '" + (dir / "csv/quotes.csv").string() + "', type: quotes}\n"
      "        - {path: '" + (dir / "csv/l2.csv").string() + "', type: l2}\n";
  const fs::path cap = dir / "session.shcap";
  {
    std::ofstream(dir / "convert.yaml") << host_section(dir, "convert") << csv_providers;
    const fs::path host = fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin/host";
    const std::string cmd = "'" + host.string() + "' capture convert --config '" + (dir / "convert.yaml").string() +
                            "' --to '" + cap.string() + "' > /dev/null";
    const auto t0 = std::chrono::steady_clock::now();
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "conversion failed: " << cmd << "\n";
      return 1;
    }
    std::printf("convert: %s, %.2f s (%.0f MB CSV -> %.0f MB capture)\n", cap.filename().c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                static_cast<double>(fs::file_size(dir / "csv/trades.csv") + fs::file_size(dir / "csv/quotes.csv") +
                                    fs::file_size(dir / "csv/l2.csv")) / 1e6,
                static_cast<double>(fs::file_size(cap)) / 1e6);
  }
  const std::string cap_providers =
      "providers:\n  - name: cap\n    plugin: capture\n    config: {file: '" + cap.string() + "'}\n";
  if (shards > 0 || writer) {
    const int rc = compare(dir, cap_providers, shards, runs);
    if (!std::getenv("SH_BENCH_KEEP")) fs::remove_all(dir);
    return rc;
  }

  std::vector<double> cap_rate, csv_rate;
  std::string cap_digest, csv_digest;
  uint64_t events = 0, closes = 0;
  for (int i = 0; i < runs; ++i) {
    for (const bool capture : {true, false}) {
      if (!capture && capture_only) continue;
      const std::string name = capture ? "cap" : "csv";
      fs::remove_all(dir / ("state_" + name));
      fs::remove_all(dir / ("out_" + name));
      const sh_bench::PipelineRun r =
          sh_bench::run_pipeline(host_section(dir, name) + (capture ? cap_providers : csv_providers), dir, true);
      if (!r.ok) return 1;
      (capture ? cap_rate : csv_rate).push_back(static_cast<double>(r.summary.events_in) / r.summary.wall_seconds);
      (capture ? cap_digest : csv_digest) = r.summary.digest;
      events = r.summary.events_in;
      closes = r.summary.minutes_closed;
    }
  }
  std::printf("session: %zu symbols x %zu minutes, %llu events (20 trades, 6 quotes, 6 L2 rows per symbol-minute), "
              "%llu minute closes, median of %d runs, one pipeline thread\n",
              symbols, minutes, static_cast<unsigned long long>(events), static_cast<unsigned long long>(closes), runs);
  std::printf("  capture replay through the conveyor : %8.2f M events/s\n", median(cap_rate) / 1e6);
  if (capture_only) {
    if (!std::getenv("SH_BENCH_KEEP")) fs::remove_all(dir);
    return 0;
  }
  std::printf("  baseline: the same CSVs replayed    : %8.2f M events/s  (capture/CSV %.2fx)\n",
              median(csv_rate) / 1e6, median(cap_rate) / median(csv_rate));
  std::printf("  digests: %s (capture %s, CSV %s)\n", cap_digest == csv_digest ? "equal" : "DIFFER",
              cap_digest.substr(0, 12).c_str(), csv_digest.substr(0, 12).c_str());
  if (!std::getenv("SH_BENCH_KEEP")) fs::remove_all(dir);  // SH_BENCH_KEEP=1: keep the session for profiling
  return cap_digest == csv_digest ? 0 : 1;
}
