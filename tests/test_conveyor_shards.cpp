// conveyor.shards: N threads doing the per-symbol work must close exactly
// the minutes one thread closes: same rows (bit for bit), columns, context,
// stalest symbol and stats, whatever the events and the batch sizes.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_conveyor_support.h"

using namespace sh_test;

namespace {

// A hostile, realistic mix: 40 symbols, trades, quotes, L2 (snapshots and
// deletes), arrived bars, events behind the watermark (late), malformed ones,
// feed gaps, receive times, and silences the receive clock must fill.
std::vector<sh_market_event> mixed_stream(uint32_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<sh_market_event> out;
  out.reserve(n);
  int64_t now = 1'700'000'000 * kSec;
  for (size_t i = 0; i < n; ++i) {
    now += static_cast<int64_t>(u(rng) * 40 * kMs);
    if (u(rng) < 0.0005) now += 3 * kMin;  // a silence
    const auto sym = static_cast<sh_symbol_id>(1 + rng() % 40);
    int64_t ts = now;
    if (u(rng) < 0.03) ts -= static_cast<int64_t>(u(rng) * 150 * kSec);  // late, often
    const double px = 100.0 + 10.0 * u(rng) + sym;
    sh_market_event e;
    const double kind = u(rng);
    if (kind < 0.55) {
      e = trade(sym, ts, px, 0.1 + u(rng), now + static_cast<int64_t>(u(rng) * 5 * kMs));
    } else if (kind < 0.75) {
      e = quote(sym, ts, px - 0.05, px + 0.05);
    } else if (kind < 0.95) {
      const uint32_t level = static_cast<uint32_t>(rng() % 12);
      const double size = u(rng) < 0.1 ? 0.0 : 1.0 + u(rng);
      const bool bid = (rng() & 1) != 0;
      e = l2(sym, ts, bid ? SH_SIDE_BUY : SH_SIDE_SELL, level,
             bid ? px - 0.01 * (level + 1) : px + 0.01 * (level + 1), size,
             u(rng) < 0.05 ? SH_EVENT_FLAG_SNAPSHOT : 0u);
    } else {
      e = bar(sym, ts - ts % kMin - kMin, kMin, px, px + 1, px - 1, px + 0.5, 3 * u(rng));
    }
    if (u(rng) < 0.005) e.flags |= SH_EVENT_FLAG_GAP;
    if (u(rng) < 0.003) e.data.trade.price = -1.0;  // malformed (or an odd L2 level)
    if (u(rng) < 0.001) e.symbol = SH_INVALID_SYMBOL;
    out.push_back(e);
  }
  return out;
}

struct Run {
  std::vector<MinuteClose> closed;
  sh::host::ConveyorStats stats;
  size_t state_bytes = 0;
};

Run run(ConveyorConfig cfg, uint32_t shards, const std::vector<sh_market_event>& events,
        uint32_t batch_seed) {
  cfg.shards = shards;
  Conveyor conveyor(cfg);
  Run r;
  std::mt19937 rng(batch_seed);
  size_t i = 0;
  while (i < events.size()) {
    const size_t n = std::min<size_t>(events.size() - i, 1 + rng() % 3000);
    conveyor.on_events(events.data() + i, n, sizeof(sh_market_event), r.closed);
    i += n;
    // Live: the provider's clock, a little ahead of the last event received.
    if (cfg.receive_clock) conveyor.on_clock(events[i - 1].recv_ts_ns + 2 * kSec, r.closed);
  }
  conveyor.flush(r.closed);
  r.stats = conveyor.stats();
  r.state_bytes = conveyor.symbol_state_bytes(7);
  return r;
}

void require_same(const Run& a, const Run& b) {
  REQUIRE(a.closed.size() == b.closed.size());
  for (size_t m = 0; m < a.closed.size(); ++m) {
    const MinuteClose& x = a.closed[m];
    const MinuteClose& y = b.closed[m];
    INFO("close " << m << " of minute " << x.minute_ts_ns);
    REQUIRE(x.minute_ts_ns == y.minute_ts_ns);
    REQUIRE(x.rows.size() == y.rows.size());
    CHECK(std::memcmp(x.rows.data(), y.rows.data(), x.rows.size() * sizeof(sh_feature_row)) == 0);
    REQUIRE(x.columns.size() == y.columns.size());
    CHECK(std::memcmp(x.columns.data(), y.columns.data(), x.columns.size() * sizeof(double)) == 0);
    CHECK(std::memcmp(&x.context, &y.context, sizeof x.context) == 0);
    CHECK(x.stalest_event_ns == y.stalest_event_ns);
    CHECK(x.stalest_symbol == y.stalest_symbol);
  }
  CHECK(a.stats.events_in == b.stats.events_in);
  CHECK(a.stats.rejected_events == b.stats.rejected_events);
  CHECK(a.stats.late_events == b.stats.late_events);
  CHECK(a.stats.late_folded == b.stats.late_folded);
  CHECK(a.stats.late_reported == b.stats.late_reported);
  CHECK(a.stats.bars_closed == b.stats.bars_closed);
  CHECK(a.stats.clock_closed == b.stats.clock_closed);
  CHECK(a.stats.rows_emitted == b.stats.rows_emitted);
  CHECK(a.stats.feed_gaps == b.stats.feed_gaps);
  CHECK(a.stats.late_by_symbol == b.stats.late_by_symbol);
  CHECK(a.state_bytes == b.state_bytes);
}

}  // namespace

TEST_CASE("conveyor shards: 2, 3 and 7 threads close the same minutes as one, bit for bit",
          "[conveyor][shards]") {
  const std::vector<sh_market_event> events = mixed_stream(11, 60'000);
  ConveyorConfig cfg;
  cfg.lateness_ns = 2 * kSec;
  const Run one = run(cfg, 1, events, 1);
  // The stream is worth comparing: many closes, rows, late and bad events.
  REQUIRE(one.closed.size() > 30);
  REQUIRE(one.stats.rows_emitted > 600);
  REQUIRE(one.stats.late_folded > 100);
  REQUIRE(one.stats.rejected_events > 50);
  REQUIRE(one.state_bytes > 0);
  for (const uint32_t shards : {2u, 3u, 7u}) {
    SECTION("shards: " + std::to_string(shards)) { require_same(one, run(cfg, shards, events, shards)); }
  }
}

TEST_CASE("conveyor shards: live receive clock (silences filled from the books) and late_policy report agree across shard counts",
          "[conveyor][shards]") {
  const std::vector<sh_market_event> events = mixed_stream(29, 40'000);
  ConveyorConfig cfg;
  cfg.lateness_ns = 1 * kSec;
  cfg.receive_clock = true;
  cfg.late_policy = ConveyorConfig::LatePolicy::Report;
  const Run one = run(cfg, 1, events, 5);
  REQUIRE(one.stats.clock_closed > 0);
  REQUIRE(one.stats.late_reported > 50);
  require_same(one, run(cfg, 4, events, 5));  // the same batches: the clock moves after each
}

TEST_CASE("conveyor shards: a count outside 1..64 is refused", "[conveyor][shards]") {
  ConveyorConfig cfg;
  cfg.shards = 0;
  CHECK(Conveyor::validate(cfg) == "shards must be in 1..64");
  cfg.shards = 65;
  CHECK_THROWS_AS(Conveyor(cfg), std::invalid_argument);
  cfg.shards = 64;
  CHECK(Conveyor::validate(cfg).empty());
}
