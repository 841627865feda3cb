// Helpers of the conveyor tests: event makers and a Feed (a conveyor plus
// everything it closed).
#pragma once

#include <strategy_host/abi.h>

#include <cstring>
#include <vector>

#include "conveyor/conveyor.h"
#include "support/market_event.h"

namespace sh_test {

using sh::host::Conveyor;
using sh::host::ConveyorConfig;
using sh::host::MinuteClose;

inline constexpr int64_t kMs = 1'000'000;
inline constexpr int64_t kSec = 1'000'000'000;
inline constexpr int64_t kMin = 60 * kSec;
inline constexpr int64_t kDay = 86'400 * kSec;

inline sh_market_event trade(sh_symbol_id sym, int64_t ts_ns, double px, double sz, int64_t recv_ns = 0) {
  sh_market_event e = make_event(SH_EVENT_TRADE, sym, ts_ns);
  e.data.trade.price = px;
  e.data.trade.size = sz;
  e.recv_ts_ns = recv_ns;
  return e;
}
inline sh_market_event quote(sh_symbol_id sym, int64_t ts_ns, double bid, double ask) {
  sh_market_event e = make_event(SH_EVENT_QUOTE, sym, ts_ns);
  e.data.quote.bid = bid;
  e.data.quote.ask = ask;
  e.data.quote.bid_size = 1;
  e.data.quote.ask_size = 1;
  return e;
}
inline sh_market_event l2(sh_symbol_id sym, int64_t ts_ns, sh_side side, uint32_t level, double px,
                   double sz, uint32_t flags = 0) {
  sh_market_event e = make_event(SH_EVENT_L2, sym, ts_ns);
  e.data.l2.side = side;
  e.data.l2.level = level;
  e.data.l2.price = px;
  e.data.l2.size = sz;
  e.flags = flags;
  return e;
}
inline sh_market_event bar(sh_symbol_id sym, int64_t open_ts_ns, int64_t duration_ns, double o, double h,
                    double l, double c, double v) {
  sh_market_event e = make_event(SH_EVENT_BAR, sym, open_ts_ns);
  e.data.bar = sh_bar{o, h, l, c, v, duration_ns};
  return e;
}

// A conveyor plus everything it has closed so far.
struct Feed {
  explicit Feed(ConveyorConfig cfg = {}) : conveyor(cfg) {}
  void push(const sh_market_event& e) { conveyor.on_events(&e, 1, sizeof e, closed); }
  void push(const std::vector<sh_market_event>& es) {
    conveyor.on_events(es.data(), es.size(), sizeof(sh_market_event), closed);
  }
  // The row of `sym` in the close of minute_ts_ns, or nullptr.
  const sh_feature_row* row(int64_t minute_ts_ns, sh_symbol_id sym) const {
    for (const MinuteClose& mc : closed) {
      if (mc.minute_ts_ns != minute_ts_ns) continue;
      for (const sh_feature_row& r : mc.rows)
        if (r.symbol == sym) return &r;
    }
    return nullptr;
  }
  Conveyor conveyor;
  std::vector<MinuteClose> closed;
};


}  // namespace sh_test
