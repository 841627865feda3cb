// paper_venue under the harness: the real libpaper_venue.so, loaded as the
// host loads it, driven through its C venue API.
#include <strategy_host/testing.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

using namespace sh::testing;

namespace {

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kMsNs = 1'000'000;
const double kNaN = std::nan("");

bool near(double a, double b, double tol = 1e-9) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

void expect_near(double got, double want, const std::string& what) {
  expect(near(got, want), what + ": expected " + std::to_string(want) + ", got " + std::to_string(got));
}

// Every field of every report at full precision: equal text = equal reports.
std::string dump(const VenueReports& reports) {
  std::string s;
  char buf[512];
  for (const auto& r : reports.all()) {
    std::snprintf(buf, sizeof buf, "%s|%s|%s|%d|%d|%lld|%.17g|%.17g|%.17g|%.17g|%.17g|%.17g|%d|%d|%s\n",
                  r.id.c_str(), r.venue_id.c_str(), r.symbol.c_str(), r.raw.state, r.raw.side,
                  static_cast<long long>(r.raw.ts_ns), r.raw.last_qty, r.raw.last_price,
                  r.raw.ref_price, r.raw.fee_usd, r.raw.cum_qty, r.raw.leaves_qty, r.raw.liquidity,
                  r.raw.reason, r.detail.c_str());
    s += buf;
  }
  return s;
}

void expect_ack_only(const VenueReports& r, const std::string& id) {
  r.expect_count(1);
  r.expect_state(id, SH_ORDER_ACKNOWLEDGED);
  expect_near(r[0].raw.cum_qty, 0, id + " cum_qty at ack");
}

// A book: asks and bids as (price, size), the first level a snapshot.
std::vector<Event> book(const std::string& sym, int64_t ts, std::vector<std::pair<double, double>> asks,
                        std::vector<std::pair<double, double>> bids) {
  std::vector<Event> out;
  bool first = true;
  for (const auto& [p, q] : asks) {
    out.push_back(l2_event(sym, ts, SH_SIDE_SELL, p, q, first));
    first = false;
  }
  for (const auto& [p, q] : bids) {
    out.push_back(l2_event(sym, ts, SH_SIDE_BUY, p, q, first));
    first = false;
  }
  return out;
}

}  // namespace

SH_TEST("capabilities: simulated, wants bars (and events in book mode), market and limit, GTC/IOC/FOK, the fees") {
  Plugin plugin;
  auto v = plugin.venue({{"maker_fee_bps", -1.5}, {"taker_fee_bps", 4}});
  const sh_venue_capabilities c = v.capabilities();
  expect(c.flags == (SH_VENUE_SIMULATED | SH_VENUE_WANTS_BARS), "flags " + std::to_string(c.flags));
  expect(c.order_types == ((1u << SH_ORDER_MARKET) | (1u << SH_ORDER_LIMIT)), "order types");
  expect(c.time_in_force == ((1u << SH_TIF_GTC) | (1u << SH_TIF_IOC) | (1u << SH_TIF_FOK)), "tif");
  expect_near(c.maker_fee_bps, -1.5, "maker fee");
  expect_near(c.taker_fee_bps, 4, "taker fee");
  auto b = plugin.venue({{"fill", "book"}});
  expect(b.capabilities().flags == (SH_VENUE_SIMULATED | SH_VENUE_WANTS_BARS | SH_VENUE_WANTS_EVENTS),
         "book mode wants events");
}

SH_TEST("config: unknown keys and out-of-range values are refused") {
  Plugin plugin;
  expect(plugin.expect_config_refused({{"fill", "best"}}).find("fill") != std::string::npos, "names fill");
  expect(plugin.expect_config_refused({{"slippage_bps", 20000}}).find("slippage_bps") != std::string::npos,
         "names slippage_bps");
  expect(plugin.expect_config_refused({{"latency_ms", -1}}).find("latency_ms") != std::string::npos,
         "names latency_ms");
  plugin.expect_config_refused({{"slipage_bps", 1}});
  plugin.expect_config_refused({{"latency_ms", 86400001}});
  plugin.expect_config_refused({{"taker_fee_bps", -101}});
}

SH_TEST("next_open: a market order decided at a close fills whole at the next bar's open +/- slippage, in submission order") {
  Plugin plugin;
  auto v = plugin.venue();  // defaults: next_open, 1 bps slippage, no fees, no latency
  expect_ack_only(v.submit(VenueOrder("o1", "BTC", SH_SIDE_BUY, 2).at_close(3)), "o1");
  expect_ack_only(v.submit(VenueOrder("o2", "BTC", SH_SIDE_SELL, 0.5).at_close(3)), "o2");
  // The bar of the minute they were decided in is not theirs.
  v.bars(3, {VenueBar("BTC", 90, 91, 89, 90)}).expect_no_fill();
  const auto r = v.bars(4, {VenueBar("BTC", 100, 102, 99, 101)});
  r.expect_count(2);
  const auto f1 = r.expect_fill(0, "o1", 2, 100 * 1.0001);
  const auto f2 = r.expect_fill(1, "o2", 0.5, 100 * 0.9999);
  for (const auto& f : {f1, f2}) {
    expect(f.state() == SH_ORDER_FILLED && f.raw.leaves_qty == 0, f.describe());
    expect(f.raw.ts_ns == minute(4), "fill ts is the bar's minute: " + f.describe());
    expect(f.raw.liquidity == SH_LIQUIDITY_TAKER && f.raw.fee_usd == 0, f.describe());
    expect_near(f.raw.ref_price, 100, "ref price is the open");
  }
  const sh_position p = v.position("BTC");
  expect_near(p.qty, 1.5, "position qty");
  expect_near(p.avg_price, 100.01, "average cost");
  expect_near(p.mark_price, 101, "marked at the bar's close");
  expect_near(p.unrealized_pnl_usd, 1.5 * (101 - 100.01), "unrealized");
  expect(v.query_orders().empty(), "nothing works after the fills");
  expect(v.host().counter("orders_submitted") == 2 && v.host().counter("fills") == 2, "counters");
}

SH_TEST("mid mode fills at once at the last minute's mid (else its close), else the order's ref_price, else at the next open") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "mid"}, {"slippage_bps", 10}});
  v.bars(3, {VenueBar("BTC", 100, 101, 99, 101, 100.5), VenueBar("ETH", 49, 51, 48, 50)});
  auto r = v.submit(VenueOrder("b", "BTC", SH_SIDE_BUY, 1).at_close(3));
  r.expect_count(2);
  r.expect_state("b", SH_ORDER_FILLED);
  auto f = r.expect_fill(0, "b", 1, 100.5 * 1.001);
  expect_near(f.raw.ref_price, 100.5, "ref is the mid");
  expect(f.raw.ts_ns == minute(4), "an immediate fill carries the order's ts");
  r = v.submit(VenueOrder("e", "ETH", SH_SIDE_SELL, 2).at_close(3));
  f = r.expect_fill(0, "e", 2, 50 * 0.999);  // no mid: the close
  expect_near(f.raw.ref_price, 50, "ref is the close");
  r = v.submit(VenueOrder("s", "SOL", SH_SIDE_BUY, 3).at_close(3).ref(20));
  r.expect_fill(0, "s", 3, 20 * 1.001);  // no bar for SOL: its ref_price
  r = v.submit(VenueOrder("x", "XRP", SH_SIDE_BUY, 10).at_close(3));
  expect_ack_only(r, "x");  // nothing to price it: waits
  r = v.bars(4, {VenueBar("XRP", 0.5, 0.6, 0.4, 0.55)});
  f = r.expect_fill(0, "x", 10, 0.5 * 1.001);
  expect(f.raw.ts_ns == minute(4), f.describe());
  // Minute 4 had no BTC bar: no BTC mid any more, so a ref-less order waits.
  expect_ack_only(v.submit(VenueOrder("b2", "BTC", SH_SIDE_BUY, 1).at_close(4)), "b2");
}

SH_TEST("a bar with a NaN or non-positive open leaves the order pending") {
  Plugin plugin;
  auto v = plugin.venue();
  v.submit(VenueOrder("o", "BTC", SH_SIDE_BUY, 1).at_close(3));
  v.bars(4, {VenueBar("BTC", kNaN, 101, 99, 100)}).expect_count(0);
  v.bars(5, {VenueBar("BTC", 0, 101, 99, 100)}).expect_count(0);
  v.bars(6, {VenueBar("ETH", 10, 11, 9, 10)}).expect_count(0);  // no BTC bar at all
  const auto q = v.query_orders();
  q.expect_count(1);
  q.expect_state("o", SH_ORDER_ACKNOWLEDGED);
  expect_near(q[0].raw.leaves_qty, 1, "still working");
  const auto f = v.bars(7, {VenueBar("BTC", 100, 101, 99, 100)}).expect_fill(0, "o", 1, 100.01);
  expect(f.raw.ts_ns == minute(7), f.describe());
}

SH_TEST("latency: an order is not eligible before ts + latency") {
  Plugin plugin;
  auto v = plugin.venue({{"latency_ms", 90000}, {"slippage_bps", 0}});
  v.submit(VenueOrder("o", "BTC", SH_SIDE_BUY, 1).at_close(3));  // ts minute 4, eligible 5:30
  v.bars(4, {VenueBar("BTC", 100, 100, 100, 100)}).expect_no_fill();
  v.bars(5, {VenueBar("BTC", 101, 101, 101, 101)}).expect_no_fill();
  v.bars(6, {VenueBar("BTC", 102, 102, 102, 102)}).expect_fill(0, "o", 1, 102);
  // With latency even mid mode waits for a bar.
  auto m = plugin.venue({{"fill", "mid"}, {"latency_ms", 1}, {"slippage_bps", 0}});
  m.bars(3, {VenueBar("BTC", 100, 100, 100, 100, 100.5)});
  expect_ack_only(m.submit(VenueOrder("m", "BTC", SH_SIDE_BUY, 1).at_close(3)), "m");
  m.bars(4, {VenueBar("BTC", 103, 103, 103, 103)}).expect_no_fill();  // 4:00 < 4:00.001
  m.bars(5, {VenueBar("BTC", 104, 104, 104, 104)}).expect_fill(0, "m", 1, 104);
}

SH_TEST("limit orders rest, fill as maker when a bar trades through the limit, and as taker at the open on a gap") {
  Plugin plugin;
  auto v = plugin.venue({{"maker_fee_bps", 2}, {"taker_fee_bps", 5}});
  expect_ack_only(v.submit(VenueOrder("b1", "BTC", SH_SIDE_BUY, 2).limit(95).at_close(3)), "b1");
  expect_ack_only(v.submit(VenueOrder("s1", "BTC", SH_SIDE_SELL, 1).limit(105).at_close(3)), "s1");
  v.bars(4, {VenueBar("BTC", 100, 103, 97, 100)}).expect_no_fill();
  auto r = v.bars(5, {VenueBar("BTC", 100, 106, 94, 100)});
  auto f = r.expect_fill(0, "b1", 2, 95);  // at the limit, no slippage
  expect(f.raw.liquidity == SH_LIQUIDITY_MAKER, f.describe());
  expect_near(f.raw.fee_usd, 2 * 95 * 2 / 1e4, "maker fee");
  f = r.expect_fill(1, "s1", 1, 105);
  expect(f.raw.liquidity == SH_LIQUIDITY_MAKER, f.describe());
  expect_near(f.raw.fee_usd, 105 * 2 / 1e4, "maker fee");
  // Gaps: the open is already through the limit.
  v.submit(VenueOrder("b2", "BTC", SH_SIDE_BUY, 1).limit(99).at_close(5));
  v.submit(VenueOrder("s2", "BTC", SH_SIDE_SELL, 1).limit(101).at_close(5));
  r = v.bars(6, {VenueBar("BTC", 90, 92, 89, 91)});
  r.expect_count(1);
  f = r.expect_fill(0, "b2", 1, 90);
  expect(f.raw.liquidity == SH_LIQUIDITY_TAKER, f.describe());
  expect_near(f.raw.fee_usd, 90 * 5 / 1e4, "taker fee");
  f = v.bars(7, {VenueBar("BTC", 110, 111, 108, 110)}).expect_fill(0, "s2", 1, 110);
  expect(f.raw.liquidity == SH_LIQUIDITY_TAKER, f.describe());
  // An IOC limit the bar does not reach expires.
  v.submit(VenueOrder("i", "BTC", SH_SIDE_BUY, 1).limit(50).tif(SH_TIF_IOC).at_close(7));
  v.bars(8, {VenueBar("BTC", 100, 101, 99, 100)}).expect_state("i", SH_ORDER_EXPIRED,
                                                               SH_VENUE_REASON_NO_LIQUIDITY);
}

SH_TEST("book: a market order walks three L2 levels, one fill per level at its price, taker fee each") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}, {"taker_fee_bps", 10}, {"slippage_bps", 50}});
  const int64_t t = minute(10);
  v.events(book("BTC", t, {{100, 1}, {101, 2}, {102, 5}}, {{99, 3}})).expect_count(0);
  auto r = v.submit(VenueOrder("m", "BTC", SH_SIDE_BUY, 4).at(t + kSecondNs));
  r.expect_count(4);
  expect(r[0].state() == SH_ORDER_ACKNOWLEDGED, r.describe());
  const double want[3][3] = {{1, 100, 1}, {2, 101, 3}, {1, 102, 4}};  // qty, price, cum
  for (int i = 0; i < 3; ++i) {
    const auto f = r.expect_fill(i, "m", want[i][0], want[i][1]);  // no slippage in book mode
    expect_near(f.raw.fee_usd, want[i][0] * want[i][1] * 10 / 1e4, "fee of level " + std::to_string(i));
    expect_near(f.raw.cum_qty, want[i][2], "cum_qty");
    expect_near(f.raw.leaves_qty, 4 - want[i][2], "leaves_qty");
    expect_near(f.raw.ref_price, want[i][1], "ref is the level price");
    expect(f.raw.liquidity == SH_LIQUIDITY_TAKER, f.describe());
    expect(f.state() == (i < 2 ? SH_ORDER_PARTIALLY_FILLED : SH_ORDER_FILLED), f.describe());
  }
  // What was taken is gone from the venue's book: 4 left at 102.
  r = v.submit(VenueOrder("m2", "BTC", SH_SIDE_BUY, 5).tif(SH_TIF_IOC).at(t + 2 * kSecondNs));
  r.expect_fill(0, "m2", 4, 102);
  r.expect_state("m2", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  // The sell side walks the bids.
  r = v.submit(VenueOrder("s", "BTC", SH_SIDE_SELL, 2).at(t + 3 * kSecondNs));
  r.expect_fill(0, "s", 2, 99);
  expect_near(v.position("BTC").qty, 4 + 4 - 2, "venue position");
  // A snapshot replaces the whole book: the 1 left at 99 is gone.
  v.events(book("BTC", t + 4 * kSecondNs, {{110, 1}}, {{98, 1}}));
  r = v.submit(VenueOrder("s2", "BTC", SH_SIDE_SELL, 2).tif(SH_TIF_IOC).at(t + 4 * kSecondNs));
  expect(r.fills().size() == 1, "only the snapshot's bid: " + r.describe());
  r.expect_fill(0, "s2", 1, 98);
  // A level of size 0 removes it.
  v.events({l2_event("BTC", t + 5 * kSecondNs, SH_SIDE_SELL, 110, 0),
            l2_event("BTC", t + 5 * kSecondNs, SH_SIDE_SELL, 111, 1)});
  v.submit(VenueOrder("b3", "BTC", SH_SIDE_BUY, 1).at(t + 5 * kSecondNs)).expect_fill(0, "b3", 1, 111);
}

SH_TEST("book: IOC expires what the book cannot fill, a limit IOC takes only levels at or better than its limit") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}});
  const int64_t t = minute(10);
  v.events(book("BTC", t, {{100, 1}, {101, 1}}, {}));
  auto r = v.submit(VenueOrder("i", "BTC", SH_SIDE_BUY, 3).tif(SH_TIF_IOC).at(t));
  r.expect_count(4);
  r.expect_fill(0, "i", 1, 100);
  r.expect_fill(1, "i", 1, 101);
  const auto& e = r.expect_state("i", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  expect_near(e.raw.cum_qty, 2, "cum");
  expect(e.raw.leaves_qty == 0, "final: leaves 0");
  v.events(book("BTC", t + kSecondNs, {{100, 1}, {101, 1}}, {}));
  r = v.submit(VenueOrder("l", "BTC", SH_SIDE_BUY, 3).limit(100.5).tif(SH_TIF_IOC).at(t + kSecondNs));
  r.expect_fill(0, "l", 1, 100);
  expect(r.fills().size() == 1, "the 101 level is beyond the limit: " + r.describe());
  r.expect_state("l", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  expect(v.host().counter("expires") == 2, "expires counter");
}

SH_TEST("book: FOK fills all at once or expires with no fill and leaves the book alone") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}});
  const int64_t t = minute(10);
  v.events(book("BTC", t, {{100, 1}, {101, 1}}, {}));
  auto r = v.submit(VenueOrder("k", "BTC", SH_SIDE_BUY, 3).tif(SH_TIF_FOK).at(t));
  r.expect_no_fill();
  r.expect_state("k", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  r = v.submit(VenueOrder("k2", "BTC", SH_SIDE_BUY, 2).limit(100.5).tif(SH_TIF_FOK).at(t));
  r.expect_no_fill();  // only 1 visible at or under 100.5
  r.expect_state("k2", SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY);
  r = v.submit(VenueOrder("f", "BTC", SH_SIDE_BUY, 2).tif(SH_TIF_FOK).at(t));
  r.expect_fill(0, "f", 1, 100);
  r.expect_fill(1, "f", 1, 101);
  r.expect_state("f", SH_ORDER_FILLED);
}

SH_TEST("book: a GTC market remainder keeps working and fills as the book refills") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}});
  const int64_t t = minute(10);
  v.events(book("BTC", t, {{100, 1}}, {{99, 1}}));
  auto r = v.submit(VenueOrder("g", "BTC", SH_SIDE_BUY, 3).at(t));
  r.expect_fill(0, "g", 1, 100);
  r.expect_state("g", SH_ORDER_PARTIALLY_FILLED);
  auto q = v.query_orders();
  q.expect_count(1);
  q.expect_state("g", SH_ORDER_PARTIALLY_FILLED);
  expect(q[0].raw.last_qty == 0 && near(q[0].raw.cum_qty, 1) && near(q[0].raw.leaves_qty, 2), q.describe());
  r = v.events({l2_event("BTC", t + 2 * kSecondNs, SH_SIDE_SELL, 100.5, 1)});
  r.expect_fill(0, "g", 1, 100.5);
  expect(r[0].raw.ts_ns == t + 2 * kSecondNs, "fill at the event's time: " + r.describe());
  r = v.events({l2_event("BTC", t + 3 * kSecondNs, SH_SIDE_SELL, 101, 5)});
  r.expect_fill(0, "g", 1, 101);
  r.expect_state("g", SH_ORDER_FILLED);
  expect(v.query_orders().empty(), "nothing working");
}

SH_TEST("book: without L2 a market order takes the BBO price and size") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}, {"taker_fee_bps", 1}});
  const int64_t t = minute(10);
  v.events({quote_event("ETH", t, 99, 2, 100, 1.5)});
  auto r = v.submit(VenueOrder("b", "ETH", SH_SIDE_BUY, 2).at(t));
  auto f = r.expect_fill(0, "b", 1.5, 100);
  expect_near(f.raw.fee_usd, 1.5 * 100 / 1e4, "fee");
  r.expect_state("b", SH_ORDER_PARTIALLY_FILLED);
  r = v.submit(VenueOrder("s", "ETH", SH_SIDE_SELL, 1).at(t));
  r.expect_fill(0, "s", 1, 99);
  r.expect_state("s", SH_ORDER_FILLED);
  r = v.events({quote_event("ETH", t + kSecondNs, 99.1, 2, 100.2, 5)});
  r.expect_fill(0, "b", 0.5, 100.2);
  r.expect_state("b", SH_ORDER_FILLED);
}

SH_TEST("book: a resting limit fills as maker at its limit when a trade prints through it or the BBO crosses it") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}, {"maker_fee_bps", 1}});
  const int64_t t = minute(10);
  v.events({quote_event("BTC", t, 99, 1, 100, 1)});
  expect_ack_only(v.submit(VenueOrder("b", "BTC", SH_SIDE_BUY, 1).limit(99.5).at(t)), "b");
  expect_ack_only(v.submit(VenueOrder("s", "BTC", SH_SIDE_SELL, 1).limit(101).at(t)), "s");
  v.events({trade_event("BTC", t + kSecondNs, 99.6, 3)}).expect_no_fill();
  auto r = v.events({trade_event("BTC", t + 2 * kSecondNs, 99.5, 3)});
  r.expect_count(1);
  auto f = r.expect_fill(0, "b", 1, 99.5);
  expect(f.raw.liquidity == SH_LIQUIDITY_MAKER, f.describe());
  expect_near(f.raw.fee_usd, 99.5 * 1 / 1e4, "maker fee");
  r = v.events({quote_event("BTC", t + 3 * kSecondNs, 101.2, 1, 101.5, 1)});
  f = r.expect_fill(0, "s", 1, 101);
  expect(f.raw.liquidity == SH_LIQUIDITY_MAKER && f.raw.ts_ns == t + 3 * kSecondNs, f.describe());
}

SH_TEST("book: latency holds the order until an event at or after ts + latency; a symbol with no book fills on bars") {
  Plugin plugin;
  auto v = plugin.venue({{"fill", "book"}, {"latency_ms", 500}, {"slippage_bps", 2}});
  const int64_t t = minute(10);
  v.events(book("BTC", t, {{100, 1}}, {}));
  expect_ack_only(v.submit(VenueOrder("o", "BTC", SH_SIDE_BUY, 1).at(t)), "o");
  v.events({l2_event("BTC", t + 100 * kMsNs, SH_SIDE_SELL, 100, 2)}).expect_no_fill();
  auto r = v.events({l2_event("BTC", t + 500 * kMsNs, SH_SIDE_SELL, 100.1, 1)});
  r.expect_fill(0, "o", 1, 100);
  // No book for SOL: its market order fills at a bar's open with slippage.
  expect_ack_only(v.submit(VenueOrder("sol", "SOL", SH_SIDE_BUY, 2).at_close(3)), "sol");
  v.bars(4, {VenueBar("SOL", 19, 21, 18, 20)}).expect_no_fill();  // 4:00 < 4:00.5
  v.bars(5, {VenueBar("SOL", 20, 21, 19, 20)}).expect_fill(0, "sol", 2, 20 * 1.0002);
}

SH_TEST("reduce-only: clamped to what is left to close, canceled (REDUCE_ONLY) with nothing left") {
  Plugin plugin;
  auto v = plugin.venue({{"slippage_bps", 0}});
  v.submit(VenueOrder("sig", "BTC", SH_SIDE_BUY, 2).at_close(3));
  v.submit(VenueOrder("flat", "BTC", SH_SIDE_SELL, 5).reduce_only().at_close(3));
  v.submit(VenueOrder("flat2", "BTC", SH_SIDE_SELL, 1).reduce_only().at_close(3));
  v.submit(VenueOrder("up", "ETH", SH_SIDE_BUY, 1).reduce_only().at_close(3));
  auto r = v.bars(4, {VenueBar("BTC", 100, 100, 100, 100), VenueBar("ETH", 10, 10, 10, 10)});
  r.expect_fill(0, "sig", 2, 100);
  const auto f = r.expect_fill(1, "flat", 2, 100);  // clamped from 5 to the 2 held
  expect(f.state() == SH_ORDER_FILLED && f.raw.leaves_qty == 0 && near(f.raw.cum_qty, 2), f.describe());
  r.expect_state("flat2", SH_ORDER_CANCELED, SH_VENUE_REASON_REDUCE_ONLY);
  r.expect_state("up", SH_ORDER_CANCELED, SH_VENUE_REASON_REDUCE_ONLY);
  expect(r.fills().size() == 2, r.describe());
  expect(v.query_positions().empty(), "flat after the reduce-only fill");
  expect(v.host().counter("cancels") == 2, "cancels counter");
  // A short is reduced by a reduce-only buy.
  v.submit(VenueOrder("short", "BTC", SH_SIDE_SELL, 3).at_close(4));
  v.submit(VenueOrder("cover", "BTC", SH_SIDE_BUY, 1).reduce_only().at_close(4));
  r = v.bars(5, {VenueBar("BTC", 100, 100, 100, 100)});
  r.expect_fill(1, "cover", 1, 100);
  expect_near(v.position("BTC").qty, -2, "short reduced by 1");
}

SH_TEST("cancel: a working order is CANCELED and never fills; an unknown or final id is an invalid argument naming it") {
  Plugin plugin;
  auto v = plugin.venue();
  v.submit(VenueOrder("lim", "BTC", SH_SIDE_BUY, 1).limit(90).at_close(3));
  auto r = v.cancel("lim");
  r.expect_count(1);
  const auto& c = r.expect_state("lim", SH_ORDER_CANCELED);
  expect(c.raw.leaves_qty == 0 && c.raw.cum_qty == 0 && c.raw.last_qty == 0, c.describe());
  v.bars(4, {VenueBar("BTC", 85, 86, 80, 85)}).expect_count(0);
  VenueReports none({});
  expect(v.try_cancel("lim", &none) == SH_ERR_INVALID_ARGUMENT, "cancel of a final order");
  expect(none.empty(), "no report for a refused cancel");
  expect(v.last_error().find("'lim'") != std::string::npos, "names the id: " + v.last_error());
  expect(v.try_cancel("nope") == SH_ERR_INVALID_ARGUMENT, "cancel of an unknown id");
  expect(v.last_error().find("'nope'") != std::string::npos, "names the id: " + v.last_error());
  expect(v.host().counter("cancels") == 1, "cancels counter");
}

SH_TEST("a client order id the venue knows reports its state and creates nothing") {
  Plugin plugin;
  auto v = plugin.venue();
  v.submit(VenueOrder("o1", "BTC", SH_SIDE_BUY, 1).at_close(3));
  auto r = v.submit(VenueOrder("o1", "BTC", SH_SIDE_BUY, 5).at_close(3));
  r.expect_count(1);
  r.expect_state("o1", SH_ORDER_ACKNOWLEDGED);
  expect_near(r[0].raw.leaves_qty, 1, "the first order's quantity, not the resubmit's");
  r = v.bars(4, {VenueBar("BTC", 100, 100, 100, 100)});
  expect(r.fills().size() == 1, r.describe());
  expect_near(r.filled("o1"), 1, "filled once, 1");
  r = v.submit(VenueOrder("o1", "BTC", SH_SIDE_BUY, 1).at_close(4));
  r.expect_count(1);
  r.expect_no_fill();
  expect_near(r.expect_state("o1", SH_ORDER_FILLED).raw.cum_qty, 1, "cum of the filled order");
  expect(v.bars(5, {VenueBar("BTC", 100, 100, 100, 100)}).empty(), "nothing new was created");
  expect(v.host().counter("orders_submitted") == 1, "one order");
}

SH_TEST("the venue remembers the last 100,000 finished orders, not every order ever made") {
  Plugin plugin;
  auto v = plugin.venue();
  // Rejected orders are finished orders too: 100,001 of them.
  for (int i = 0; i <= 100000; ++i) {
    v.submit(VenueOrder("x" + std::to_string(i), "BTC", SH_SIDE_BUY, 0).at_close(3))
        .expect_state("x" + std::to_string(i), SH_ORDER_REJECTED);
  }
  // The newest is known: its final state, nothing judged again.
  auto kept = v.submit(VenueOrder("x100000", "BTC", SH_SIDE_BUY, 0).at_close(3));
  kept.expect_count(1);
  expect(kept[0].detail.find("seen before") != std::string::npos, kept.describe());
  // The oldest was forgotten: judged again as a new order.
  auto old = v.submit(VenueOrder("x0", "BTC", SH_SIDE_BUY, 0).at_close(3));
  old.expect_count(1);
  old.expect_state("x0", SH_ORDER_REJECTED);
  expect(old[0].detail.find("qty") != std::string::npos, old.describe());
}

SH_TEST("malformed orders: one REJECTED report naming the field, nothing created") {
  Plugin plugin;
  auto v = plugin.venue();
  struct Case {
    VenueOrder order;
    std::string field;
    sh_venue_reason reason;
  };
  std::vector<Case> cases = {
      {VenueOrder("", "BTC", SH_SIDE_BUY, 1), "client_order_id", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("a", "BTC", SH_SIDE_UNKNOWN, 1), "side", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("b", "BTC", SH_SIDE_BUY, -1), "qty", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("c", "BTC", SH_SIDE_BUY, kNaN), "qty", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("d", "BTC", SH_SIDE_BUY, 1).type(7), "type", SH_VENUE_REASON_UNSUPPORTED},
      {VenueOrder("e", "BTC", SH_SIDE_BUY, 1).limit(kNaN), "limit_price", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("f", "BTC", SH_SIDE_BUY, 1).limit(-5), "limit_price", SH_VENUE_REASON_INVALID_ORDER},
      {VenueOrder("g", "BTC", SH_SIDE_BUY, 1).tif(9), "tif", SH_VENUE_REASON_UNSUPPORTED},
  };
  for (const auto& c : cases) {
    const auto r = v.submit(c.order);
    r.expect_count(1);
    const auto& rep = r.expect_state(c.order.id, SH_ORDER_REJECTED, c.reason);
    expect(rep.detail.find(c.field) != std::string::npos,
           "the detail names " + c.field + ": " + rep.describe());
  }
  expect(v.query_orders().empty(), "nothing working");
  expect(v.bars(4, {VenueBar("BTC", 100, 100, 100, 100)}).empty(), "nothing fills");
  expect(v.host().counter("rejects") == static_cast<int64_t>(cases.size()), "rejects counter");
  expect(v.host().counter("orders_submitted") == 0, "none submitted");
}

double pa_qty(Venue& v) { return v.position("BTC").qty; }

SH_TEST("save_state / load_state: a fresh instance loaded from the bytes continues identically") {
  Plugin plugin;
  const sh::testing::Json cfg = {{"maker_fee_bps", 1}, {"taker_fee_bps", 3}, {"latency_ms", 30000}};
  auto a = plugin.venue(cfg);
  a.submit(VenueOrder("pos", "BTC", SH_SIDE_BUY, 3).at_close(3));
  a.bars(4, {VenueBar("BTC", 100, 100, 100, 100)}).expect_no_fill();  // latency
  a.bars(5, {VenueBar("BTC", 100, 100, 100, 100)}).expect_fill(0, "pos", 3, 100.01);
  a.submit(VenueOrder("lim", "BTC", SH_SIDE_SELL, 1).limit(105).at_close(5));
  a.submit(VenueOrder("mkt", "ETH", SH_SIDE_BUY, 0.5).at_close(5));
  a.submit(VenueOrder("ro", "BTC", SH_SIDE_SELL, 1).reduce_only().at_close(5));
  const std::string bytes = a.save_state();
  expect(!bytes.empty() && bytes.find("lim") != std::string::npos, "state holds the working orders: " + bytes);
  expect(bytes.find("\"pos\"") == std::string::npos, "a finished id is not kept: " + bytes);

  auto b = plugin.venue(cfg);
  b.load_state(bytes);
  expect(dump(a.query_orders()) == dump(b.query_orders()), "the same working orders");
  expect(b.query_orders().size() == 3, "three working orders");
  const std::vector<VenueBar> m6 = {VenueBar("BTC", 101, 101, 101, 101), VenueBar("ETH", 10, 10, 10, 10)};
  const std::vector<VenueBar> m7 = {VenueBar("BTC", 102, 106, 101, 104)};
  // Minute 6: 6:00 < 6:00 + 30 s latency: nothing. Minute 7: all fill.
  const auto ra6 = a.bars(6, m6), rb6 = b.bars(6, m6);
  ra6.expect_no_fill();
  const auto ra = a.bars(7, m7), rb = b.bars(7, m7);
  expect(ra.fills().size() == 2, "lim and ro fill: " + ra.describe());
  expect(dump(ra) == dump(rb), "the same reports:\n" + ra.describe() + "\nvs\n" + rb.describe());
  ra.expect_fill(0, "lim", 1, 105);
  ra.expect_fill(1, "ro", 1, 102 * 0.9999);
  expect_near(pa_qty(a), 1, "3 bought, 2 sold");
  const sh_position pa = a.position("BTC"), pb = b.position("BTC");
  expect(pa.qty == pb.qty && pa.avg_price == pb.avg_price && pa.mark_price == pb.mark_price,
         "the same position");
  expect(dump(b.submit(VenueOrder("mkt", "ETH", SH_SIDE_BUY, 0.5))) ==
             dump(a.submit(VenueOrder("mkt", "ETH", SH_SIDE_BUY, 0.5))),
         "a known working id stays known after the load");

  // Ids with quotes, backslashes and control bytes, and doubles that need
  // all 17 digits, come back exactly.
  auto c = plugin.venue(cfg);
  const std::string odd = "q\"uo\\te\x01/\u00e9";
  c.submit(VenueOrder(odd, "BTC", SH_SIDE_BUY, 0.1 + 0.2).limit(1.0 / 3).at_close(5));
  auto d = plugin.venue(cfg);
  d.load_state(c.save_state());
  expect(d.query_orders().size() == 1, "the odd order: " + c.save_state());
  expect(dump(c.query_orders()) == dump(d.query_orders()), "exactly the same order:\n" + dump(c.query_orders()) +
                                                                 "vs\n" + dump(d.query_orders()));
  expect(c.save_state() == d.save_state(), "the same bytes again");

  // Mid mode keeps the last mids.
  auto m = plugin.venue({{"fill", "mid"}, {"slippage_bps", 0}});
  m.bars(3, {VenueBar("BTC", 100, 100, 100, 100, 100.25)});
  auto m2 = plugin.venue({{"fill", "mid"}, {"slippage_bps", 0}});
  m2.load_state(m.save_state());
  m2.submit(VenueOrder("x", "BTC", SH_SIDE_BUY, 1).at_close(3)).expect_fill(0, "x", 1, 100.25);
  // A replayed minute (at or before the last one seen) fills nothing.
  m2.submit(VenueOrder("y", "ETH", SH_SIDE_BUY, 1).at_close(2));
  m2.bars(3, {VenueBar("ETH", 10, 10, 10, 10)}).expect_count(0);
}

SH_TEST("load_state refuses unreadable bytes and the instance keeps working") {
  Plugin plugin;
  auto v = plugin.venue({{"slippage_bps", 0}});
  v.submit(VenueOrder("o", "BTC", SH_SIDE_BUY, 1).at_close(3));  // working when the loads fail
  for (const std::string bad : {"not json", "[1,2]", R"({"v":2})", R"({"v":1})",
                                R"({"v":1,"next_seq":1,"orders":[{"seq":1}],"positions":{},"mids":{}})",
                                R"({"v":1,"next_seq":5,"orders":[],"positions":{"BTC":{"qty":"x"}},"mids":{}})",
                                R"({"v":1,"next_seq":5,"orders":[{"seq":1,"id":"k","symbol":"BTC","ts_ns":0,"side":1,"type":3,"tif":1,"flags":0,"qty":1,"limit":null,"ref_price":null,"cum_qty":0,"attempted":false}],"positions":{},"mids":{}})"}) {
    expect(v.try_load_state(bad) != SH_OK, "refuses " + bad);
    expect(v.last_error().find("paper_venue state") != std::string::npos, "says why: " + v.last_error());
  }
  v.query_orders().expect_state("o", SH_ORDER_ACKNOWLEDGED);  // a refused load changed nothing
  v.bars(4, {VenueBar("BTC", 50, 50, 50, 50)}).expect_fill(0, "o", 1, 50);
  v.load_state("");  // nothing kept: nothing changes
  expect_near(v.position("BTC").qty, 1, "position kept");
}

SH_TEST("determinism: the same sequence twice gives identical reports") {
  Plugin plugin;
  const auto run = [&plugin] {
    auto v = plugin.venue({{"fill", "book"}, {"maker_fee_bps", -1}, {"taker_fee_bps", 4}, {"latency_ms", 10}});
    std::string out;
    size_t fills = 0;
    const auto add = [&](const VenueReports& r) {
      fills += r.fills().size();
      out += dump(r);
    };
    const int64_t t = minute(20);
    add(v.events(book("BTC", t, {{100, 0.3}, {100.5, 0.7}, {101, 2}}, {{99.5, 1}, {99, 4}})));
    add(v.submit(VenueOrder("a", "BTC", SH_SIDE_BUY, 1.5).at(t)));
    add(v.submit(VenueOrder("b", "BTC", SH_SIDE_SELL, 2).limit(99.2).tif(SH_TIF_IOC).at(t)));
    add(v.submit(VenueOrder("c", "BTC", SH_SIDE_BUY, 1).limit(99.8).at(t)));
    add(v.events({l2_event("BTC", t + 20 * kMsNs, SH_SIDE_SELL, 100.2, 1),
                          trade_event("BTC", t + 30 * kMsNs, 99.8, 1)}));
    add(v.submit(VenueOrder("d", "BTC", SH_SIDE_SELL, 3).reduce_only().at(t + kSecondNs)));
    add(v.events(book("BTC", t + 2 * kSecondNs, {{101, 1}}, {{100, 5}})));
    add(v.query_orders());
    expect(fills >= 5, "the sequence fills: " + std::to_string(fills) + "\n" + out);
    return out;
  };
  const std::string first = run(), second = run();
  expect(first == second, "different reports:\n" + first + "\nvs\n" + second);
}

// The host's built-in paper broker, as a reference: what the default config
// must reproduce fill for fill (the default run's digest must not change).
// Pending orders fill at the next close's open +/- slippage in submission
// order, whole; a NaN / non-positive open or no bar keeps them pending;
// reduce-only orders are clamped to the position or cancelled.
struct ReferenceBroker {
  struct Pending {
    std::string id, symbol;
    sh_side side;
    double qty;
    bool reduce_only;
  };
  struct Fill {
    std::string id;
    double qty, price;
    int64_t ts;
  };
  double bps = 1.0;
  std::vector<Pending> pending;
  std::map<std::string, std::pair<double, double>> pos;  // qty, avg
  std::vector<Fill> on_close(int64_t ts, const std::map<std::string, double>& opens) {
    std::vector<Fill> out;
    std::vector<Pending> keep;
    for (Pending& o : pending) {
      auto it = opens.find(o.symbol);
      if (it == opens.end() || !(std::isfinite(it->second) && it->second > 0.0)) {
        keep.push_back(o);
        continue;
      }
      auto& [q, avg] = pos[o.symbol];
      if (o.reduce_only) {
        const bool closes = o.side == SH_SIDE_SELL ? q > 0.0 : q < 0.0;
        if (!closes) continue;  // cancelled
        o.qty = std::min(o.qty, std::fabs(q));
      }
      const double dir = o.side == SH_SIDE_BUY ? 1.0 : -1.0;
      const double open = it->second;
      const double price = open + dir * open * bps / 10000.0;
      const double d = dir * o.qty;
      if (q == 0.0 || (q > 0.0) == (d > 0.0)) {
        avg = (std::fabs(q) * avg + std::fabs(d) * price) / std::fabs(q + d);
        q += d;
      } else {
        if (std::fabs(d) > std::fabs(q)) avg = price;
        else if (std::fabs(d) == std::fabs(q)) avg = 0.0;
        q = std::fabs(d) == std::fabs(q) ? 0.0 : q + d;
      }
      out.push_back({o.id, o.qty, price, ts});
    }
    pending = keep;
    return out;
  }
};

SH_TEST("parity: the default config fills exactly as the host's paper broker over 300 minutes of mixed orders") {
  Plugin plugin;
  auto v = plugin.venue();
  ReferenceBroker ref;
  uint64_t seed = 42;
  const auto rnd = [&seed] {  // deterministic LCG in [0, 1)
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(seed >> 11) / 9007199254740992.0;
  };
  const std::vector<std::string> symbols = {"BTC", "ETH", "SOL"};
  std::map<std::string, double> price = {{"BTC", 40000}, {"ETH", 2500}, {"SOL", 90}};
  size_t fills = 0, reduce_only_fills = 0, pending_waits = 0;
  int order_no = 0;
  for (int m = 0; m < 300; ++m) {
    std::vector<VenueBar> bars;
    std::map<std::string, double> opens;
    for (const auto& s : symbols) {
      if (rnd() < 0.15) continue;  // no bar this minute
      price[s] *= 1.0 + (rnd() - 0.5) * 0.01;
      const double open = rnd() < 0.08 ? kNaN : price[s];
      bars.emplace_back(s, open, price[s] * 1.002, price[s] * 0.998, price[s]);
      opens[s] = open;
      if (!std::isfinite(open)) ++pending_waits;
    }
    const auto got = v.bars(m, bars).fills();
    const auto want = ref.on_close(minute(m), opens);
    expect(got.size() == want.size(), "minute " + std::to_string(m) + ": " + std::to_string(got.size()) +
                                          " fills, the broker makes " + std::to_string(want.size()));
    for (size_t i = 0; i < got.size(); ++i) {
      expect(got[i].id == want[i].id && got[i].raw.last_qty == want[i].qty &&
                 got[i].raw.last_price == want[i].price && got[i].raw.ts_ns == want[i].ts,
             "minute " + std::to_string(m) + " fill " + std::to_string(i) + ": " + got[i].describe() +
                 ", the broker fills " + want[i].id + " " + std::to_string(want[i].qty) + " @ " +
                 std::to_string(want[i].price));
      ++fills;
      reduce_only_fills += want[i].id[0] == 'r' ? 1 : 0;
    }
    const int n = static_cast<int>(rnd() * 4);
    for (int k = 0; k < n; ++k) {
      const std::string& s = symbols[static_cast<size_t>(rnd() * symbols.size())];
      const bool ro = rnd() < 0.25;
      const sh_side side = rnd() < 0.5 ? SH_SIDE_BUY : SH_SIDE_SELL;
      const double qty = std::round((0.1 + rnd() * 2) * 1000) / 1000;
      const std::string id = (ro ? "r" : "o") + std::to_string(order_no++);
      VenueOrder o(id, s, side, qty);
      o.at_close(m).ref(price[s]);
      if (ro) o.reduce_only();
      v.submit(o).expect_state(id, SH_ORDER_ACKNOWLEDGED);
      ref.pending.push_back({id, s, side, qty, ro});
    }
  }
  expect(fills > 200 && reduce_only_fills > 20 && pending_waits > 10,
         "the run exercises fills (" + std::to_string(fills) + "), reduce-only fills (" +
             std::to_string(reduce_only_fills) + ") and NaN opens (" + std::to_string(pending_waits) + ")");
  for (const auto& s : symbols) {
    const auto& [q, avg] = ref.pos[s];
    double vq = 0, vavg = 0;
    for (const auto& p : v.query_positions())
      if (p.symbol == s) vq = p.raw.qty, vavg = p.raw.avg_price;
    expect(vq == q && (q == 0.0 || vavg == avg),
           s + " position " + std::to_string(vq) + " @ " + std::to_string(vavg) + ", the broker's " +
               std::to_string(q) + " @ " + std::to_string(avg));
  }
}
