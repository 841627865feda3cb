// bench_features: the cost of configured feature columns at the minute close
// (config `features:`). Build Release; run on an idle core:
//
//   bench_features [closes=500] [rounds=5]
//
// Two conveyors in the same run, fed the same events: today's default set
// (5 columns: mom_20, rv_5, rsi_14, atr_14, ema_20) and a set of 20
// configured indicators (the default five plus sma, ema, sd, bbands, macd,
// min/max, vwap_dev over close, volume, log_ret and spread). 1,000 symbols,
// one quote and one trade per symbol per minute; after 520 warm minutes
// (baselines and every window full) each of `closes` minute closes is timed
// (thread CPU time), alternating between the two conveyors minute by minute
// so both see the same machine. Prints p50/p99 per round and the median of
// the rounds' p50s.
#include <strategy_host/abi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "bench_events.h"
#include "conveyor/conveyor.h"
#include "conveyor/feature_set.h"

using namespace sh::host;

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kT0 = 28'000'000 * kMin;
constexpr uint32_t kSymbols = 1000;

using sh_bench::Lcg;
using sh_bench::make_event;

void fill_minute(std::vector<sh_market_event>& out, int64_t m_start, Lcg& rng, std::vector<double>& px) {
  out.clear();
  for (uint32_t s = 1; s <= kSymbols; ++s) {
    px[s] *= 1.0 + (rng.next() - 0.5) * 2e-3;
    const double half = px[s] * (1.0 + std::floor(rng.next() * 3)) * 1e-4;
    sh_market_event q = make_event(SH_EVENT_QUOTE, s, m_start + 2 * kSec + s * 1000);
    q.data.quote = sh_quote{px[s] - half, 1.0, px[s] + half, 1.0};
    out.push_back(q);
    sh_market_event t = make_event(SH_EVENT_TRADE, s, m_start + 3 * kSec + s * 1000);
    t.data.trade.price = px[s];
    t.data.trade.size = 1.0 + std::floor(rng.next() * 50);
    out.push_back(t);
  }
}

FeatureSpec spec(const char* name, IndicatorKind kind, FeatureInput input, uint32_t window,
                 FeatureOutput output = FeatureOutput::kValue) {
  FeatureSpec s;
  s.name = name;
  s.kind = kind;
  s.input = input;
  s.window = window;
  s.output = output;
  if (kind == IndicatorKind::kMacd && output == FeatureOutput::kValue) s.output = FeatureOutput::kMacd;
  return s;
}

std::shared_ptr<const FeatureSet> twenty() {
  using K = IndicatorKind;
  using I = FeatureInput;
  std::vector<FeatureSpec> v = FeatureSet::default_set()->specs();
  v.push_back(spec("sma_20", K::kSma, I::kClose, 20));
  v.push_back(spec("sma_60", K::kSma, I::kClose, 60));
  v.push_back(spec("sma_vol_30", K::kSma, I::kVolume, 30));
  v.push_back(spec("ema_50", K::kEma, I::kClose, 50));
  v.push_back(spec("sd_20", K::kSd, I::kClose, 20));
  v.push_back(spec("rv_60", K::kSd, I::kLogRet, 60));
  v.push_back(spec("sd_spread_30", K::kSd, I::kSpreadBps, 30));
  v.push_back(spec("bb_upper", K::kBbands, I::kClose, 20, FeatureOutput::kUpper));
  v.push_back(spec("bb_lower", K::kBbands, I::kClose, 20, FeatureOutput::kLower));
  v.push_back(spec("bb_pctb", K::kBbands, I::kClose, 20, FeatureOutput::kPctB));
  v.push_back(spec("macd", K::kMacd, I::kClose, 0, FeatureOutput::kMacd));
  v.push_back(spec("macd_hist", K::kMacd, I::kClose, 0, FeatureOutput::kHist));
  v.push_back(spec("min_60", K::kMin, I::kLow, 60));
  v.push_back(spec("max_60", K::kMax, I::kHigh, 60));
  v.push_back(spec("vwap_dev_30", K::kVwapDev, I::kClose, 30));
  for (const FeatureSpec& s : v) {
    const std::string why = validate_feature_spec(s);
    if (!why.empty()) {
      std::fprintf(stderr, "bench_features: %s: %s\n", s.name.c_str(), why.c_str());
      std::exit(2);
    }
  }
  return std::make_shared<const FeatureSet>(v);
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  const int measured = argc > 1 ? std::atoi(argv[1]) : 500;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  constexpr int kWarm = 520;
  const auto big = twenty();
  std::printf("bench_features: %u symbols, %d warm minutes, %d timed closes per round, %d rounds\n",
              kSymbols, kWarm, measured, rounds);
  std::printf("  default set: %zu columns; configured set: %zu columns\n",
              FeatureSet::default_set()->size(), big->size());
  std::vector<double> p50_default, p50_big;
  for (int round = 0; round < rounds; ++round) {
    ConveyorConfig a_cfg, b_cfg;
    b_cfg.features = big;
    Conveyor a(a_cfg), b(b_cfg);
    std::vector<MinuteClose> closed;
    std::vector<sh_market_event> batch;
    std::vector<double> px(kSymbols + 1, 100.0);
    Lcg rng{7u + static_cast<uint64_t>(round)};
    std::vector<double> us_a, us_b;
    size_t rows_a = 0, rows_b = 0;
    double sink = 0;
    for (int m = 0; m < kWarm + measured; ++m) {
      const int64_t start = kT0 + m * kMin;
      sh_market_event trig = make_event(SH_EVENT_TRADE, 1, start + 1'500'000'000);
      trig.data.trade.price = px[1];
      trig.data.trade.size = 1.0;
      // Alternate which conveyor closes first, so neither always gets the warmer cache.
      for (int k = 0; k < 2; ++k) {
        Conveyor& c = (k == (m & 1)) ? a : b;
        const double t0 = now_s();
        c.on_events(&trig, 1, sizeof trig, closed);
        const double us = (now_s() - t0) * 1e6;
        if (m >= kWarm && !closed.empty()) {
          (&c == &a ? us_a : us_b).push_back(us);
          (&c == &a ? rows_a : rows_b) = closed.back().rows.size();
          sink += closed.back().columns.empty() ? 0.0 : closed.back().columns.back();
        }
        c.recycle(closed);
      }
      fill_minute(batch, start, rng, px);
      a.on_events(batch.data(), batch.size(), sizeof(sh_market_event), closed);
      b.on_events(batch.data(), batch.size(), sizeof(sh_market_event), closed);
      if (!closed.empty()) std::printf("  unexpected close inside a minute's batch\n");
    }
    p50_default.push_back(pct(us_a, 0.5));
    p50_big.push_back(pct(us_b, 0.5));
    std::printf("  round %d: default (5)  p50 %7.1f us  p99 %7.1f us (%zu rows) | 20 columns p50 %7.1f us  "
                "p99 %7.1f us (%zu rows)  ratio %.2f%s\n",
                round + 1, pct(us_a, 0.5), pct(us_a, 0.99), rows_a, pct(us_b, 0.5), pct(us_b, 0.99), rows_b,
                pct(us_b, 0.5) / pct(us_a, 0.5), std::isnan(sink) ? "" : "");
  }
  const double da = pct(p50_default, 0.5), db = pct(p50_big, 0.5);
  std::printf("median of rounds: default set p50 %.1f us (%.0f ns/row); 20 configured columns p50 %.1f us "
              "(%.0f ns/row); ratio %.2f\n",
              da, da * 1e3 / kSymbols, db, db * 1e3 / kSymbols, db / da);
  return 0;
}
