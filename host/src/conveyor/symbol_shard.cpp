#include "conveyor/symbol_shard.h"

#include "conveyor/conveyor.h"

#include <algorithm>
#include <cstring>

#include "conveyor/bar_builder.h"
#include "conveyor/baseline.h"
#include "conveyor/dq.h"
#include "conveyor/feature_engine.h"

namespace sh::host {
namespace {

// Adds an admitted, timely event to its symbol's bar slot.
inline void add_to_slot(BarBuilder& bars, BarSlot& slot, const sh_market_event& ev,
                        int64_t bar_end_ns) {
  switch (ev.type) {
    case SH_EVENT_TRADE:
      BarBuilder::add_trade(slot, ev.ts_ns, ev.data.trade.price, ev.data.trade.size);
      break;
    case SH_EVENT_QUOTE:
      if (bars.apply_quote(ev.ts_ns, ev.data.quote)) bars.mark_book(slot);
      break;
    case SH_EVENT_L2:
      if (bars.apply_l2(ev.ts_ns, ev.data.l2, (ev.flags & SH_EVENT_FLAG_SNAPSHOT) != 0)) {
        bars.mark_book(slot);
      }
      break;
    default:
      BarBuilder::add_bar(slot, ev.ts_ns, bar_end_ns, ev.data.bar);
      break;
  }
}

}  // namespace

struct SymbolShard::SymbolState {
  SymbolState(const ConveyorConfig& c, uint32_t slot_count, ZeroPages* pages)
      : bars(slot_count, c.l2_levels),
        features(*c.features),
        baselines(c.baseline_window, c.baseline_warmup, pages) {}

  BarBuilder bars;
  FeatureState features;
  SymbolBaselines baselines;
  bool has_row = false;
  int64_t last_row_end_ns = 0;  // minute_ts_ns + interval of the last emitted row
  int64_t last_event_ns = INT64_MIN;  // latest event time accepted (feed staleness)
};

SymbolShard::SymbolShard(const ConveyorConfig& config, uint32_t slot_count, uint32_t index,
                         uint32_t count)
    : config_(std::make_unique<const ConveyorConfig>(config)), slot_count_(slot_count), index_(index), count_(count) {}

SymbolShard::~SymbolShard() = default;

SymbolShard::SymbolState& SymbolShard::state(sh_symbol_id id) {
  const size_t at = local(id);
  if (at >= symbols_.size()) symbols_.resize(at + 1);  // a new symbol: the only growth
  std::unique_ptr<SymbolState>& p = symbols_[at];
  if (!p) {
    p = std::make_unique<SymbolState>(*config_, slot_count_, &baseline_pages_);
    ++seen_;
  }
  return *p;
}

const SymbolShard::SymbolState* SymbolShard::find(sh_symbol_id id) const {
  const size_t at = local(id);
  return id % count_ == index_ && at < symbols_.size() ? symbols_[at].get() : nullptr;
}

size_t SymbolShard::symbol_state_bytes(sh_symbol_id id) const {
  const SymbolState* st = find(id);
  if (st == nullptr) return 0;
  return sizeof(SymbolState) + sizeof(std::unique_ptr<SymbolState>) + sizeof(uint64_t) +
         st->bars.heap_bytes() + st->baselines.heap_bytes() + st->features.heap_bytes();
}

void SymbolShard::prefetch_state(sh_symbol_id id) const {
  const size_t at = local(id);
  if (at >= symbols_.size()) return;
  const SymbolState* st = symbols_[at].get();
  if (st == nullptr) return;
  __builtin_prefetch(st);
  __builtin_prefetch(reinterpret_cast<const char*>(st) + 64);
}

void SymbolShard::prefetch_slot(sh_symbol_id id, int64_t minute_idx) const {
  const size_t at = local(id);
  if (at >= symbols_.size()) return;
  const SymbolState* st = symbols_[at].get();
  if (st != nullptr) st->bars.prefetch_slot(minute_idx);
}

void SymbolShard::touch(const sh_market_event& ev, int64_t t) {
  SymbolState& st = state(ev.symbol);
  if (t > st.last_event_ns) st.last_event_ns = t;
}

void SymbolShard::add(const sh_market_event& ev, int64_t t, int64_t idx, int64_t bar_end_ns) {
  SymbolState& st = state(ev.symbol);
  if (t > st.last_event_ns) st.last_event_ns = t;
  BarSlot& slot = st.bars.slot(idx);
  add_to_slot(st.bars, slot, ev, bar_end_ns);
  if ((ev.flags & SH_EVENT_FLAG_GAP) != 0) slot.feed_gap = true;
  if (ev.recv_ts_ns != 0) {
    BarBuilder::add_lag(slot, ev.recv_ts_ns - (ev.type == SH_EVENT_BAR ? bar_end_ns : ev.ts_ns));
  }
}

void SymbolShard::late(const sh_market_event& ev, int64_t t) {
  SymbolState& st = state(ev.symbol);
  if (t > st.last_event_ns) st.last_event_ns = t;
  if (config_->late_policy == ConveyorConfig::LatePolicy::Report) {
    st.bars.count_late_unfolded();
    return;
  }
  switch (ev.type) {
    case SH_EVENT_BAR:
      st.bars.fold_late_bar(ev.data.bar.close, ev.data.bar.volume);
      break;
    case SH_EVENT_TRADE:
      st.bars.fold_late_trade(ev.data.trade.price, ev.data.trade.size);
      break;
    case SH_EVENT_QUOTE:
      st.bars.fold_late_book(st.bars.apply_quote(ev.ts_ns, ev.data.quote));
      break;
    default:
      st.bars.fold_late_book(
          st.bars.apply_l2(ev.ts_ns, ev.data.l2, (ev.flags & SH_EVENT_FLAG_SNAPSHOT) != 0));
      break;
  }
}

void SymbolShard::run(const ShardCommand* commands, size_t count, ShardClose* out) {
  constexpr size_t kAhead = 8;  // as Conveyor::on_events
  for (size_t i = 0; i < count; ++i) {
    if (i + 2 * kAhead < count) prefetch_state(commands[i + 2 * kAhead].ev.symbol);
    if (i + kAhead < count && commands[i + kAhead].kind == ShardCommand::kAdd) {
      prefetch_slot(commands[i + kAhead].ev.symbol, commands[i + kAhead].idx);
    }
    const ShardCommand& c = commands[i];
    if (c.kind == ShardCommand::kClose) {
      close_into(c.idx, c.skewed != 0, out);
    } else if (c.kind != ShardCommand::kSync) {
      apply(c.kind, c.ev, c.t, c.idx, c.bar_end_ns);
    }
  }
}

void SymbolShard::close_into(int64_t minute_idx, bool skewed, ShardClose* out) {
  out->rows.clear();
  out->columns.clear();
  out->stalest_event_ns = INT64_MAX;
  out->stalest_symbol = SH_INVALID_SYMBOL;
  close(minute_idx, skewed, out->rows, out->columns, &out->stalest_event_ns, &out->stalest_symbol);
}

// Every symbol's state is cold at a close: start loading the next symbols'
// (the state two ahead, then what it points to one ahead) so their misses
// overlap this one's work.
void SymbolShard::prefetch_ahead(size_t local, int64_t minute_idx) const {
  const size_t n = symbols_.size();
  if (local + 2 < n && symbols_[local + 2]) {
    const char* p = reinterpret_cast<const char*>(symbols_[local + 2].get());
    for (size_t off = 0; off < sizeof(SymbolState); off += 64) __builtin_prefetch(p + off);
  }
  if (local + 1 < n && symbols_[local + 1]) {
    const SymbolState& next = *symbols_[local + 1];
    next.bars.prefetch_slot(minute_idx);
  }
}

void SymbolShard::close(int64_t minute_idx, bool skewed, std::vector<sh_feature_row>& rows,
                        std::vector<double>& columns, int64_t* stalest_event_ns,
                        sh_symbol_id* stalest_symbol) {
  const int64_t interval_ns = config_->bar_interval_ns;
  const int64_t start_ns = minute_idx * interval_ns;
  // The book views are as of the interval's end; staleness is measured there.
  const int64_t close_ns = start_ns + interval_ns;
  const size_t n_columns = config_->features->size();

  ClosedBar cb;
  const size_t n_local = symbols_.size();
  const size_t first_row = rows.size();
  scored_.clear();
  for (size_t local = 0; local < n_local; ++local) {
    prefetch_ahead(local, minute_idx);
    SymbolState* st = symbols_[local].get();
    if (st == nullptr || !st->bars.close(minute_idx, start_ns, interval_ns, &cb)) continue;

    sh_feature_row row;
    std::memset(&row, 0, sizeof row);
    row.struct_size = sizeof(sh_feature_row);
    row.symbol = static_cast<sh_symbol_id>(local * count_ + index_);
    row.minute_ts_ns = cb.start_ns;
    row.late_events = cb.late_events;
    row.open = cb.open;
    row.high = cb.high;
    row.low = cb.low;
    row.close = cb.close;
    row.volume = cb.volume;
    row.vwap = cb.vwap;
    row.trade_count = cb.trade_count;

    const BookView& book = cb.book;
    row.spread_bps = (book.bid > 0.0 && book.ask > 0.0)
                         ? (book.ask - book.bid) / (0.5 * (book.ask + book.bid)) * 1e4
                         : kNullValue;
    const double depth = book.l2_bid_depth + book.l2_ask_depth;  // NaN without L2
    row.l2_imbalance = depth > 0.0 ? (book.l2_bid_depth - book.l2_ask_depth) / depth : kNullValue;
    const double staleness_ns =
        book.has_book() ? static_cast<double>(close_ns - book.ts_ns) : kNullValue;
    row.book_staleness_ms = staleness_ns / 1e6;
    row.ingest_lag_ms = cb.ingest_lag_ms;

    columns.resize(columns.size() + n_columns);
    st->features.update(row, columns.data() + columns.size() - n_columns);
    // The baselines score the rows below, many symbols at a time.
    scored_.push_back(&st->baselines);

    DqInputs dq;
    dq.has_previous_row = st->has_row;
    dq.previous_row_end_ns = st->last_row_end_ns;
    dq.row_start_ns = cb.start_ns;
    dq.late_folded = cb.late_folded;
    dq.has_book = book.has_book();
    dq.book_staleness_ns = staleness_ns;
    dq.stale_book_ns = config_->stale_book_ns;
    dq.no_trades = cb.from_bar ? !(cb.volume > 0.0) : cb.in_interval_trades == 0;
    dq.feed_gap = cb.feed_gap;
    dq.clock_skew = skewed;
    row.dq = classify_dq(dq);

    st->has_row = true;
    st->last_row_end_ns = cb.end_ns;
    rows.push_back(row);
    if (st->last_event_ns < *stalest_event_ns) {
      *stalest_event_ns = st->last_event_ns;
      *stalest_symbol = row.symbol;
    }
  }
  // z-scores and quantile ranks: every symbol's three windows are cold now;
  // their rank searches run interleaved, kManyMax symbols at a time (the
  // same results as one symbol at a time, in a third of the time at 1,000
  // symbols).
  constexpr size_t kGroup = SymbolBaselines::kManyMax;
  sh_feature_row* group_rows[kGroup];
  for (size_t i = 0; i < scored_.size(); i += kGroup) {
    const size_t n = std::min(kGroup, scored_.size() - i);
    for (size_t j = 0; j < n; ++j) group_rows[j] = &rows[first_row + i + j];
    SymbolBaselines::score_and_add_many(scored_.data() + i, group_rows, n);
  }
}

}  // namespace sh::host
