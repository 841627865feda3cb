#include "conveyor/bar_builder.h"

#include <cmath>

namespace sh::host {

BarBuilder::BarBuilder(uint32_t slot_count, uint32_t l2_levels)
    : slots_(slot_count < 1 ? 1 : slot_count),
      bid_px_(l2_levels, kNullValue),
      bid_sz_(l2_levels, 0.0),
      ask_px_(l2_levels, kNullValue),
      ask_sz_(l2_levels, 0.0) {}

size_t BarBuilder::heap_bytes() const {
  return slots_.capacity() * sizeof(BarSlot) +
         (bid_px_.capacity() + bid_sz_.capacity() + ask_px_.capacity() + ask_sz_.capacity()) *
             sizeof(double);
}

bool BarBuilder::apply_quote(int64_t ts_ns, const sh_quote& q) {
  if (ts_ns < live_.ts_ns) return false;
  has_quote_ = true;
  live_.ts_ns = ts_ns;
  live_.bid = q.bid;
  live_.ask = q.ask;
  return true;
}

bool BarBuilder::apply_l2(int64_t ts_ns, const sh_l2_level& l, bool snapshot) {
  if (ts_ns < live_.ts_ns) return false;
  if (snapshot) {
    for (size_t i = 0; i < bid_px_.size(); ++i) {
      bid_px_[i] = ask_px_[i] = kNullValue;
      bid_sz_[i] = ask_sz_[i] = 0.0;
    }
  }
  // Levels beyond the top N do not enter l2_imbalance but still count as a
  // book update (the book is alive).
  if (l.level < bid_px_.size()) {
    const bool bid = l.side == SH_SIDE_BUY;
    std::vector<double>& px = bid ? bid_px_ : ask_px_;
    std::vector<double>& sz = bid ? bid_sz_ : ask_sz_;
    px[l.level] = l.size > 0.0 ? l.price : kNullValue;
    sz[l.level] = l.size > 0.0 ? l.size : 0.0;
  }
  has_l2_ = true;
  live_.ts_ns = ts_ns;
  refresh_l2_view();
  return true;
}

void BarBuilder::refresh_l2_view() {
  double bid_depth = 0.0, ask_depth = 0.0;
  for (size_t i = 0; i < bid_sz_.size(); ++i) {
    bid_depth += bid_sz_[i];
    ask_depth += ask_sz_[i];
  }
  live_.l2_bid_depth = bid_depth;
  live_.l2_ask_depth = ask_depth;
  if (!has_quote_) {  // no BBO stream: the top of the L2 book is the BBO
    live_.bid = bid_sz_[0] > 0.0 ? bid_px_[0] : kNullValue;
    live_.ask = ask_sz_[0] > 0.0 ? ask_px_[0] : kNullValue;
  }
}

void BarBuilder::add_bar(BarSlot& s, int64_t start_ns, int64_t end_ns, const sh_bar& b) {
  if (!s.has_bar || start_ns == s.bar_start_ns) {
    s.has_bar = true;
    s.bar_start_ns = start_ns;
    s.bar_end_ns = end_ns;
    s.bar = b;
    return;
  }
  if (start_ns < s.bar_start_ns) {
    s.bar.open = b.open;
    s.bar_start_ns = start_ns;
  }
  if (end_ns >= s.bar_end_ns) {
    s.bar.close = b.close;
    s.bar_end_ns = end_ns;
  }
  if (b.high > s.bar.high) s.bar.high = b.high;
  if (b.low < s.bar.low) s.bar.low = b.low;
  s.bar.volume += b.volume;
  s.bar.duration_ns = s.bar_end_ns - s.bar_start_ns;
}

bool BarBuilder::close(int64_t minute_idx, int64_t start_ns, int64_t interval_ns, ClosedBar* out) {
  BarSlot* s = &slots_[slot_index(minute_idx)];
  if (s->minute_idx != minute_idx) s = nullptr;
  if (s != nullptr && s->feed_gap) pending_feed_gap_ = true;
  if (s != nullptr && s->has_book_update && s->book.ts_ns >= closed_book_.ts_ns) {
    closed_book_ = s->book;
  }

  ClosedBar& o = *out;
  o.from_bar = false;
  o.mid_close = false;
  o.in_interval_trades = s != nullptr ? s->trades : 0;
  o.start_ns = start_ns;
  o.end_ns = start_ns + interval_ns;
  bool has_row = true;
  if (s != nullptr && s->has_bar) {
    // An arrived bar is the symbol's bar for this interval; trades that fell
    // into the interval as well do not change it.
    o.from_bar = true;
    o.start_ns = s->bar_start_ns;
    o.end_ns = s->bar_end_ns;
    o.open = s->bar.open;
    o.high = s->bar.high;
    o.low = s->bar.low;
    o.close = s->bar.close;
    o.volume = s->bar.volume;
    o.vwap = kNullValue;         // not carried by a bar
    o.trade_count = kNullValue;  // not carried by a bar
  } else if (s != nullptr && s->trades > 0) {
    o.open = s->open;
    o.high = s->high;
    o.low = s->low;
    o.close = s->close;
    o.volume = s->volume;
    o.vwap = s->notional / s->volume;
    o.trade_count = s->trades;
  } else if (closed_book_.bid > 0.0 && closed_book_.ask > 0.0) {  // NaN compares false
    const double mid = 0.5 * (closed_book_.bid + closed_book_.ask);
    o.mid_close = true;
    o.open = o.high = o.low = o.close = mid;
    o.volume = 0.0;
    o.vwap = kNullValue;
    o.trade_count = 0.0;
  } else {
    has_row = false;  // nothing to close from: no trades, no bar, no two-sided book
  }

  if (has_row) {
    o.book = closed_book_;
    o.ingest_lag_ms =
        (s != nullptr && s->lag_count > 0) ? s->lag_sum_ns / s->lag_count / 1e6 : kNullValue;
    o.late_events = pending_late_events_;
    o.late_folded = pending_late_folded_;
    o.feed_gap = pending_feed_gap_;
    pending_feed_gap_ = false;
    if (pending_trades_ > 0 || pending_volume_ > 0.0) {
      const double notional = (o.from_bar || o.mid_close ? 0.0 : s->notional) + pending_notional_;
      o.volume += pending_volume_;
      if (!o.from_bar) {
        o.trade_count += pending_trades_;
        o.vwap = notional / (o.volume);
      }
    }
    pending_volume_ = pending_notional_ = 0.0;
    pending_trades_ = pending_late_folded_ = pending_late_events_ = 0;
  }
  if (s != nullptr) *s = BarSlot{};
  return has_row;
}

}  // namespace sh::host
