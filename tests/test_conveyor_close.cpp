// [conveyor] Minute close, late events, book-derived fields, arrived bars,
// DQ rules and determinism of the market-data conveyor.
#include <strategy_host/abi.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "conveyor/conveyor.h"
#include "test_conveyor_support.h"

using sh::host::Conveyor;
using sh::host::ConveyorConfig;
using sh::host::MinuteClose;

using namespace sh_test;

TEST_CASE("a minute closes when the watermark passes its end, not before", "[conveyor]") {
  Feed f;  // 60 s interval, 1.5 s lateness
  f.push(trade(1, 10 * kSec, 100.0, 1.0));
  f.push(trade(1, 50 * kSec, 102.0, 2.0));
  f.push(trade(1, 61 * kSec, 101.0, 1.0));  // watermark 59.5 s: minute 0 still open
  CHECK(f.closed.empty());
  CHECK(f.conveyor.watermark_ns() == 61 * kSec - 1500 * kMs);

  // An event inside the lateness window still lands in minute 0.
  f.push(trade(1, 59 * kSec + 900 * kMs, 99.0, 1.0));
  CHECK(f.closed.empty());

  f.push(trade(1, 61 * kSec + 499 * kMs, 101.0, 1.0));  // watermark 59.999 s
  CHECK(f.closed.empty());
  f.push(trade(1, 61 * kSec + 500 * kMs, 101.0, 1.0));  // watermark 60.000 s
  REQUIRE(f.closed.size() == 1);
  const MinuteClose& mc = f.closed[0];
  CHECK(mc.minute_ts_ns == 0);
  REQUIRE(mc.rows.size() == 1);
  const sh_feature_row& r = mc.rows[0];
  CHECK(r.struct_size == sizeof(sh_feature_row));
  CHECK(r.symbol == 1);
  CHECK(r.minute_ts_ns == 0);
  CHECK(r.open == 100.0);
  CHECK(r.high == 102.0);
  CHECK(r.low == 99.0);
  CHECK(r.close == 99.0);  // the trade with the latest ts, although it arrived last but one
  CHECK(r.volume == 4.0);  // the 61 s trade belongs to minute 1
  CHECK(r.trade_count == 3.0);
  CHECK(r.vwap == Approx((100.0 + 204.0 + 99.0) / 4.0));
  CHECK(r.dq == SH_DQ_OK);
  CHECK(std::isnan(r.log_ret));
  CHECK(std::isnan(r.spread_bps));  // trades-only symbol: no book fields
  CHECK(std::isnan(r.book_staleness_ms));
  CHECK(mc.context.minute_ts_ns == 0);
  CHECK(mc.context.symbol_count == 1);
}

TEST_CASE("lateness is configurable and several minutes close oldest first", "[conveyor]") {
  ConveyorConfig cfg;
  cfg.lateness_ns = 0;
  Feed f(cfg);
  f.push(trade(1, 5 * kSec, 10.0, 1.0));
  f.push(trade(2, 65 * kSec, 20.0, 1.0));
  f.push(trade(1, 125 * kSec, 11.0, 1.0));
  REQUIRE(f.closed.size() == 2);
  CHECK(f.closed[0].minute_ts_ns == 0);
  CHECK(f.closed[1].minute_ts_ns == kMin);
  f.closed.clear();

  // Minutes with no event at all are not closed, and the jump closes the
  // open one only.
  f.push(trade(1, 10 * kMin + kSec, 12.0, 1.0));
  REQUIRE(f.closed.size() == 1);
  CHECK(f.closed[0].minute_ts_ns == 2 * kMin);

  f.closed.clear();
  f.conveyor.flush(f.closed);
  REQUIRE(f.closed.size() == 1);
  CHECK(f.closed[0].minute_ts_ns == 10 * kMin);
  CHECK(f.conveyor.stats().bars_closed == 4);
}

TEST_CASE("late trades are folded into the next row and counted per symbol", "[conveyor]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 100.0, 1.0));
  f.push(trade(2, 61 * kSec + 500 * kMs, 50.0, 1.0));  // closes minute 0
  REQUIRE(f.closed.size() == 1);

  f.push(trade(1, 30 * kSec, 200.0, 5.0));  // minute 0 is closed: late
  CHECK(f.conveyor.stats().late_events == 1);
  CHECK(f.conveyor.late_events(1) == 1);
  CHECK(f.conveyor.late_events(2) == 0);

  f.push(trade(1, 70 * kSec, 100.0, 1.0));
  f.push(trade(2, 121 * kSec + 500 * kMs, 50.0, 1.0));  // closes minute 1
  const sh_feature_row* r = f.row(kMin, 1);
  REQUIRE(r != nullptr);
  CHECK(r->dq == SH_DQ_LATE);
  CHECK(r->late_events == 1);
  CHECK(r->volume == 6.0);
  CHECK(r->trade_count == 2.0);
  CHECK(r->vwap == Approx((100.0 + 1000.0) / 6.0));
  // OHLC only from the interval's own trades.
  CHECK(r->open == 100.0);
  CHECK(r->high == 100.0);
  CHECK(r->close == 100.0);

  const sh_feature_row* r2 = f.row(kMin, 2);
  REQUIRE(r2 != nullptr);
  CHECK(r2->late_events == 0);
  CHECK(r2->dq == SH_DQ_OK);

  CHECK(f.conveyor.stats().late_folded == 1);
  CHECK(f.conveyor.stats().late_reported == 0);
}

TEST_CASE("with LatePolicy::Report late events are counted but change nothing", "[conveyor]") {
  ConveyorConfig cfg;
  cfg.late_policy = ConveyorConfig::LatePolicy::Report;
  Feed f(cfg);
  f.push(trade(1, 10 * kSec, 100.0, 1.0));
  f.push(trade(2, 61 * kSec + 500 * kMs, 50.0, 1.0));
  f.push(trade(1, 30 * kSec, 200.0, 5.0));  // late
  f.push(trade(1, 31 * kSec, 200.0, 5.0));  // late
  f.push(trade(1, 70 * kSec, 100.0, 1.0));
  f.push(trade(2, 121 * kSec + 500 * kMs, 50.0, 1.0));
  const sh_feature_row* r = f.row(kMin, 1);
  REQUIRE(r != nullptr);
  CHECK(r->dq == SH_DQ_OK);
  CHECK(r->late_events == 2);  // still visible on the row
  CHECK(r->volume == 1.0);
  CHECK(r->trade_count == 1.0);
  CHECK(f.conveyor.stats().late_events == 2);
  CHECK(f.conveyor.stats().late_reported == 2);
  CHECK(f.conveyor.stats().late_folded == 0);
  CHECK(f.conveyor.late_events(1) == 2);
}

TEST_CASE("an event in a minute that closed without it is late even if the minute had no events",
          "[conveyor]") {
  Feed f;
  f.push(trade(1, 5 * kMin, 10.0, 1.0));
  f.push(trade(1, 2 * kMin, 10.0, 1.0));  // watermark is 4:58.5, minute 2 is past
  CHECK(f.conveyor.late_events(1) == 1);
  f.conveyor.flush(f.closed);
  REQUIRE(f.closed.size() == 1);  // minute 2 was never opened
  CHECK(f.closed[0].minute_ts_ns == 5 * kMin);

  // After flush the flushed minute is sealed.
  f.push(trade(1, 5 * kMin + 10 * kSec, 10.0, 1.0));
  CHECK(f.conveyor.late_events(1) == 2);
}

TEST_CASE("a minute without trades closes from the BBO mid with dq no_trades", "[conveyor]") {
  Feed f;
  f.push(quote(1, 10 * kSec, 99.0, 101.0));
  f.push(trade(1, 20 * kSec, 100.0, 1.0));
  f.push(trade(3, 21 * kSec, 7.0, 1.0));       // trades-only symbol
  f.push(quote(1, 100 * kSec, 100.0, 102.0));  // minute 1: book only
  f.push(quote(1, 118 * kSec, 100.0, 102.0));
  f.push(trade(2, 110 * kSec, 50.0, 1.0));
  f.push(trade(2, 125 * kSec, 50.0, 1.0));  // closes minutes 0 and 1
  REQUIRE(f.closed.size() == 2);

  const sh_feature_row* r = f.row(kMin, 1);
  REQUIRE(r != nullptr);
  CHECK(r->dq == SH_DQ_NO_TRADES);
  CHECK(r->open == 101.0);
  CHECK(r->high == 101.0);
  CHECK(r->low == 101.0);
  CHECK(r->close == 101.0);
  CHECK(r->volume == 0.0);
  CHECK(r->trade_count == 0.0);
  CHECK(std::isnan(r->vwap));
  CHECK(r->spread_bps == Approx(2.0 / 101.0 * 1e4));
  CHECK(r->book_staleness_ms == Approx(2'000.0));
  CHECK(r->log_ret == Approx(std::log(101.0 / 100.0)));

  // Symbol 3 had no trades and has no book in minute 1: no row, not a fake one.
  CHECK(f.row(kMin, 3) == nullptr);
  CHECK(f.row(0, 3) != nullptr);
  CHECK(f.closed[1].rows.size() == 2);
}

TEST_CASE("book fields are taken as of the minute's end, not from the next minute", "[conveyor]") {
  Feed f;
  f.push(quote(1, 59 * kSec, 100.0, 101.0));
  f.push(quote(1, 60 * kSec + 500 * kMs, 200.0, 202.0));  // minute 1, before minute 0 closes
  f.push(trade(2, 61 * kSec + 500 * kMs, 1.0, 1.0));      // closes minute 0
  const sh_feature_row* r = f.row(0, 1);
  REQUIRE(r != nullptr);
  CHECK(r->close == 100.5);
  CHECK(r->spread_bps == Approx(1.0 / 100.5 * 1e4));
  CHECK(r->book_staleness_ms == Approx(1000.0));
  f.conveyor.flush(f.closed);
  const sh_feature_row* r1 = f.row(kMin, 1);
  REQUIRE(r1 != nullptr);
  CHECK(r1->close == 201.0);
}

TEST_CASE("l2_imbalance uses the top N levels, snapshots and size 0 reset levels", "[conveyor]") {
  ConveyorConfig cfg;
  cfg.l2_levels = 2;
  Feed f(cfg);
  f.push(l2(1, 1 * kSec, SH_SIDE_BUY, 0, 99.0, 3.0, SH_EVENT_FLAG_SNAPSHOT));
  f.push(l2(1, 1 * kSec, SH_SIDE_BUY, 1, 98.0, 2.0));
  f.push(l2(1, 1 * kSec, SH_SIDE_BUY, 2, 97.0, 100.0));  // beyond top 2: ignored
  f.push(l2(1, 1 * kSec, SH_SIDE_SELL, 0, 101.0, 1.0));
  f.push(trade(1, 58 * kSec, 100.0, 1.0));
  f.push(trade(1, 62 * kSec, 100.0, 1.0));  // closes minute 0
  const sh_feature_row* r = f.row(0, 1);
  REQUIRE(r != nullptr);
  CHECK(r->l2_imbalance == Approx((5.0 - 1.0) / 6.0));
  // No quote stream: the L2 top of book is the BBO.
  CHECK(r->spread_bps == Approx(2.0 / 100.0 * 1e4));
  CHECK(r->dq == SH_DQ_STALE_BOOK);  // book from 1 s, close at 60 s

  f.push(l2(1, 63 * kSec, SH_SIDE_BUY, 1, 0.0, 0.0));  // remove bid level 1
  f.push(l2(1, 64 * kSec, SH_SIDE_SELL, 1, 102.0, 3.0));
  f.push(trade(1, 122 * kSec, 100.0, 1.0));
  const sh_feature_row* r1 = f.row(kMin, 1);
  REQUIRE(r1 != nullptr);
  CHECK(r1->l2_imbalance == Approx((3.0 - 4.0) / 7.0));

  // A new snapshot replaces the whole book.
  f.push(l2(1, 130 * kSec, SH_SIDE_SELL, 0, 101.0, 1.0, SH_EVENT_FLAG_SNAPSHOT));
  f.push(trade(1, 182 * kSec, 100.0, 1.0));
  const sh_feature_row* r2 = f.row(2 * kMin, 1);
  REQUIRE(r2 != nullptr);
  CHECK(r2->l2_imbalance == Approx(-1.0));
  CHECK(std::isnan(r2->spread_bps));  // no bid left
}

TEST_CASE("ingest lag is the mean receive minus event time over the bar's events", "[conveyor]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 100.0, 1.0, 10 * kSec + 100 * kMs));
  f.push(trade(1, 20 * kSec, 100.0, 1.0, 20 * kSec + 300 * kMs));
  f.push(trade(1, 30 * kSec, 100.0, 1.0, 0));  // unknown receive time: not counted
  f.push(trade(2, 62 * kSec, 100.0, 1.0));
  const sh_feature_row* r = f.row(0, 1);
  REQUIRE(r != nullptr);
  CHECK(r->ingest_lag_ms == Approx(200.0));
  f.conveyor.flush(f.closed);
  const sh_feature_row* r2 = f.row(kMin, 2);
  REQUIRE(r2 != nullptr);
  CHECK(std::isnan(r2->ingest_lag_ms));  // no receive times at all: null
}

TEST_CASE("arrived bars become the symbol's bar, daily bars align by their duration",
          "[conveyor]") {
  Feed f;  // conveyor interval is still one minute
  const int64_t d0 = 19'000 * kDay;
  f.push(bar(1, d0, kDay, 10.0, 12.0, 9.0, 11.0, 1000.0));
  CHECK(f.closed.empty());
  f.push(bar(1, d0 + kDay, kDay, 11.0, 13.0, 10.5, 12.5, 2000.0));
  REQUIRE(f.closed.size() == 1);
  const sh_feature_row& r0 = f.closed[0].rows.at(0);
  CHECK(r0.minute_ts_ns == d0);  // the bar's open time
  CHECK(r0.open == 10.0);
  CHECK(r0.high == 12.0);
  CHECK(r0.low == 9.0);
  CHECK(r0.close == 11.0);
  CHECK(r0.volume == 1000.0);
  CHECK(std::isnan(r0.vwap));
  CHECK(std::isnan(r0.trade_count));
  CHECK(r0.dq == SH_DQ_OK);

  f.push(bar(1, d0 + 3 * kDay, kDay, 12.5, 13.0, 12.0, 12.0, 500.0));  // day 2 missing
  f.conveyor.flush(f.closed);
  REQUIRE(f.closed.size() == 3);
  const sh_feature_row& r1 = f.closed[1].rows.at(0);
  CHECK(r1.minute_ts_ns == d0 + kDay);
  CHECK(r1.dq == SH_DQ_OK);  // consecutive days are not a gap
  CHECK(r1.log_ret == Approx(std::log(12.5 / 11.0)));
  const sh_feature_row& r2 = f.closed[2].rows.at(0);
  CHECK(r2.minute_ts_ns == d0 + 3 * kDay);
  CHECK(r2.dq == SH_DQ_GAP);
  CHECK(f.conveyor.stats().bars == 3);
}

TEST_CASE("a minute bar replaces trades of its interval, a corrected bar replaces the first",
          "[conveyor]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 500.0, 9.0));
  f.push(bar(1, 0, kMin, 10.0, 12.0, 9.0, 11.0, 100.0));
  f.push(bar(1, 0, kMin, 10.0, 12.5, 9.0, 11.5, 120.0));  // correction, same open time
  f.push(trade(2, 62 * kSec, 1.0, 1.0));
  const sh_feature_row* r = f.row(0, 1);
  REQUIRE(r != nullptr);
  CHECK(r->minute_ts_ns == 0);
  CHECK(r->high == 12.5);
  CHECK(r->close == 11.5);
  CHECK(r->volume == 120.0);
  CHECK(r->dq == SH_DQ_OK);
}

TEST_CASE("a row after missing minutes is a gap, a first row is not", "[conveyor]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 100.0, 1.0));   // minute 0
  f.push(trade(2, 70 * kSec, 100.0, 1.0));   // minute 1: symbol 1 silent
  f.push(trade(1, 130 * kSec, 101.0, 1.0));  // minute 2
  f.push(trade(2, 130 * kSec, 100.0, 1.0));
  f.push(trade(3, 140 * kSec, 100.0, 1.0));  // symbol 3's first row
  f.conveyor.flush(f.closed);
  REQUIRE(f.closed.size() == 3);
  CHECK(f.row(0, 1)->dq == SH_DQ_OK);
  CHECK(f.row(kMin, 1) == nullptr);
  CHECK(f.row(2 * kMin, 1)->dq == SH_DQ_GAP);
  CHECK(f.row(2 * kMin, 1)->log_ret == Approx(std::log(1.01)));  // over the gap
  CHECK(f.row(2 * kMin, 2)->dq == SH_DQ_OK);
  CHECK(f.row(2 * kMin, 3)->dq == SH_DQ_OK);
}

TEST_CASE("dq: stale book, and precedence gap > late > stale_book > no_trades", "[conveyor]") {
  ConveyorConfig cfg;
  cfg.stale_book_ns = 5 * kSec;
  Feed f(cfg);

  SECTION("fresh book is ok, book older than stale_book_ns is stale") {
    f.push(quote(1, 56 * kSec, 99.0, 101.0));  // 4 s before close
    f.push(quote(2, 54 * kSec, 99.0, 101.0));  // 6 s before close
    f.push(trade(1, 57 * kSec, 100.0, 1.0));
    f.push(trade(2, 57 * kSec, 100.0, 1.0));
    f.push(trade(9, 62 * kSec, 100.0, 1.0));
    CHECK(f.row(0, 1)->dq == SH_DQ_OK);
    CHECK(f.row(0, 2)->dq == SH_DQ_STALE_BOOK);
    CHECK(f.row(0, 2)->book_staleness_ms == Approx(6000.0));
  }
  SECTION("stale_book beats no_trades") {
    f.push(quote(1, 10 * kSec, 99.0, 101.0));
    f.push(trade(9, 62 * kSec, 100.0, 1.0));
    CHECK(f.row(0, 1)->dq == SH_DQ_STALE_BOOK);
    CHECK(f.row(0, 1)->volume == 0.0);
  }
  SECTION("late beats stale_book and no_trades") {
    f.push(quote(1, 10 * kSec, 99.0, 101.0));
    f.push(trade(9, 62 * kSec, 100.0, 1.0));   // closes minute 0
    f.push(trade(1, 30 * kSec, 100.0, 2.0));   // late, folded into minute 1
    f.push(trade(9, 122 * kSec, 100.0, 1.0));  // closes minute 1
    const sh_feature_row* r = f.row(kMin, 1);
    REQUIRE(r != nullptr);
    CHECK(r->dq == SH_DQ_LATE);
    CHECK(r->volume == 2.0);
    CHECK(r->vwap == 100.0);
    CHECK(r->close == 100.0);  // still the mid: a folded trade has no OHLC say
  }
  SECTION("gap beats late") {
    f.push(trade(1, 10 * kSec, 100.0, 1.0));
    f.push(trade(9, 62 * kSec, 100.0, 1.0));   // closes minute 0
    f.push(trade(1, 30 * kSec, 100.0, 2.0));   // late
    f.push(trade(9, 122 * kSec, 100.0, 1.0));  // closes minute 1; symbol 1 has no row
    f.push(trade(1, 130 * kSec, 100.0, 1.0));
    f.conveyor.flush(f.closed);
    CHECK(f.row(kMin, 1) == nullptr);
    const sh_feature_row* r = f.row(2 * kMin, 1);
    REQUIRE(r != nullptr);
    CHECK(r->late_events == 1);
    CHECK(r->volume == 3.0);
    CHECK(r->dq == SH_DQ_GAP);
  }
}

TEST_CASE("malformed events are rejected and counted, never applied", "[conveyor]") {
  Feed f;
  f.push(trade(0, 10 * kSec, 100.0, 1.0));           // invalid symbol
  f.push(trade(1, 10 * kSec, 0.0, 1.0));             // zero price
  f.push(trade(1, 10 * kSec, 100.0, std::nan("")));  // null size
  f.push(trade(1, -5, 100.0, 1.0));                  // before the epoch
  sh_market_event odd = trade(1, 10 * kSec, 100.0, 1.0);
  odd.type = 99;
  f.push(odd);
  sh_market_event ev[2] = {trade(1, 10 * kSec, 100.0, 1.0), trade(1, 11 * kSec, 100.0, 1.0)};
  f.conveyor.on_events(ev, 2, sizeof(sh_market_event) - 8, f.closed);  // stride too small
  CHECK(f.conveyor.stats().events_in == 7);
  CHECK(f.conveyor.stats().rejected_events == 7);
  CHECK(f.conveyor.stats().trades == 0);

  // A larger stride (a newer ABI minor's record) is read correctly.
  struct Wider {
    sh_market_event e;
    double extra;
  };
  Wider w[2] = {{trade(1, 10 * kSec, 100.0, 1.0), 1.0}, {trade(1, 62 * kSec, 101.0, 1.0), 2.0}};
  f.conveyor.on_events(&w[0].e, 2, sizeof(Wider), f.closed);
  CHECK(f.conveyor.stats().trades == 2);
  REQUIRE(f.closed.size() == 1);
  CHECK(f.closed[0].rows.at(0).close == 100.0);
}

namespace {

// A deterministic multi-symbol stream: trades, quotes and L2 for 6 symbols
// over `minutes` minutes, with cross-symbol disorder inside the lateness
// window and some late events. A fixed LCG, so both runs see the same input.
std::vector<sh_market_event> synthetic_stream(int minutes) {
  std::vector<sh_market_event> out;
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto next = [&s]() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  double px[7] = {0, 100, 50, 20, 300, 10, 75};
  for (int m = 0; m < minutes; ++m) {
    for (int k = 0; k < 40; ++k) {
      const sh_symbol_id sym = 1 + static_cast<sh_symbol_id>(next() * 6);
      const int64_t ts = m * kMin + static_cast<int64_t>(next() * kMin);
      px[sym] *= std::exp((next() - 0.5) * 0.004);
      const double u = next();
      if (u < 0.6) {
        out.push_back(
            trade(sym, ts, px[sym], 1 + next() * 10, ts + static_cast<int64_t>(next() * 5e8)));
      } else if (u < 0.85) {
        out.push_back(quote(sym, ts, px[sym] * 0.999, px[sym] * 1.001));
      } else {
        out.push_back(l2(sym, ts, next() < 0.5 ? SH_SIDE_BUY : SH_SIDE_SELL,
                         static_cast<uint32_t>(next() * 5), px[sym], next() * 3));
      }
    }
  }
  // Cross-symbol disorder: swap neighbours of different symbols.
  for (size_t i = 1; i < out.size(); i += 3) {
    if (out[i].symbol != out[i - 1].symbol) std::swap(out[i], out[i - 1]);
  }
  return out;
}

}  // namespace

TEST_CASE("the same input twice gives byte-identical rows and context", "[conveyor]") {
  ConveyorConfig cfg;
  cfg.baseline_warmup = 20;
  cfg.baseline_window = 50;
  cfg.benchmark = 1;
  const std::vector<sh_market_event> input = synthetic_stream(150);

  auto run = [&]() {
    Feed f(cfg);
    // Uneven batch sizes: batching must not change the output.
    size_t i = 0, step = 1;
    while (i < input.size()) {
      const size_t n = std::min(step, input.size() - i);
      f.conveyor.on_events(&input[i], n, sizeof(sh_market_event), f.closed);
      i += n;
      step = step % 97 + 7;
    }
    f.conveyor.flush(f.closed);
    return f.closed;
  };
  const std::vector<MinuteClose> a = run();
  const std::vector<MinuteClose> b = run();
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 100);
  size_t rows = 0, warm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].minute_ts_ns == b[i].minute_ts_ns);
    REQUIRE(a[i].rows.size() == b[i].rows.size());
    CHECK(std::memcmp(a[i].rows.data(), b[i].rows.data(),
                      a[i].rows.size() * sizeof(sh_feature_row)) == 0);
    CHECK(std::memcmp(&a[i].context, &b[i].context, sizeof(sh_market_context)) == 0);
    rows += a[i].rows.size();
    for (const sh_feature_row& r : a[i].rows) warm += !std::isnan(r.z_volume);
    for (size_t k = 1; k < a[i].rows.size(); ++k)
      CHECK(a[i].rows[k - 1].symbol < a[i].rows[k].symbol);
  }
  CHECK(rows > 600);
  CHECK(warm > 300);  // the comparison covered warm baselines, not only nulls
}

TEST_CASE("recycled row buffers are reused and do not change results", "[conveyor]") {
  const std::vector<sh_market_event> input = synthetic_stream(30);
  Feed plain;
  plain.push(input);
  plain.conveyor.flush(plain.closed);

  Conveyor c{ConveyorConfig{}};
  std::vector<MinuteClose> closed, all;
  for (const sh_market_event& e : input) {
    c.on_events(&e, 1, sizeof e, closed);
    if (!closed.empty()) {
      all.insert(all.end(), closed.begin(), closed.end());  // copies
      c.recycle(closed);
      CHECK(closed.empty());
    }
  }
  c.flush(closed);
  all.insert(all.end(), closed.begin(), closed.end());
  REQUIRE(all.size() == plain.closed.size());
  for (size_t i = 0; i < all.size(); ++i) {
    REQUIRE(all[i].rows.size() == plain.closed[i].rows.size());
    CHECK(std::memcmp(all[i].rows.data(), plain.closed[i].rows.data(),
                      all[i].rows.size() * sizeof(sh_feature_row)) == 0);
  }
}

TEST_CASE("per-symbol state stays within 64 KiB with warm baselines", "[conveyor]") {
  ConveyorConfig cfg;  // defaults: window 500, 10 L2 levels
  Feed f(cfg);
  for (int m = 0; m < 600; ++m) {
    f.push(quote(1, m * kMin + kSec, 99.0 + (m % 7), 101.0 + (m % 7)));
    f.push(l2(1, m * kMin + kSec, SH_SIDE_BUY, m % 10, 99.0, 1.0 + m % 3));
    f.push(trade(1, m * kMin + 2 * kSec, 100.0 + (m % 13), 1.0 + (m % 5)));
    f.closed.clear();
  }
  const size_t bytes = f.conveyor.symbol_state_bytes(1);
  INFO("symbol state bytes: " << bytes);
  CHECK(bytes > 3 * 2 * 500 * sizeof(double));  // the baselines' windows are there
  CHECK(bytes <= 64 * 1024);
  CHECK(f.conveyor.symbol_state_bytes(2) == 0);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SH_TEST_HAVE_MALLINFO2 1
#endif

TEST_CASE("steady state allocates nothing per event, nor per close with recycled buffers",
          "[conveyor]") {
#ifdef SH_TEST_HAVE_MALLINFO2
  Conveyor c{ConveyorConfig{}};
  std::vector<MinuteClose> closed;
  closed.reserve(8);
  std::vector<sh_market_event> minute;
  auto fill = [&minute](int64_t m) {
    minute.clear();
    for (int k = 0; k < 3000; ++k) {
      const sh_symbol_id sym = 1 + k % 50;
      const int64_t ts = m * kMin + 2 * kSec + k * 10 * kMs;
      if (k % 3 == 0)
        minute.push_back(quote(sym, ts, 99.0 + k % 5, 101.0 + k % 5));
      else if (k % 3 == 1)
        minute.push_back(l2(sym, ts, SH_SIDE_BUY, k % 12, 99.0, 1.0 + k % 4));
      else
        minute.push_back(trade(sym, ts, 100.0 + k % 7, 1.0 + k % 3, ts + 5 * kMs));
    }
  };
  minute.reserve(3000);
  // Warm: every symbol seen, closes done, row buffers back in the pool.
  for (int64_t m = 0; m < 5; ++m) {
    fill(m);
    c.on_events(minute.data(), minute.size(), sizeof(sh_market_event), closed);
    c.recycle(closed);
  }
  fill(5);  // contains the trigger that closes minute 4
  const size_t before = mallinfo2().uordblks;
  c.on_events(minute.data(), minute.size(), sizeof(sh_market_event), closed);
  const size_t after_events = mallinfo2().uordblks;
  REQUIRE(closed.size() == 1);  // the batch closed minute 4 with recycled rows
  CHECK(closed[0].rows.size() == 50);
  c.recycle(closed);
  CHECK(after_events == before);
#else
  WARN("mallinfo2 unavailable: allocation check skipped");
#endif
}
