// Per-symbol accumulation of one symbol's events into bars, and its book.
#ifndef SH_HOST_CONVEYOR_BAR_BUILDER_H
#define SH_HOST_CONVEYOR_BAR_BUILDER_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "conveyor/indicators.h"

namespace sh::host {

inline constexpr int64_t kNoTimeNs = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kNoMinute = std::numeric_limits<int64_t>::min();

// The book of a symbol as of some instant, reduced to what rows need.
struct BookView {
  int64_t ts_ns = kNoTimeNs;  // last applied book update; kNoTimeNs = no book yet
  double bid = kNullValue;    // from the last quote; from L2 level 0 if no quote ever
  double ask = kNullValue;
  double l2_bid_depth = kNullValue;  // sum of sizes over the top N bid levels; NaN if no L2
  double l2_ask_depth = kNullValue;

  bool has_book() const { return ts_ns != kNoTimeNs; }
};

// One interval's accumulators of one symbol. An interval is a conveyor
// minute [idx * interval, (idx + 1) * interval).
struct BarSlot {
  int64_t minute_idx = kNoMinute;  // kNoMinute: slot free

  // Trades with event time in the interval. open/close are the trades with
  // the smallest/largest ts_ns (ties: first/last to arrive).
  uint32_t trades = 0;
  double open = 0, high = 0, low = 0, close = 0;
  int64_t open_ts_ns = 0, close_ts_ns = 0;
  double volume = 0;    // base units
  double notional = 0;  // sum of price * size

  // An event of the interval carried SH_EVENT_FLAG_GAP (the provider lost
  // data before it: a sequence gap, a dropped frame): the row is dq gap.
  bool feed_gap = false;

  // Ingest lag over the interval's events with a receive time.
  double lag_sum_ns = 0;
  uint32_t lag_count = 0;

  // The book after the last book update that fell into this interval.
  bool has_book_update = false;
  BookView book;

  // An arrived SH_EVENT_BAR whose last instant falls into this interval.
  bool has_bar = false;
  int64_t bar_start_ns = 0, bar_end_ns = 0;
  sh_bar bar{};
};

// A symbol's bar for one closed interval, before features are computed.
struct ClosedBar {
  int64_t start_ns;  // row minute_ts_ns (an arrived bar's open time)
  int64_t end_ns;    // start + the row's interval (the bar's duration for arrived bars)
  bool from_bar;     // an arrived SH_EVENT_BAR
  bool mid_close;    // no trades: OHLC is the BBO mid at close
  double open, high, low, close;
  double volume, vwap, trade_count;
  uint32_t in_interval_trades;
  uint32_t late_events;  // late events of this symbol since its previous row
  uint32_t late_folded;  // of which folded into this row's volume / VWAP / count
  BookView book;         // as of end_ns
  double ingest_lag_ms;
  bool feed_gap;         // the provider flagged a gap in the interval (or since the last row)
};

// All bar state of one symbol: up to `slot_count` open intervals (the
// conveyor keeps at most lateness / interval + 2 open at once), the live
// book, the book as of the last closed interval, and late events waiting to
// be folded into the next row. Memory is fixed at construction.
//
// Book state is last-writer-by-event-time: an update older than the newest
// applied one is superseded and ignored (providers emit non-decreasing ts per
// symbol, so this only drops out-of-order duplicates). Because a symbol's
// events arrive in time order, the book after the last update inside an
// interval is the book at that interval's end, even when later intervals'
// updates arrive before the interval closes.
class BarBuilder {
 public:
  BarBuilder(uint32_t slot_count, uint32_t l2_levels);

  // The slot of interval minute_idx, claimed if free. The caller guarantees
  // the interval is open (not closed, not late) so the slot cannot hold
  // another open interval.
  BarSlot& slot(int64_t minute_idx) {
    BarSlot& s = slots_[slot_index(minute_idx)];
    if (s.minute_idx != minute_idx) {
      s = BarSlot{};
      s.minute_idx = minute_idx;
    }
    return s;
  }

  // Starts loading the slot of interval minute_idx (event path look-ahead).
  void prefetch_slot(int64_t minute_idx) const {
    const char* p = reinterpret_cast<const char*>(&slots_[slot_index(minute_idx)]);
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + 64, 1);
    __builtin_prefetch(p + 128, 1);
    __builtin_prefetch(p + sizeof(BarSlot) - 1, 1);
  }

  static void add_trade(BarSlot& s, int64_t ts_ns, double price, double size) {
    if (s.trades == 0) {
      s.open = s.high = s.low = s.close = price;
      s.open_ts_ns = s.close_ts_ns = ts_ns;
    } else {
      if (price > s.high) s.high = price;
      if (price < s.low) s.low = price;
      if (ts_ns < s.open_ts_ns) {
        s.open = price;
        s.open_ts_ns = ts_ns;
      }
      if (ts_ns >= s.close_ts_ns) {
        s.close = price;
        s.close_ts_ns = ts_ns;
      }
    }
    ++s.trades;
    s.volume += size;
    s.notional += price * size;
  }

  static void add_lag(BarSlot& s, int64_t lag_ns) {
    s.lag_sum_ns += static_cast<double>(lag_ns);
    ++s.lag_count;
  }

  // Book updates. Return false if superseded (older than the live book).
  bool apply_quote(int64_t ts_ns, const sh_quote& q);
  bool apply_l2(int64_t ts_ns, const sh_l2_level& l, bool snapshot);
  // Records the live book as the slot's book at its end.
  void mark_book(BarSlot& s) const {
    s.has_book_update = true;
    s.book = live_;
  }

  // An arrived bar covering [start_ns, end_ns). A bar with the same start as
  // the slot's bar replaces it (a correction); otherwise the two are merged
  // (earliest open, latest close, extreme high/low, summed volume).
  static void add_bar(BarSlot& s, int64_t start_ns, int64_t end_ns, const sh_bar& b);

  // Late events (their interval already closed), LatePolicy::Fold: a trade's
  // size and notional wait for the symbol's next row; a book update is
  // applied to the live book and, being older than every open interval, to
  // the closed book too.
  void fold_late_trade(double price, double size) {
    pending_volume_ += size;
    pending_notional_ += price * size;
    ++pending_trades_;
    ++pending_late_folded_;
    ++pending_late_events_;
  }
  // `applied` is what apply_quote/apply_l2 returned for the late update: if
  // it was applied, the live book holds nothing newer than it (so nothing from
  // an open interval) and becomes the closed book.
  void fold_late_book(bool applied) {
    if (applied && live_.ts_ns > closed_book_.ts_ns) closed_book_ = live_;
    ++pending_late_folded_;
    ++pending_late_events_;
  }
  // A late arrived bar (LatePolicy::Fold): its volume, and close * volume as
  // notional, wait for the next row; the trade count is unknown.
  void fold_late_bar(double close, double volume) {
    pending_volume_ += volume;
    pending_notional_ += close * volume;
    ++pending_late_folded_;
    ++pending_late_events_;
  }
  // A late event that changes nothing (LatePolicy::Report).
  void count_late_unfolded() { ++pending_late_events_; }

  // Closes interval minute_idx = [start_ns, start_ns + interval_ns): frees its
  // slot, advances the closed book, and, if the symbol has something to
  // close from (trades, an arrived bar, or a two-sided book for mid_close),
  // fills *out (with pending late folds applied) and returns true.
  bool close(int64_t minute_idx, int64_t start_ns, int64_t interval_ns, ClosedBar* out);

  const BookView& live_book() const { return live_; }
  size_t heap_bytes() const;

 private:
  size_t slot_index(int64_t minute_idx) const {
    const int64_t n = static_cast<int64_t>(slots_.size());
    const int64_t r = minute_idx % n;
    return static_cast<size_t>(r < 0 ? r + n : r);
  }
  void refresh_l2_view();

  std::vector<BarSlot> slots_;
  bool has_quote_ = false;
  BookView live_;
  BookView closed_book_;  // the book as of the end of the last closed interval

  // Top N levels per side, position-indexed (level 0 = best); size 0 = empty.
  std::vector<double> bid_px_, bid_sz_, ask_px_, ask_sz_;
  bool has_l2_ = false;

  double pending_volume_ = 0;
  double pending_notional_ = 0;
  uint32_t pending_trades_ = 0;
  uint32_t pending_late_folded_ = 0;
  uint32_t pending_late_events_ = 0;
  bool pending_feed_gap_ = false;  // a flagged gap not yet reported in a row
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_BAR_BUILDER_H
