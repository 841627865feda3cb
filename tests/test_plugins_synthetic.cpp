// [plugins] The synthetic provider through the C ABI: deterministic per seed,
// exact counts and rate, every event type valid, and regimes and spikes that
// show up in the data over a long run.
#include <catch2/catch.hpp>

#include "test_plugins_support.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr int64_t kNsPerMinute = 60'000'000'000LL;
constexpr int64_t kJan2Ns = 1'704'153'600'000'000'000LL;

struct Collector {
  std::vector<sh_market_event> events;
  uint32_t calls = 0;
  bool refuse_next = false;
  sh_event_sink sink{};
  Collector() {
    sink.struct_size = sizeof(sink);
    sink.sink_ctx = this;
    sink.emit = [](void* ctx, const sh_market_event* ev, uint32_t n, uint32_t item_size) {
      auto* self = static_cast<Collector*>(ctx);
      if (self->refuse_next) {
        self->refuse_next = false;
        return sh_status(SH_ERR_HOST);
      }
      ++self->calls;
      const auto* p = reinterpret_cast<const unsigned char*>(ev);
      for (uint32_t i = 0; i < n; ++i) {
        sh_market_event e;
        std::memcpy(&e, p + size_t(i) * item_size, sizeof e);
        self->events.push_back(e);
      }
      return sh_status(SH_OK);
    };
  }
};

struct Run {
  std::vector<sh_market_event> events;
  uint32_t polls = 0;
  uint32_t sink_calls = 0;
};

// Polls a fresh instance until SH_END_OF_DATA (or a poll limit).
Run run(sh_test::TestHost& host, const std::string& config, uint32_t max_events = 4096) {
  sh_test::LoadedPlugin p(sh_test::plugin_path("synthetic"));
  sh_test::Instance inst(p, host, config);
  REQUIRE(inst.create_rc() == SH_OK);
  Collector c;
  Run r;
  for (;;) {
    const sh_status rc = p.desc().provider->poll(inst.get(), &c.sink, max_events);
    ++r.polls;
    REQUIRE((rc == SH_OK || rc == SH_END_OF_DATA));
    if (rc == SH_END_OF_DATA || r.polls > 1'000'000) break;
  }
  r.events = std::move(c.events);
  r.sink_calls = c.calls;
  return r;
}

bool same_bytes(const std::vector<sh_market_event>& a, const std::vector<sh_market_event>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(sh_market_event)) == 0;
}

// Per symbol and minute: last trade price, traded volume, widest quoted spread
// (bps) and the sum of squared log changes of the quote mid.
struct MinuteStats {
  double last_trade = 0, volume = 0, max_spread_bps = 0, mid_var = 0, last_mid = 0;
};
using Minutes = std::map<sh_symbol_id, std::map<int64_t, MinuteStats>>;

Minutes minute_stats(const std::vector<sh_market_event>& events) {
  Minutes m;
  std::map<sh_symbol_id, double> last_mid;
  for (const auto& e : events) {
    MinuteStats& s = m[e.symbol][e.ts_ns / kNsPerMinute];
    if (e.type == SH_EVENT_TRADE) {
      s.last_trade = e.data.trade.price;
      s.volume += e.data.trade.size;
    } else if (e.type == SH_EVENT_QUOTE) {
      const double mid = 0.5 * (e.data.quote.bid + e.data.quote.ask);
      s.max_spread_bps = std::max(s.max_spread_bps, (e.data.quote.ask - e.data.quote.bid) / mid * 1e4);
      double& prev = last_mid[e.symbol];
      if (prev > 0) s.mid_var += std::pow(std::log(mid / prev), 2);
      prev = mid;
    }
  }
  return m;
}

double quantile(std::vector<double> v, double q) {
  REQUIRE_FALSE(v.empty());
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

// Minute-to-minute |log return| of the last trade, in bps, over all symbols;
// the first and last (partial) minutes of each symbol are left out.
std::vector<double> abs_minute_returns_bps(const Minutes& m) {
  std::vector<double> out;
  for (const auto& sym : m) {
    double prev = 0;
    size_t i = 0;
    for (const auto& kv : sym.second) {
      const double px = kv.second.last_trade;
      if (i++ > 0 && i < sym.second.size() && prev > 0 && px > 0)
        out.push_back(std::fabs(std::log(px / prev)) * 1e4);
      if (px > 0) prev = px;
    }
  }
  return out;
}

template <typename F>
std::vector<double> per_minute(const Minutes& m, F f) {
  std::vector<double> out;
  for (const auto& sym : m) {
    size_t i = 0;
    for (const auto& kv : sym.second) {
      if (i++ > 0 && i < sym.second.size()) out.push_back(f(kv.second));  // full minutes only
    }
  }
  return out;
}

const char* kQuiet =
    R"("regime_switch_prob": 0, "volume_spike_prob": 0, "return_jump_prob": 0,
       "spread_blowout_prob": 0)";

}  // namespace

TEST_CASE("synthetic is deterministic per seed and differs across seeds", "[plugins]") {
  const std::string base = R"({"symbol_count": 5, "events": 50000, "seed": )";
  sh_test::TestHost h1, h2, h3;
  const Run a = run(h1, base + "7}");
  const Run b = run(h2, base + "7}", 1000);  // a different batching must not matter
  const Run c = run(h3, base + "8}");
  REQUIRE(a.events.size() == 50000);
  CHECK(same_bytes(a.events, b.events));
  CHECK_FALSE(same_bytes(a.events, c.events));
}

TEST_CASE("synthetic emits exactly `events` at the configured event-time rate", "[plugins]") {
  sh_test::TestHost host;
  const Run r = run(host, R"({"symbol_count": 3, "events": 120000, "events_per_second": 2000})",
                    4000);
  REQUIRE(r.events.size() == 120000);
  CHECK(r.events.front().ts_ns >= kJan2Ns);  // default start: 2024-01-02T00:00:00Z
  CHECK(r.events.front().ts_ns < kJan2Ns + 10'000'000);
  const double span_s = (r.events.back().ts_ns - r.events.front().ts_ns) * 1e-9;
  CHECK(span_s == Approx(60.0).epsilon(0.03));  // 120000 events / 2000 per s
  CHECK(r.sink_calls == 30);                   // one sink call per poll of 4000
}

TEST_CASE("synthetic with duration_s stops at the end of the span", "[plugins]") {
  sh_test::TestHost host;
  const Run r = run(host, R"({"symbol_count": 4, "duration_s": 30, "events_per_second": 5000,
                               "start_ts_ns": 1000000000000})");
  const int64_t start = 1'000'000'000'000LL;
  REQUIRE_FALSE(r.events.empty());
  CHECK(r.events.back().ts_ns < start + 30'000'000'000LL);
  CHECK(r.events.back().ts_ns > start + 29'000'000'000LL);
  CHECK(static_cast<double>(r.events.size()) == Approx(150000.0).epsilon(0.03));
}

TEST_CASE("synthetic emits valid trades, quotes and L2 snapshots in shares", "[plugins]") {
  sh_test::TestHost host;
  const Run r = run(host, R"({"symbols": ["BTC", "ETH", "SOL"], "events": 200000,
                               "trade_share": 0.5, "quote_share": 0.3, "l2_share": 0.2,
                               "l2_levels": 4, "recv_lag_us": 100})");
  REQUIRE(r.events.size() == 200000);
  const std::set<sh_symbol_id> known = {host.intern("BTC"), host.intern("ETH"), host.intern("SOL")};
  CHECK(host.symbol_count() == 3);  // interned at create, nothing else

  std::map<sh_event_type, size_t> by_type;
  std::set<sh_symbol_id> seen;
  uint64_t last_trade_id = 0;
  int64_t last_ts = 0;
  for (size_t i = 0; i < r.events.size(); ++i) {
    const auto& e = r.events[i];
    REQUIRE(e.struct_size == sizeof(sh_market_event));
    REQUIRE(known.count(e.symbol) == 1);
    REQUIRE(e.ts_ns >= last_ts);
    REQUIRE(e.recv_ts_ns - e.ts_ns >= 50'000);   // lag 100 us x [0.5, 1.5]
    REQUIRE(e.recv_ts_ns - e.ts_ns <= 150'000);
    last_ts = e.ts_ns;
    seen.insert(e.symbol);
    ++by_type[e.type];
    if (e.type == SH_EVENT_TRADE) {
      REQUIRE(e.data.trade.price > 0);
      REQUIRE(e.data.trade.size > 0);
      REQUIRE((e.data.trade.side == SH_SIDE_BUY || e.data.trade.side == SH_SIDE_SELL));
      REQUIRE(e.data.trade.trade_id > last_trade_id);
      last_trade_id = e.data.trade.trade_id;
    } else if (e.type == SH_EVENT_QUOTE) {
      REQUIRE(e.data.quote.bid > 0);
      REQUIRE(e.data.quote.bid < e.data.quote.ask);
      REQUIRE(e.data.quote.bid_size > 0);
      REQUIRE(e.data.quote.ask_size > 0);
    } else {
      REQUIRE(e.type == SH_EVENT_L2);
      REQUIRE((e.flags & SH_EVENT_FLAG_SNAPSHOT) != 0);
      // A snapshot: 4 bid levels then 4 ask levels, one symbol, one ts_ns.
      REQUIRE(i + 8 <= r.events.size());
      for (uint32_t k = 0; k < 8; ++k) {
        const auto& l = r.events[i + k];
        REQUIRE(l.type == SH_EVENT_L2);
        REQUIRE(l.symbol == e.symbol);
        REQUIRE(l.ts_ns == e.ts_ns);
        REQUIRE(l.data.l2.level == k % 4);
        REQUIRE(l.data.l2.side == (k < 4 ? SH_SIDE_BUY : SH_SIDE_SELL));
        REQUIRE(l.data.l2.price > 0);
        REQUIRE(l.data.l2.size > 0);
        if (k > 0) REQUIRE((l.flags & SH_EVENT_FLAG_SNAPSHOT) == 0);
        if (k % 4 > 0) {  // prices move away from the top of book
          const double prev = r.events[i + k - 1].data.l2.price;
          REQUIRE((k < 4 ? l.data.l2.price < prev : l.data.l2.price > prev));
        }
      }
      REQUIRE(r.events[i + 3].data.l2.price < r.events[i + 4].data.l2.price);  // bid < ask
      by_type[SH_EVENT_L2] += 7;
      i += 7;
    }
  }
  CHECK(seen == known);
  CHECK(by_type[SH_EVENT_TRADE] / 200000.0 == Approx(0.5).margin(0.02));
  CHECK(by_type[SH_EVENT_QUOTE] / 200000.0 == Approx(0.3).margin(0.02));
  CHECK(by_type[SH_EVENT_L2] / 200000.0 == Approx(0.2).margin(0.02));
}

TEST_CASE("synthetic names generated symbols SYM0001.. and refuses bad configs", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("synthetic"));
  {
    sh_test::Instance inst(p, host, R"({"symbol_count": 12, "events": 10})");
    REQUIRE(inst.create_rc() == SH_OK);
    CHECK(host.symbol_count() == 12);
    CHECK(host.name(1) == "SYM0001");
    CHECK(host.name(12) == "SYM0012");
  }
  for (const char* bad :
       {R"({"symbol_count": 0})", R"({"symbols": []})", R"({"symbols": ["A", "A"]})",
        R"({"symbols": ["A"], "symbol_count": 2})", R"({"events_per_second": 0})",
        R"({"trade_share": 0, "quote_share": 0, "l2_share": 0})", R"({"l2_levels": 0})",
        R"({"seed": -1})", R"({"regime_switch_prob": 1.5})", R"({"evnts": 10})"}) {
    INFO(bad);
    sh_test::Instance inst(p, host, bad);
    CHECK(inst.create_rc() == SH_ERR_CONFIG);
    CHECK_FALSE(inst.last_error().empty());
  }
}

TEST_CASE("synthetic re-offers a batch the host refused", "[plugins]") {
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("synthetic"));
  const std::string cfg = R"({"symbol_count": 2, "events": 3000})";
  sh_test::Instance inst(p, host, cfg);
  Collector c;
  REQUIRE(p.desc().provider->poll(inst.get(), &c.sink, 1000) == SH_OK);
  c.refuse_next = true;
  CHECK(p.desc().provider->poll(inst.get(), &c.sink, 1000) == SH_WOULD_BLOCK);
  CHECK(p.desc().provider->poll(inst.get(), &c.sink, 1000) == SH_OK);
  CHECK(p.desc().provider->poll(inst.get(), &c.sink, 1000) == SH_END_OF_DATA);
  CHECK(p.desc().provider->poll(inst.get(), &c.sink, 1000) == SH_END_OF_DATA);
  sh_test::TestHost other;
  const Run clean = run(other, cfg, 1000);
  CHECK(same_bytes(c.events, clean.events));  // nothing lost, nothing doubled
}

TEST_CASE("synthetic produces return jumps, volume spikes, blow-outs and regimes", "[plugins]") {
  // 4 symbols x 240 minutes, ~600 trades per symbol-minute.
  const std::string common = R"("symbol_count": 4, "duration_s": 14400, "events_per_second": 80,
      "trade_share": 0.6, "quote_share": 0.4, "l2_share": 0, "volatility_bps": 5,
      "spread_bps": 2, "regime_vol_mults": [1, 4], )";
  sh_test::TestHost quiet_host, spiky_host;
  const Run quiet = run(quiet_host, "{" + common + kQuiet + "}");
  const Run spiky = run(spiky_host, "{" + common + R"("regime_switch_prob": 0.05,
      "volume_spike_prob": 0.03, "volume_spike_mult": 10, "return_jump_prob": 0.03,
      "return_jump_bps": 150, "spread_blowout_prob": 0.03, "spread_blowout_mult": 15})");

  const Minutes q = minute_stats(quiet.events);
  const Minutes s = minute_stats(spiky.events);

  // Return jumps: 150+ bps minutes against a 5 bps per-minute std.
  const auto q_ret = abs_minute_returns_bps(q);
  const auto s_ret = abs_minute_returns_bps(s);
  CHECK(*std::max_element(q_ret.begin(), q_ret.end()) < 60);
  CHECK(std::count_if(s_ret.begin(), s_ret.end(), [](double b) { return b > 100; }) >= 5);
  CHECK(spiky_host.counter("return_jumps") > 0);
  CHECK(quiet_host.counter("return_jumps") == 0);

  // Volume spikes: minutes far above the median minute volume.
  auto vol = [](const MinuteStats& m) { return m.volume; };
  auto spikes = [&](const Minutes& m) {
    auto v = per_minute(m, vol);
    const double med = quantile(v, 0.5);
    return std::count_if(v.begin(), v.end(), [&](double x) { return x > 4 * med; });
  };
  CHECK(spikes(q) == 0);
  CHECK(spikes(s) >= 5);
  CHECK(spiky_host.counter("volume_spikes") > 0);

  // Spread blow-outs: spreads several times the base 2 bps.
  auto wide = [](const Minutes& m) {
    auto v = per_minute(m, [](const MinuteStats& x) { return x.max_spread_bps; });
    return std::count_if(v.begin(), v.end(), [](double b) { return b > 15; });
  };
  CHECK(wide(q) == 0);
  CHECK(wide(s) >= 5);
  CHECK(spiky_host.counter("spread_blowouts") > 0);

  // Regimes: with a x4 volatility regime the spread of minute realised
  // variance (90th / 10th percentile) is far wider than in a single regime.
  auto spread_of_var = [](const Minutes& m) {
    auto v = per_minute(m, [](const MinuteStats& x) { return x.mid_var; });
    return quantile(v, 0.9) / quantile(v, 0.1);
  };
  CHECK(spread_of_var(q) < 3);
  CHECK(spread_of_var(s) > 5);
  CHECK(spiky_host.counter("regime_switches") > 0);
}

TEST_CASE("synthetic with speed paces events as a live feed delivers them, the same events as unpaced", "[plugins]") {
  // 3 s of event time at 10x real time: 0.3 s of wall time; an event is
  // emitted only once wall time x speed has reached its event time.
  const std::string cfg = R"({"symbol_count": 3, "duration_s": 3, "events_per_second": 2000,
                              "start_ts_ns": 1000000000000, "seed": 5)";
  const int64_t start = 1'000'000'000'000LL;
  sh_test::TestHost host;
  sh_test::LoadedPlugin p(sh_test::plugin_path("synthetic"));
  sh_test::Instance inst(p, host, cfg + R"(, "speed": 10})");
  REQUIRE(inst.create_rc() == SH_OK);
  Collector c;
  const auto t0 = std::chrono::steady_clock::now();
  uint32_t quiet = 0;
  int64_t worst_ahead_ns = INT64_MIN;
  for (;;) {
    const size_t before = c.events.size();
    const sh_status rc = p.desc().provider->poll(inst.get(), &c.sink, 4096);
    const double wall_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    for (size_t i = before; i < c.events.size(); ++i) {
      // event time past what 10x the wall time so far allows (<= 0: on time)
      worst_ahead_ns = std::max(worst_ahead_ns, (c.events[i].ts_ns - start) - static_cast<int64_t>(wall_ns * 10));
    }
    if (rc == SH_END_OF_DATA) break;
    REQUIRE((rc == SH_OK || rc == SH_WOULD_BLOCK));
    if (rc == SH_WOULD_BLOCK) {
      ++quiet;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(wall_s >= 0.28);
  CHECK(wall_s < 3.0);
  CHECK(quiet > 10);             // it said "nothing due yet" between bursts
  CHECK(worst_ahead_ns <= 0);    // nothing ahead of its time
  sh_test::TestHost other;
  const Run unpaced = run(other, cfg + "}");
  CHECK(same_bytes(c.events, unpaced.events));
  sh_test::TestHost bad;
  sh_test::Instance neg(p, bad, cfg + R"(, "speed": -1})");
  CHECK(neg.create_rc() != SH_OK);
}
