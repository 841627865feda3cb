// bench_conveyor: throughput, close cost and memory of the market-data
// conveyor (host/src/conveyor). Build Release; run on an idle core:
//
//   bench_conveyor [trades=20000000] [runs=5]
//
// (a) trades -> accumulation -> minute close, events/s on one core (median of
//     runs), beside a plain loop summing the same events' sizes (the memory
//     bandwidth floor of reading the records at all).
// (b) cost of one minute close for 1,000 symbols with warm baselines
//     (features + baselines + DQ + context), p50/p99 over 500 closes, beside
//     a naive close that scores the same windows by linear scans.
// (c) resident bytes per symbol at 1,000 and 10,000 warm symbols, from
//     /proc/self/statm before and after (each in a fresh child process so
//     freed heap from earlier stages cannot hide growth).
#include <strategy_host/abi.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "bench_events.h"
#include "conveyor/conveyor.h"

using sh::host::Conveyor;
using sh::host::ConveyorConfig;
using sh::host::MinuteClose;

namespace {

// Timings are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall
// time: the machine is shared, and time spent descheduled is not the
// conveyor's cost. Cache interference from neighbours still shows.
struct Clock {
  using time_point = double;  // seconds
  static time_point now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
  }
};
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kT0 = 28'000'000 * kMin;

double seconds_since(Clock::time_point t0) { return Clock::now() - t0; }

using sh_bench::Lcg;
using sh_bench::make_event;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// ---------------------------------------------------------------- (a) ----
void bench_throughput(uint64_t total_trades, int runs) {
  constexpr uint32_t kSymbols = 100;
  constexpr size_t kChunk = 1'000'000;  // 96 MB of records: far beyond the caches
  // 6 ms apart on average: 10,000 trades a minute, 100 per symbol, with up to
  // 500 ms of cross-symbol disorder (inside the 1.5 s lateness).
  constexpr int64_t kStepNs = 6'000'000;

  std::vector<sh_market_event> chunk(kChunk);
  std::vector<double> conveyor_eps, floor_eps;
  uint64_t rows = 0, closes = 0;
  double sink = 0;
  for (int run = 0; run < runs; ++run) {
    Conveyor conveyor{ConveyorConfig{}};
    std::vector<MinuteClose> closed;
    Lcg rng{42};
    double px[kSymbols + 1];
    for (double& p : px) p = 100.0;
    double t_conv = 0, t_floor = 0;
    for (uint64_t done = 0; done < total_trades; done += kChunk) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, total_trades - done));
      for (size_t i = 0; i < n; ++i) {
        const sh_symbol_id sym = 1 + static_cast<sh_symbol_id>(rng.next() * kSymbols);
        const int64_t ts =
            kT0 + static_cast<int64_t>(done + i) * kStepNs - static_cast<int64_t>(rng.next() * 5e8);
        px[sym] *= 1.0 + (rng.next() - 0.5) * 1e-3;
        sh_market_event& e = chunk[i];
        e = make_event(SH_EVENT_TRADE, sym, ts);
        e.data.trade.price = px[sym];
        e.data.trade.size = 1.0 + std::floor(rng.next() * 100);
      }
      // Floor: read every record once and sum its size, with the same stride.
      auto t0 = Clock::now();
      double sum = 0;
      const auto* base = reinterpret_cast<const unsigned char*>(chunk.data());
      for (size_t i = 0; i < n; ++i) {
        sum += reinterpret_cast<const sh_market_event*>(base + i * sizeof(sh_market_event))
                   ->data.trade.size;
      }
      t_floor += seconds_since(t0);
      sink += sum;

      t0 = Clock::now();
      conveyor.on_events(chunk.data(), n, sizeof(sh_market_event), closed);
      t_conv += seconds_since(t0);
      for (const MinuteClose& mc : closed) rows += mc.rows.size();
      closes += closed.size();
      conveyor.recycle(closed);
    }
    conveyor_eps.push_back(total_trades / t_conv);
    floor_eps.push_back(total_trades / t_floor);
    if (conveyor.stats().rejected_events != 0 || conveyor.stats().late_events != 0) {
      std::printf("  unexpected: rejected %llu late %llu\n",
                  static_cast<unsigned long long>(conveyor.stats().rejected_events),
                  static_cast<unsigned long long>(conveyor.stats().late_events));
    }
  }
  std::printf("(a) %llu trades, %u symbols, %d runs (%llu closes, %llu rows per run)\n",
              static_cast<unsigned long long>(total_trades), kSymbols, runs,
              static_cast<unsigned long long>(closes / runs),
              static_cast<unsigned long long>(rows / runs));
  std::printf("    conveyor (accumulate + close + features): %7.2f M events/s  median\n",
              median(conveyor_eps) / 1e6);
  std::printf("    baseline (sum sizes, same records)      : %7.2f M events/s  median\n",
              median(floor_eps) / 1e6);
  std::printf("    conveyor runs:");
  for (double v : conveyor_eps) std::printf(" %.2f", v / 1e6);
  std::printf(" M/s   (sink %.0f)\n", sink > 0 ? 1.0 : 0.0);
}

// ---------------------------------------------------------------- (b) ----
// Feeds one quote and one trade per symbol for minute m, timestamped in
// [m + 2 s, m + 50 s): never closes anything by itself.
void fill_minute(std::vector<sh_market_event>& out, uint32_t symbols, int64_t m_start, Lcg& rng) {
  out.clear();
  for (uint32_t s = 1; s <= symbols; ++s) {
    const double px = 100.0 * (1.0 + 0.01 * std::sin(s + m_start / kMin * 0.1)) *
                      (1.0 + (rng.next() - 0.5) * 2e-3);
    const double half = px * (1.0 + std::floor(rng.next() * 3)) * 1e-4;
    sh_market_event q = make_event(SH_EVENT_QUOTE, s, m_start + 2 * kSec + s * 1000);
    q.data.quote = sh_quote{px - half, 1.0, px + half, 1.0};
    out.push_back(q);
    sh_market_event t = make_event(SH_EVENT_TRADE, s, m_start + 3 * kSec + s * 1000);
    t.data.trade.price = px;
    t.data.trade.size = 1.0 + std::floor(rng.next() * 50);
    out.push_back(t);
  }
}

// The trigger for closing minute m - 1: one event at m + lateness.
sh_market_event trigger(int64_t m_start) {
  sh_market_event e = make_event(SH_EVENT_TRADE, 1, m_start + 1'500'000'000);
  e.data.trade.price = 100.0;
  e.data.trade.size = 1.0;
  return e;
}

// What a close costs when baselines are scored by scanning the windows.
struct NaiveBaselines {
  explicit NaiveBaselines(uint32_t symbols, uint32_t window)
      : w(window), vals(static_cast<size_t>(symbols) * 3 * window) {}
  double score(uint32_t sym, int feature, double x) {
    const double* v = &vals[(static_cast<size_t>(sym) * 3 + feature) * w];
    double mean = 0;
    for (uint32_t i = 0; i < w; ++i) mean += v[i];
    mean /= w;
    double ss = 0;
    uint32_t le = 0;
    for (uint32_t i = 0; i < w; ++i) {
      ss += (v[i] - mean) * (v[i] - mean);
      le += v[i] <= x;
    }
    return (x - mean) / std::sqrt(ss / (w - 1)) + static_cast<double>(le) / w;
  }
  uint32_t w;
  std::vector<double> vals;
};

void bench_close_cost() {
  constexpr uint32_t kSymbols = 1000;
  constexpr int kWarm = 520;  // > baseline_window: windows full and rolling
  constexpr int kMeasured = 500;
  ConveyorConfig cfg;
  Conveyor conveyor(cfg);
  std::vector<MinuteClose> closed;
  std::vector<sh_market_event> batch;
  batch.reserve(2 * kSymbols);
  Lcg rng{7};
  std::vector<double> close_us;
  size_t rows_last = 0;
  double warm_z = 0;
  for (int m = 0; m < kWarm + kMeasured; ++m) {
    const int64_t start = kT0 + m * kMin;
    const sh_market_event trig = trigger(start);
    const auto t0 = Clock::now();
    conveyor.on_events(&trig, 1, sizeof trig, closed);
    const double us = seconds_since(t0) * 1e6;
    if (m >= kWarm) {
      close_us.push_back(us);
      rows_last = closed.empty() ? 0 : closed.back().rows.size();
      if (!closed.empty() && !std::isnan(closed.back().rows[kSymbols / 2].z_volume)) ++warm_z;
    }
    conveyor.recycle(closed);
    fill_minute(batch, kSymbols, start, rng);
    conveyor.on_events(batch.data(), batch.size(), sizeof(sh_market_event), closed);
    if (!closed.empty()) std::printf("  unexpected close inside a minute's batch\n");
  }

  NaiveBaselines naive(kSymbols + 1, cfg.baseline_window);
  for (size_t i = 0; i < naive.vals.size(); ++i) naive.vals[i] = rng.next();
  std::vector<double> naive_us;
  double sink = 0;
  for (int k = 0; k < 50; ++k) {
    const auto t0 = Clock::now();
    for (uint32_t s = 1; s <= kSymbols; ++s)
      for (int f = 0; f < 3; ++f) sink += naive.score(s, f, 0.5);
    naive_us.push_back(seconds_since(t0) * 1e6);
  }

  std::printf("(b) one minute close, %u symbols, warm baselines (window %u), %d closes\n", kSymbols,
              cfg.baseline_window, kMeasured);
  std::printf(
      "    conveyor close      : p50 %8.1f us  p99 %8.1f us  max %8.1f us  (%.0f ns/row, %zu rows, "
      "z warm in %.0f%%)\n",
      percentile(close_us, 0.5), percentile(close_us, 0.99), percentile(close_us, 1.0),
      percentile(close_us, 0.5) * 1e3 / kSymbols, rows_last, 100.0 * warm_z / kMeasured);
  std::printf(
      "    baseline: naive scan: p50 %8.1f us  (3 windows x %u values per symbol; sink %d)\n",
      percentile(naive_us, 0.5), cfg.baseline_window, sink != 0 ? 1 : 0);
}

// ---------------------------------------------------------------- (c) ----
long resident_pages() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident;
}

void measure_resident(uint32_t symbols) {
  const int warm_minutes = 510;  // fills the 500-sample windows
  std::vector<sh_market_event> batch;
  batch.reserve(2 * symbols);
  std::vector<MinuteClose> closed;
  closed.reserve(4);
  Lcg rng{11};
  fill_minute(batch, symbols, kT0, rng);  // touch the batch buffer before measuring

  const long before = resident_pages();
  Conveyor conveyor{ConveyorConfig{}};
  for (int m = 0; m < warm_minutes; ++m) {
    const int64_t start = kT0 + m * kMin;
    const sh_market_event trig = trigger(start);
    conveyor.on_events(&trig, 1, sizeof trig, closed);
    conveyor.recycle(closed);
    fill_minute(batch, symbols, start, rng);
    conveyor.on_events(batch.data(), batch.size(), sizeof(sh_market_event), closed);
    conveyor.recycle(closed);
  }
  const long after = resident_pages();
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::printf(
      "    %6u symbols: resident +%8.1f MiB = %7.0f bytes/symbol (accounted state %zu "
      "bytes/symbol)\n",
      symbols, (after - before) * page / (1 << 20), (after - before) * page / symbols,
      conveyor.symbol_state_bytes(1));
}

void bench_resident() {
  std::printf(
      "(c) resident memory, warm symbols (baseline_window 500, l2_levels 10; budget 65536 "
      "bytes/symbol)\n");
  std::fflush(stdout);
  for (uint32_t n : {1000u, 10000u}) {
    const pid_t pid = fork();
    if (pid == 0) {
      measure_resident(n);
      std::fflush(stdout);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t trades = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20'000'000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
#ifndef NDEBUG
  std::printf("warning: assertions enabled; build with -DCMAKE_BUILD_TYPE=Release for figures\n");
#endif
  bench_resident();  // first, in children: nothing freed yet to reuse
  bench_close_cost();
  bench_throughput(trades, runs < 1 ? 1 : runs);
  return 0;
}
