// [conveyor][clock] Live minutes close on the receive clock (no later event
// needed), quiet intervals close from the book, a skewed exchange clock does
// not make events late, a recorded order of events and clock reports gives
// the same rows; bars longer than the interval keep the watermark; late bars
// fold; provider gaps mark the row.
#include <strategy_host/abi.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "conveyor/conveyor.h"
#include "test_conveyor_support.h"

using namespace sh_test;

namespace {

ConveyorConfig live_config() {
  ConveyorConfig c;  // 60 s interval, 1.5 s lateness
  c.receive_clock = true;
  c.max_clock_skew_ns = 2 * 3600 * kSec;  // kSkew (below) is within the bound here
  return c;
}

// A skew between the exchange's clock and the host's: receive times are an
// hour and 40 ms ahead of event times.
constexpr int64_t kSkew = 3600 * kSec + 40 * kMs;

}  // namespace

TEST_CASE("live: a minute closes on the receive clock at its end plus lateness, with no later event",
          "[conveyor][clock]") {
  Feed f(live_config());
  f.push(trade(1, 10 * kSec, 100.0, 1.0, 10 * kSec + kSkew));
  f.push(trade(1, 50 * kSec, 102.0, 2.0, 50 * kSec + kSkew));
  CHECK(f.conveyor.clock_offset_ns() == kSkew);
  f.conveyor.on_clock(61 * kSec + 499 * kMs + kSkew, f.closed);  // 1 ms before the deadline
  CHECK(f.closed.empty());
  f.conveyor.on_clock(61 * kSec + 500 * kMs + kSkew, f.closed);
  REQUIRE(f.closed.size() == 1);
  CHECK(f.closed[0].minute_ts_ns == 0);
  CHECK(f.closed[0].rows.at(0).volume == 3.0);
  CHECK(f.conveyor.stats().clock_closed == 1);

  // A trade of minute 0 received after the deadline is late, as it was live.
  f.push(trade(1, 59 * kSec, 99.0, 1.0, 62 * kSec + kSkew));
  CHECK(f.conveyor.stats().late_events == 1);
}

TEST_CASE("live: a clock skew beyond max_clock_skew_ms marks the rows dq clock_skew, within it ok",
          "[conveyor][clock]") {
  ConveyorConfig tight = live_config();
  tight.max_clock_skew_ns = 5 * kSec;  // the default
  Feed skewed(tight);
  skewed.push(quote(1, 5 * kSec, 99.0, 101.0));
  skewed.push(trade(1, 10 * kSec, 100.0, 1.0, 10 * kSec + kSkew));
  skewed.conveyor.on_clock(61 * kSec + 500 * kMs + kSkew, skewed.closed);
  REQUIRE(skewed.closed.size() == 1);
  CHECK(skewed.closed[0].rows.at(0).dq == SH_DQ_CLOCK_SKEW);

  Feed fine(tight);
  fine.push(quote(1, 5 * kSec, 99.0, 101.0));
  fine.push(trade(1, 10 * kSec, 100.0, 1.0, 10 * kSec + 40 * kMs));
  fine.push(quote(1, 58 * kSec, 99.0, 101.0));  // a fresh book at the close
  fine.conveyor.on_clock(61 * kSec + 540 * kMs, fine.closed);
  REQUIRE(fine.closed.size() == 1);
  CHECK(fine.closed[0].rows.at(0).dq == SH_DQ_OK);
}

TEST_CASE("replay (receive clock off): clock reports change nothing", "[conveyor][clock]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 100.0, 1.0, 10 * kSec + kSkew));
  f.conveyor.on_clock(600 * kSec + kSkew, f.closed);
  CHECK(f.closed.empty());
  CHECK(f.conveyor.stats().clock_closed == 0);
}

TEST_CASE("live: an event received after an earlier minute's deadline closes that minute first",
          "[conveyor][clock]") {
  Feed f(live_config());
  f.push(trade(1, 30 * kSec, 100.0, 1.0, 30 * kSec + kSkew));
  // A quote stamped 61 s by the exchange (event-time watermark 59.5 s: no
  // close) but received 3 s after minute 0's end: minute 0 closes before it
  // is applied, and a straggler of minute 0 is late.
  sh_market_event q = quote(1, 61 * kSec, 99.0, 101.0);
  q.recv_ts_ns = 63 * kSec + kSkew;
  f.push(q);
  REQUIRE(f.closed.size() == 1);
  CHECK(f.closed[0].minute_ts_ns == 0);
  f.push(trade(1, 59 * kSec, 100.0, 1.0, 63 * kSec + 100 * kMs + kSkew));
  CHECK(f.conveyor.stats().late_events == 1);
}

TEST_CASE("live: quiet minutes close from the book (mid_close, then stale_book)", "[conveyor][clock]") {
  Feed f(live_config());
  f.push(trade(1, 20 * kSec, 100.0, 1.0, 20 * kSec + kSkew));
  sh_market_event q = quote(1, 58 * kSec, 99.0, 101.0);
  q.recv_ts_ns = 58 * kSec + kSkew;
  f.push(q);
  // Four minutes of silence on the receive clock.
  f.conveyor.on_clock(4 * kMin + 2 * kSec + kSkew, f.closed);
  REQUIRE(f.closed.size() == 4);
  for (int m = 0; m < 4; ++m) {
    INFO("minute " << m);
    CHECK(f.closed[m].minute_ts_ns == m * kMin);
    REQUIRE(f.closed[m].rows.size() == 1);
  }
  CHECK(f.closed[0].rows[0].dq == SH_DQ_OK);
  CHECK(f.closed[1].rows[0].close == 100.0);  // the BBO mid
  CHECK(f.closed[1].rows[0].volume == 0.0);
  CHECK(f.closed[1].rows[0].dq == SH_DQ_STALE_BOOK);  // the book is 62 s old at the close
  CHECK(f.conveyor.stats().clock_closed == 4);

  // A symbol without a book gets no row for a quiet minute, and the next
  // minute it trades in is a gap.
  Feed g(live_config());
  g.push(trade(2, 20 * kSec, 50.0, 1.0, 20 * kSec + kSkew));
  g.conveyor.on_clock(3 * kMin + 2 * kSec + kSkew, g.closed);
  REQUIRE(g.closed.size() == 1);  // minutes 1 and 2 have nothing to close from
  g.push(trade(2, 3 * kMin + 10 * kSec, 51.0, 1.0, 3 * kMin + 10 * kSec + kSkew));
  g.conveyor.flush(g.closed);
  REQUIRE(g.closed.size() == 2);
  CHECK(g.closed[1].rows.at(0).dq == SH_DQ_GAP);
}

TEST_CASE("live: after a long silence at most max_fill_intervals quiet minutes close",
          "[conveyor][clock]") {
  ConveyorConfig c = live_config();
  c.max_fill_intervals = 5;
  Feed f(c);
  sh_market_event q = quote(1, 5 * kSec, 99.0, 101.0);
  q.recv_ts_ns = 5 * kSec + kSkew;
  f.push(q);
  f.conveyor.on_clock(kDay + kSkew, f.closed);
  REQUIRE(f.closed.size() == 1 + 5);
  CHECK(f.closed.back().minute_ts_ns == kDay - 2 * kMin);  // the last interval ending by day - 1.5 s
}

TEST_CASE("live: the same events and clock reports in any batching give the same rows",
          "[conveyor][clock]") {
  std::vector<sh_market_event> events;
  for (int i = 0; i < 600; ++i) {
    const int64_t ts = i * 997 * kMs;
    const int64_t recv = ts + kSkew + (i % 7) * 30 * kMs;  // jittered network delay
    events.push_back(trade(1 + i % 3, ts, 100.0 + (i % 11), 1.0 + (i % 5), recv));
  }
  auto run = [&](size_t batch, int64_t tick_every) {
    Feed f(live_config());
    int64_t last_tick = 0;
    for (size_t i = 0; i < events.size(); i += batch) {
      const size_t n = std::min(batch, events.size() - i);
      f.conveyor.on_events(&events[i], n, sizeof(sh_market_event), f.closed);
      const int64_t clock = events[i + n - 1].recv_ts_ns;  // nothing received before it is missing
      if (clock - last_tick >= tick_every) {
        f.conveyor.on_clock(clock, f.closed);
        last_tick = clock;
      }
    }
    f.conveyor.on_clock(events.back().recv_ts_ns + 5 * kSec, f.closed);
    f.conveyor.flush(f.closed);
    std::vector<sh_feature_row> rows;
    for (const MinuteClose& mc : f.closed) rows.insert(rows.end(), mc.rows.begin(), mc.rows.end());
    return rows;
  };
  const auto a = run(1, 0);
  const auto b = run(64, 100 * kMs);
  const auto c = run(500, kMin);
  REQUIRE(a.size() > 20);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == c.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(sh_feature_row)) == 0);
  CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(sh_feature_row)) == 0);
}

TEST_CASE("a daily bar among trades keeps the watermark: other symbols' ticks stay on time",
          "[conveyor]") {
  Feed f;
  const int64_t d0 = 19'000 * kDay;
  f.push(bar(1, d0, kDay, 10.0, 12.0, 9.0, 11.0, 1000.0));
  for (int m = 0; m < 30; ++m) f.push(trade(2, d0 + m * kMin + 10 * kSec, 100.0 + m, 1.0));
  CHECK(f.conveyor.stats().late_events == 0);
  f.conveyor.flush(f.closed);
  CHECK(f.closed.size() == 30);  // no minute collapsed into another
  REQUIRE(f.row(d0, 1) != nullptr);
  CHECK(f.row(d0, 1)->volume == 1000.0);  // the daily bar, at its open's interval
  REQUIRE(f.row(d0 + 29 * kMin, 2) != nullptr);
  CHECK(f.row(d0 + 29 * kMin, 2)->close == 129.0);
}

TEST_CASE("a late bar is folded into the next row under late_policy fold, only counted under report",
          "[conveyor]") {
  for (const auto policy : {ConveyorConfig::LatePolicy::Fold, ConveyorConfig::LatePolicy::Report}) {
    ConveyorConfig c;
    c.late_policy = policy;
    Feed f(c);
    f.push(trade(1, 10 * kSec, 100.0, 1.0));
    f.push(trade(1, 70 * kSec, 100.0, 1.0));
    // The 70 s trade closed minute 0 (watermark 68.5 s).
    f.push(bar(1, 0, kMin, 100.0, 101.0, 99.0, 110.0, 4.0));  // late: minute 0 is closed
    f.conveyor.flush(f.closed);
    REQUIRE(f.row(kMin, 1) != nullptr);
    CHECK(f.conveyor.stats().late_events == 1);
    const sh_feature_row& r = *f.row(kMin, 1);
    if (policy == ConveyorConfig::LatePolicy::Fold) {
      CHECK(r.volume == 5.0);
      CHECK(r.vwap == Approx((100.0 + 440.0) / 5.0));
      CHECK(r.dq == SH_DQ_LATE);
      CHECK(f.conveyor.stats().late_folded == 1);
    } else {
      CHECK(r.volume == 1.0);
      CHECK(f.conveyor.stats().late_reported == 1);
    }
  }
}

TEST_CASE("an event flagged as after a provider gap marks its row dq gap", "[conveyor]") {
  Feed f;
  f.push(trade(1, 10 * kSec, 100.0, 1.0));
  sh_market_event e = l2(1, 70 * kSec, SH_SIDE_BUY, 0, 99.0, 1.0, SH_EVENT_FLAG_SNAPSHOT | SH_EVENT_FLAG_GAP);
  f.push(e);
  f.push(trade(1, 75 * kSec, 100.0, 1.0));
  f.push(trade(1, 130 * kSec, 100.0, 1.0));
  f.conveyor.flush(f.closed);
  REQUIRE(f.row(0, 1) != nullptr);
  CHECK(f.row(0, 1)->dq == SH_DQ_OK);
  REQUIRE(f.row(kMin, 1) != nullptr);
  CHECK(f.row(kMin, 1)->dq == SH_DQ_GAP);
  REQUIRE(f.row(2 * kMin, 1) != nullptr);
  CHECK(f.row(2 * kMin, 1)->dq != SH_DQ_GAP);  // reported once
  CHECK(f.conveyor.stats().feed_gaps == 1);
}
