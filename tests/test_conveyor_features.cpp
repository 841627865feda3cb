// [features] Raw features against R's TTR, rolling baselines (z-scores and
// quantile ranks) against naive recomputation, and market context.
#include <strategy_host/abi.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "conveyor/baseline.h"
#include "conveyor/conveyor.h"
#include "conveyor/market_context.h"
#include "conveyor/zero_pages.h"
#include "test_conveyor_support.h"

using sh::host::Conveyor;
using sh::host::ConveyorConfig;
using sh::host::MinuteClose;
using sh::host::RollingBaseline;
using sh_test::make_event;
using sh_test::trade;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kT0 = 28'000'000 * kMin;  // an arbitrary minute in 2023
const double kNaN = std::nan("");

sh_market_event quote(sh_symbol_id sym, int64_t ts_ns, double bid, double ask) {
  sh_market_event e = make_event(SH_EVENT_QUOTE, sym, ts_ns);
  e.data.quote.bid = bid;
  e.data.quote.ask = ask;
  return e;
}

// Equal as nulls, or within 1e-9 relative.
bool agrees(double ours, double ref) {
  if (std::isnan(ref) || std::isnan(ours)) return std::isnan(ref) && std::isnan(ours);
  return ours == ref || std::fabs(ours - ref) <= 1e-9 * std::max(std::fabs(ours), std::fabs(ref));
}

struct RefRow {
  double open, high, low, close, log_ret, mom_20, rv_5, rsi_14, atr_14, ema_20;
};

std::vector<RefRow> load_ttr_reference() {
  std::ifstream in(SH_SOURCE_DIR "/tests/data/ttr/reference.csv");
  std::vector<RefRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      v.push_back(cell == "NA" ? kNaN : std::strtod(cell.c_str(), nullptr));
    }
    if (v.size() != 11) continue;
    rows.push_back({v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]});
  }
  return rows;
}

}  // namespace

TEST_CASE("raw features agree with R's TTR to 1e-9 relative", "[features]") {
  const std::vector<RefRow> ref = load_ttr_reference();
  REQUIRE(ref.size() == 300);

  // Through the conveyor's bars-as-bars path: one minute bar per reference row.
  Conveyor c{ConveyorConfig{}};
  std::vector<MinuteClose> closed;
  for (size_t i = 0; i < ref.size(); ++i) {
    sh_market_event e = make_event(SH_EVENT_BAR, 7, kT0 + static_cast<int64_t>(i) * kMin);
    e.data.bar = sh_bar{ref[i].open, ref[i].high, ref[i].low, ref[i].close, 1000.0, kMin};
    c.on_events(&e, 1, sizeof e, closed);
  }
  c.flush(closed);
  REQUIRE(closed.size() == ref.size());

  for (size_t i = 0; i < ref.size(); ++i) {
    REQUIRE(closed[i].rows.size() == 1);
    const sh_feature_row& r = closed[i].rows[0];
    INFO("bar " << i);
    CHECK(r.close == ref[i].close);
    CHECK(agrees(r.log_ret, ref[i].log_ret));
    CHECK(agrees(r.mom_20, ref[i].mom_20));
    CHECK(agrees(r.rv_5, ref[i].rv_5));
    CHECK(agrees(r.rsi_14, ref[i].rsi_14));
    CHECK(agrees(r.atr_14, ref[i].atr_14));
    CHECK(agrees(r.ema_20, ref[i].ema_20));
  }
  // Where each feature becomes non-null (TTR's NA pattern, checked above too).
  CHECK(std::isnan(closed[13].rows[0].rsi_14));
  CHECK(!std::isnan(closed[14].rows[0].rsi_14));
  CHECK(std::isnan(closed[13].rows[0].atr_14));
  CHECK(!std::isnan(closed[14].rows[0].atr_14));
  CHECK(std::isnan(closed[18].rows[0].ema_20));
  CHECK(!std::isnan(closed[19].rows[0].ema_20));
  CHECK(std::isnan(closed[19].rows[0].mom_20));
  CHECK(!std::isnan(closed[20].rows[0].mom_20));
  CHECK(std::isnan(closed[4].rows[0].rv_5));
  CHECK(!std::isnan(closed[5].rows[0].rv_5));
}

namespace {

struct Naive {
  double z, q;
};
// Scores x against `window` the slow, obvious way.
Naive naive_score(const std::deque<double>& window, double x, uint32_t warmup, bool rank_abs) {
  Naive out{kNaN, kNaN};
  const size_t n = window.size();
  if (n < warmup || n == 0) return out;
  double mean = 0;
  for (double v : window) mean += v;
  mean /= n;
  double ss = 0;
  for (double v : window) ss += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(ss / (n - 1)) : kNaN;
  if (sd > 0) out.z = (x - mean) / sd;
  size_t le = 0;
  for (double v : window) le += (rank_abs ? std::fabs(v) <= std::fabs(x) : v <= x);
  out.q = static_cast<double>(le) / n;
  return out;
}

bool z_close(double ours, double naive) {
  if (std::isnan(ours) || std::isnan(naive)) return std::isnan(ours) && std::isnan(naive);
  return std::fabs(ours - naive) <= 1e-9 * std::max(1.0, std::fabs(naive));
}

}  // namespace

TEST_CASE("rolling baseline z and quantile rank match a naive recomputation", "[features]") {
  const uint32_t window = 64, warmup = 16;
  for (bool rank_abs : {false, true}) {
    INFO("rank_abs " << rank_abs);
    RollingBaseline b(window, warmup, rank_abs);
    std::deque<double> naive;
    uint64_t s = 12345;
    for (int i = 0; i < 3000; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const double u = static_cast<double>(s >> 11) / 9007199254740992.0;
      // Rounded to 0.05 so ties are common; large level so drift would show.
      double x = 1e6 + std::round((u - 0.5) * 200.0) * 0.05;
      if (rank_abs) x -= 1e6;
      if (i % 500 == 499) x += 1e3;  // spikes
      const Naive want = naive_score(naive, x, warmup, rank_abs);
      const RollingBaseline::Score got = b.score_and_add(x);
      INFO("i " << i);
      REQUIRE(z_close(got.z, want.z));
      if (std::isnan(want.q)) {
        REQUIRE(std::isnan(got.q));
      } else {
        REQUIRE(got.q == want.q);
      }
      naive.push_back(x);
      if (naive.size() > window) naive.pop_front();
    }
    CHECK(b.count() == window);
  }
}

TEST_CASE("ZeroPages hands out zeroed, aligned pieces that do not overlap and survive a move",
          "[features]") {
  for (const bool huge : {false, true}) {
    INFO("huge " << huge);
    sh::host::ZeroPages pages(64 * 1024, huge);
    std::vector<std::pair<unsigned char*, size_t>> got;
    for (size_t i = 0; i < 200; ++i) {
      const size_t bytes = 1 + (i * 7919) % 3000 + (i == 50 ? 200000 : 0);  // one piece over a chunk
      auto* p = static_cast<unsigned char*>(pages.allocate(bytes));
      REQUIRE(reinterpret_cast<uintptr_t>(p) % 64 == 0);
      for (size_t k = 0; k < bytes; ++k) REQUIRE(p[k] == 0);
      std::memset(p, static_cast<int>(1 + i % 250), bytes);
      got.emplace_back(p, bytes);
    }
    CHECK(pages.mapped_bytes() >= 200000);
    sh::host::ZeroPages moved(std::move(pages));
    for (size_t i = 0; i < got.size(); ++i) {
      for (size_t k = 0; k < got[i].second; ++k) REQUIRE(got[i].first[k] == 1 + i % 250);
    }
    CHECK(pages.mapped_bytes() == 0);
    CHECK(moved.mapped_bytes() >= 200000);
  }
}

TEST_CASE("rolling baselines on shared ZeroPages score exactly as on their own storage", "[features]") {
  // 40 windows side by side in small mappings (one larger than a chunk):
  // a window writing past its storage would change its neighbour's scores.
  sh::host::ZeroPages pages(16 * 1024, true);
  std::vector<RollingBaseline> own, shared;
  for (uint32_t w = 0; w < 40; ++w) {
    const uint32_t window = w == 7 ? 3000 : 1 + (w * 37) % 120;
    own.emplace_back(window, window / 4, w % 2 == 0);
    shared.emplace_back(window, window / 4, w % 2 == 0, &pages);
  }
  uint64_t s = 7;
  for (int round = 0; round < 4000; ++round) {
    for (size_t w = 0; w < own.size(); ++w) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const double x = std::round((static_cast<double>(s >> 11) / 9007199254740992.0 - 0.5) * 400.0) +
                       static_cast<double>(w) * 1000.0;
      const RollingBaseline::Score a = own[w].score_and_add(x);
      const RollingBaseline::Score b = shared[w].score_and_add(x);
      INFO("round " << round << " window " << w);
      REQUIRE(((std::isnan(a.z) && std::isnan(b.z)) || a.z == b.z));
      REQUIRE(((std::isnan(a.q) && std::isnan(b.q)) || a.q == b.q));
    }
  }
  CHECK(shared[7].count() == 3000);
}

TEST_CASE("rolling baselines scored many at a time give exactly what one at a time gives", "[features]") {
  // 30 windows of different sizes, fill levels and key kinds, many rounds:
  // empty, filling and full windows, NaN inputs, ties, spikes.
  constexpr size_t kWindows = RollingBaseline::kManyMax;
  std::vector<RollingBaseline> one, many;
  for (size_t w = 0; w < kWindows; ++w) {
    const uint32_t window = 1 + static_cast<uint32_t>((w * 37) % 120);
    const bool rank_abs = w % 3 == 0;
    one.emplace_back(window, window / 4, rank_abs);
    many.emplace_back(window, window / 4, rank_abs);
  }
  uint64_t s = 99;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
  for (int round = 0; round < 600; ++round) {
    // Some rounds score only part of the windows (a symbol without a row).
    const size_t count = round % 7 == 3 ? kWindows / 2 + static_cast<size_t>(round % 5) : kWindows;
    RollingBaseline* ptrs[kWindows];
    double xs[kWindows];
    RollingBaseline::Score got[kWindows];
    for (size_t w = 0; w < count; ++w) {
      const double u = next();
      double x = std::round((u - 0.5) * 40.0) * 0.25;
      if (static_cast<size_t>(round) % 97 == w % 97) x *= 1000.0;
      if (u < 0.03) x = kNaN;
      ptrs[w] = &many[w];
      xs[w] = x;
    }
    RollingBaseline::score_and_add_many(ptrs, xs, count, got);
    for (size_t w = 0; w < count; ++w) {
      const RollingBaseline::Score want = one[w].score_and_add(xs[w]);
      INFO("round " << round << " window " << w);
      REQUIRE(same(got[w].z, want.z));
      REQUIRE(same(got[w].q, want.q));
      REQUIRE(many[w].count() == one[w].count());
      REQUIRE(many[w].mean() == one[w].mean());
    }
  }
}

TEST_CASE("a spike is scored against history that does not include it", "[features]") {
  RollingBaseline b(100, 10, false);
  for (int i = 0; i < 50; ++i) b.score_and_add(i % 2 == 0 ? 9.0 : 11.0);
  const RollingBaseline::Score s = b.score_and_add(1000.0);
  // mean 10, sample std of 50 alternating 9/11 = sqrt(50/49).
  CHECK(s.z == Approx(990.0 / std::sqrt(50.0 / 49.0)));
  CHECK(s.q == 1.0);
  const RollingBaseline::Score below = b.score_and_add(9.0);
  CHECK(below.q == Approx(25.0 / 51.0));
  CHECK(std::isnan(b.score_and_add(kNaN).z));
  CHECK(b.count() == 52);  // NaN was not added
}

TEST_CASE("conveyor z and q are null until warm-up, then match the naive baseline", "[features]") {
  ConveyorConfig cfg;
  cfg.baseline_warmup = 10;
  cfg.baseline_window = 30;
  Conveyor c(cfg);
  std::vector<MinuteClose> closed;
  uint64_t s = 777;
  auto rnd = [&s]() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  double px = 100.0;
  for (int m = 0; m < 120; ++m) {
    const int64_t t = kT0 + m * kMin;
    px *= std::exp((rnd() - 0.5) * 0.01);
    const double half_spread = px * (1 + std::floor(rnd() * 4)) * 1e-4;
    std::vector<sh_market_event> ev = {quote(1, t + 30 * kSec, px - half_spread, px + half_spread),
                                       trade(1, t + 40 * kSec, px, 1 + std::floor(rnd() * 20))};
    if (m % 10 == 3) ev.pop_back();  // some no-trade minutes: volume 0
    c.on_events(ev.data(), ev.size(), sizeof(sh_market_event), closed);
  }
  c.flush(closed);
  REQUIRE(closed.size() == 120);

  std::deque<double> rets, vols, spreads;
  auto push = [&cfg](std::deque<double>& w, double x) {
    if (std::isnan(x)) return;
    w.push_back(x);
    if (w.size() > cfg.baseline_window) w.pop_front();
  };
  for (size_t k = 0; k < closed.size(); ++k) {
    REQUIRE(closed[k].rows.size() == 1);
    const sh_feature_row& r = closed[k].rows[0];
    INFO("row " << k);
    // The volume baseline holds k samples before row k; log_ret has none for row 0.
    CHECK(std::isnan(r.z_volume) == (k < 10));
    CHECK(std::isnan(r.q_volume) == (k < 10));
    CHECK(std::isnan(r.z_ret) == (k < 11));
    const Naive zr = naive_score(rets, r.log_ret, cfg.baseline_warmup, false);
    const Naive qr = naive_score(rets, r.log_ret, cfg.baseline_warmup, true);
    const Naive v = naive_score(vols, r.volume, cfg.baseline_warmup, false);
    const Naive sp = naive_score(spreads, r.spread_bps, cfg.baseline_warmup, false);
    CHECK(z_close(r.z_ret, std::isnan(r.log_ret) ? kNaN : zr.z));
    CHECK(z_close(r.q_ret, std::isnan(r.log_ret) ? kNaN : qr.q));
    CHECK(z_close(r.z_volume, v.z));
    CHECK(z_close(r.q_volume, v.q));
    CHECK(z_close(r.z_spread, sp.z));
    CHECK(z_close(r.q_spread, sp.q));
    push(rets, r.log_ret);
    push(vols, r.volume);
    push(spreads, r.spread_bps);
  }
}

TEST_CASE("market context: breadth, leader with ties to the lowest id, benchmark", "[features]") {
  auto row = [](sh_symbol_id sym, double log_ret) {
    sh_feature_row r;
    std::memset(&r, 0, sizeof r);
    r.symbol = sym;
    r.log_ret = log_ret;
    return r;
  };
  std::vector<sh_feature_row> rows = {row(2, 0.01), row(3, -0.03), row(5, kNaN), row(8, 0.03),
                                      row(9, 0.0)};
  const sh_market_context ctx = sh::host::build_market_context(kT0, 8, rows.data(), rows.size());
  CHECK(ctx.struct_size == sizeof(sh_market_context));
  CHECK(ctx.minute_ts_ns == kT0);
  CHECK(ctx.symbol_count == 5);
  CHECK(ctx.breadth == Approx(2.0 / 4.0));  // 0 is not up; the null row does not count
  CHECK(ctx.leader == 3);                   // |-0.03| ties with 0.03: lowest id
  CHECK(ctx.leader_ret == -0.03);
  CHECK(ctx.benchmark == 8);
  CHECK(ctx.benchmark_ret == 0.03);
  CHECK(rows[0].rs_benchmark == Approx(0.01 - 0.03));
  CHECK(std::isnan(rows[2].rs_benchmark));
  CHECK(rows[3].rs_benchmark == 0.0);

  const sh_market_context none = sh::host::build_market_context(kT0, 4, rows.data(), rows.size());
  CHECK(std::isnan(none.benchmark_ret));  // benchmark has no row
  CHECK(std::isnan(rows[0].rs_benchmark));

  std::vector<sh_feature_row> nulls = {row(1, kNaN)};
  const sh_market_context empty = sh::host::build_market_context(kT0, 0, nulls.data(), 1);
  CHECK(std::isnan(empty.breadth));
  CHECK(empty.leader == SH_INVALID_SYMBOL);
  CHECK(std::isnan(empty.leader_ret));
}

TEST_CASE("the conveyor attaches context and relative strength to each close", "[features]") {
  ConveyorConfig cfg;
  cfg.benchmark = 2;
  Conveyor c(cfg);
  std::vector<MinuteClose> closed;
  std::vector<sh_market_event> ev = {
      trade(1, kT0 + 10 * kSec, 100.0, 1.0),  trade(2, kT0 + 10 * kSec, 100.0, 1.0),
      trade(3, kT0 + 10 * kSec, 100.0, 1.0),  quote(3, kT0 + 50 * kSec, 99.0, 101.0),
      trade(1, kT0 + 70 * kSec, 101.0, 1.0),  trade(2, kT0 + 70 * kSec, 99.0, 1.0),
      quote(3, kT0 + 118 * kSec, 99.5, 100.5)};  // symbol 3: no trade in minute 1
  c.on_events(ev.data(), ev.size(), sizeof(sh_market_event), closed);
  c.flush(closed);
  REQUIRE(closed.size() == 2);
  const MinuteClose& mc = closed[1];
  REQUIRE(mc.rows.size() == 3);
  CHECK(mc.context.breadth == Approx(1.0 / 3.0));  // symbol 3's mid return is 0
  CHECK(mc.context.leader == 2);                   // |ln 0.99| > |ln 1.01|
  CHECK(mc.context.benchmark_ret == Approx(std::log(0.99)));
  CHECK(mc.rows[0].rs_benchmark == Approx(std::log(1.01) - std::log(0.99)));
  CHECK(mc.rows[1].rs_benchmark == 0.0);
  CHECK(mc.rows[2].dq == SH_DQ_NO_TRADES);
  CHECK(std::isnan(closed[0].context.benchmark_ret));  // no returns yet in minute 0
  CHECK(std::isnan(closed[0].context.breadth));
}
