// [conveyor][hostile] The market-data guard: implausible prints and sizes and
// repeated trades are quarantined by reason; a real move is accepted once the
// next trade confirms it; per-symbol limits override the defaults.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>

#include "conveyor/market_data_guard.h"

using namespace sh::host;

namespace {

const char* names(void*, sh_symbol_id id) { return id == 1 ? "BTC" : id == 2 ? "DOGE" : nullptr; }

sh_market_event trade(sh_symbol_id sym, double price, double size = 1, uint64_t id = 0) {
  sh_market_event e{};
  e.struct_size = sizeof e;
  e.type = SH_EVENT_TRADE;
  e.symbol = sym;
  e.data.trade.price = price;
  e.data.trade.size = size;
  e.data.trade.trade_id = id;
  return e;
}

sh_market_event quote(sh_symbol_id sym, double bid, double ask) {
  sh_market_event e{};
  e.struct_size = sizeof e;
  e.type = SH_EVENT_QUOTE;
  e.symbol = sym;
  e.data.quote = {bid, 1, ask, 1};
  return e;
}

}  // namespace

TEST_CASE("absurd prices and sizes are quarantined by reason", "[conveyor][hostile]") {
  MarketDataGuard g(MarketDataGuardConfig{}, names, nullptr);
  CHECK(g.check(trade(1, 42000)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 1e300)) == Quarantine::kPriceBounds);
  CHECK(g.check(trade(1, 1e-300)) == Quarantine::kPriceBounds);
  CHECK(g.check(trade(1, std::numeric_limits<double>::quiet_NaN())) == Quarantine::kNonFinite);
  CHECK(g.check(trade(1, 42000, 1e18)) == Quarantine::kSizeBounds);
  CHECK(g.check(quote(1, 41999, 1e300)) == Quarantine::kPriceBounds);
  CHECK(g.check(quote(1, 41999, 42001)) == Quarantine::kNone);
  CHECK(g.describe(trade(1, 1e300), Quarantine::kPriceBounds) == "price 1e+300 outside [1e-12, 1e+12]");
  CHECK(g.describe(quote(1, 41999, 1e300), Quarantine::kPriceBounds) == "price 1e+300 outside [1e-12, 1e+12]");
  CHECK(g.quarantined(Quarantine::kPriceBounds) == 3);
  CHECK(g.quarantined_total() == 5);
}

TEST_CASE("a price jump is held until the next trade confirms the new level", "[conveyor][hostile]") {
  MarketDataGuardConfig cfg;
  cfg.defaults.max_jump_bps = 1000;  // 10 %
  MarketDataGuard g(cfg, names, nullptr);
  CHECK(g.check(trade(1, 100)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 105)) == Quarantine::kNone);
  // A fat-finger print: quarantined, and the next normal trade is accepted.
  CHECK(g.check(trade(1, 1050)) == Quarantine::kPriceJump);
  CHECK(g.describe(trade(1, 1050), Quarantine::kPriceJump).rfind("price 1050 is 90000 bps from the last trade 105", 0) == 0);
  CHECK(g.check(trade(1, 104)) == Quarantine::kNone);
  // A real crash: the first print is held, the second confirms it.
  CHECK(g.check(trade(1, 70)) == Quarantine::kPriceJump);
  CHECK(g.check(trade(1, 69.5)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 69)) == Quarantine::kNone);  // the reference moved
  CHECK(g.quarantined(Quarantine::kPriceJump) == 2);
  // Each symbol has its own reference.
  CHECK(g.check(trade(2, 0.08)) == Quarantine::kNone);
}

TEST_CASE("a trade id seen before is a duplicate, per symbol", "[conveyor][hostile]") {
  MarketDataGuardConfig cfg;
  cfg.dedupe_window = 3;
  MarketDataGuard g(cfg, names, nullptr);
  CHECK(g.check(trade(1, 100, 1, 7)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 7)) == Quarantine::kDuplicateTrade);
  CHECK(g.check(trade(1, 100, 1, 7)) == Quarantine::kDuplicateTrade);
  CHECK(g.check(trade(2, 0.1, 1, 7)) == Quarantine::kNone);  // another symbol's id 7
  CHECK(g.check(trade(1, 100, 1, 0)) == Quarantine::kNone);  // 0: unknown id, never a duplicate
  CHECK(g.check(trade(1, 100, 1, 0)) == Quarantine::kNone);
  // Out of order within the window: 5 is new, then a duplicate.
  CHECK(g.check(trade(1, 100, 1, 5)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 5)) == Quarantine::kDuplicateTrade);
  // The window (3 ids below the highest): after 8, 9, 10, id 7 is outside it
  // and not checked; 9 and 10 are.
  for (uint64_t id : {8, 9, 10}) CHECK(g.check(trade(1, 100, 1, id)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 7)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 10)) == Quarantine::kDuplicateTrade);
  CHECK(g.check(trade(1, 100, 1, 9)) == Quarantine::kDuplicateTrade);
  // A jump far ahead clears the window.
  CHECK(g.check(trade(1, 100, 1, 1000)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 999)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 100, 1, 1000)) == Quarantine::kDuplicateTrade);
  CHECK(g.quarantined(Quarantine::kDuplicateTrade) == 6);
}

TEST_CASE("duplicates are found exactly with venue-wide ids: gaps of any size, windows not a multiple of 64",
          "[conveyor][hostile]") {
  // Ids from 1, and from 2^40 (blocks beyond 32 bits take the other path).
  for (const uint64_t first : {uint64_t{1}, uint64_t{1} << 40})
  for (const uint64_t window : {uint64_t{100}, uint64_t{64}, uint64_t{1000}, uint64_t{63}, uint64_t{65536}}) {
    MarketDataGuardConfig cfg;
    cfg.dedupe_window = window;
    MarketDataGuard g(cfg, names, nullptr);
    // The model: every id seen, and the highest; an id in (highest - window,
    // highest] that was seen is a duplicate, anything older is not checked.
    std::set<uint64_t> seen;
    uint64_t highest = 0, x = 88172645463325252ULL, id = first;
    for (int i = 0; i < 20000; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      // Mostly forward by gaps of 1..300 (the other symbols' trades),
      // sometimes back into or below the window (a replayed trade).
      const uint64_t r = x % 100;
      if (r < 80) id += 1 + (x >> 8) % 300;
      else if (id > first + 200) id -= (x >> 8) % 200;
      const bool in_window = highest == 0 || id > highest || highest - id < window;
      const bool duplicate = in_window && seen.count(id) == 1;
      INFO("window " << window << ", step " << i << ", id " << id << ", highest " << highest);
      REQUIRE((g.check(trade(1, 100, 1, id)) == Quarantine::kDuplicateTrade) == duplicate);
      if (id > highest && highest != 0 && id - highest >= window) seen.clear();
      seen.insert(id);
      highest = std::max(highest, id);
    }
  }
}

TEST_CASE("per-symbol limits override the defaults, bad limits are refused", "[conveyor][hostile]") {
  MarketDataGuardConfig cfg;
  cfg.defaults.max_jump_bps = 0;  // off
  MarketDataLimits doge;
  doge.max_price = 10;
  cfg.by_symbol["DOGE"] = doge;
  MarketDataGuard g(cfg, names, nullptr);
  CHECK(g.check(trade(2, 20)) == Quarantine::kPriceBounds);
  CHECK(g.check(trade(1, 20)) == Quarantine::kNone);
  CHECK(g.check(trade(1, 2000)) == Quarantine::kNone);  // jumps allowed when off
  cfg.by_symbol["DOGE"].max_jump_bps = -1;
  CHECK(cfg.validate() == "market_data.symbols.DOGE.max_jump_bps must be a finite number >= 0");
  cfg.by_symbol.clear();
  cfg.defaults.max_price = 0;
  CHECK(cfg.validate() == "market_data.max_price must be finite and > min_price");
}
