#include "conveyor/conveyor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "conveyor/bar_builder.h"
#include "conveyor/market_context.h"
#include "conveyor/shard_pool.h"
#include "conveyor/symbol_shard.h"

namespace sh::host {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
// Accepted event times: [0, 2^62) ns (until year 2116). Keeps interval
// arithmetic (start + interval, ts + duration) far from overflow.
constexpr int64_t kMaxEventNs = int64_t{1} << 62;
constexpr uint32_t kMaxL2Levels = 1000;

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool positive(double x) { return std::isfinite(x) && x > 0.0; }
bool non_negative(double x) { return std::isfinite(x) && x >= 0.0; }

// An event's type-specific fields are valid: *t = its time for the
// watermark and interval assignment (a bar's last instant), *bar_end_ns =
// a bar's end (0 for other types). False: the event is rejected.
inline bool admit_event(const sh_market_event& ev, int64_t bar_interval_ns, int64_t* t,
                        int64_t* bar_end_ns) {
  *t = ev.ts_ns;
  *bar_end_ns = 0;
  switch (ev.type) {
    case SH_EVENT_TRADE:
      if (!positive(ev.data.trade.price) || !positive(ev.data.trade.size)) {
        return false;
      }
      break;
    case SH_EVENT_QUOTE:
      if (!positive(ev.data.quote.bid) || !positive(ev.data.quote.ask)) {
        return false;
      }
      break;
    case SH_EVENT_L2: {
      const sh_l2_level& l = ev.data.l2;
      if ((l.side != SH_SIDE_BUY && l.side != SH_SIDE_SELL) || !non_negative(l.size) ||
          (l.size > 0.0 && !positive(l.price))) {
        return false;
      }
      break;
    }
    case SH_EVENT_BAR: {
      const sh_bar& b = ev.data.bar;
      if (!positive(b.open) || !positive(b.high) || !positive(b.low) || !positive(b.close) ||
          !non_negative(b.volume) || b.duration_ns >= kMaxEventNs / 4) {
        return false;
      }
      // A bar is an observation once complete: its time is its last instant,
      // but at most one interval after its open (a daily bar among trades
      // must not move the watermark a day ahead). duration_ns <= 0 means
      // "one conveyor interval".
      const int64_t duration_ns = b.duration_ns > 0 ? b.duration_ns : bar_interval_ns;
      *bar_end_ns = ev.ts_ns + duration_ns;
      *t = ev.ts_ns + std::min(duration_ns, bar_interval_ns) - 1;
      break;
    }
    default:
      return false;
  }
  return true;
}

}  // namespace

std::string Conveyor::validate(const ConveyorConfig& c) {
  if (c.bar_interval_ns <= 0) return "bar_interval_ns must be > 0";
  if (c.bar_interval_ns >= kMaxEventNs / 4) return "bar_interval_ns is too large";
  if (c.lateness_ns < 0) return "lateness_ns must be >= 0";
  // Each symbol keeps lateness / interval + 2 bar slots (~200 bytes each);
  // 60 intervals keeps that well inside the 64 KiB per-symbol budget.
  if (c.lateness_ns / c.bar_interval_ns > 60) {
    return "lateness_ns may span at most 60 bar intervals";
  }
  if (c.baseline_window < 2) return "baseline_window must be >= 2";
  if (c.baseline_warmup > c.baseline_window) {
    return "baseline_warmup must be <= baseline_window (z would never warm up)";
  }
  if (c.stale_book_ns <= 0) return "stale_book_ns must be > 0";
  if (c.l2_levels < 1 || c.l2_levels > kMaxL2Levels) return "l2_levels must be in 1..1000";
  if (c.max_symbol_id < 1) return "max_symbol_id must be >= 1";
  if (c.shards < 1 || c.shards > 64) return "shards must be in 1..64";
  return {};
}

Conveyor::Conveyor(const ConveyorConfig& config)
    : config_(config),
      // Open intervals span [watermark, max event time], i.e. at most
      // lateness / interval + 2 of them; one slot per open interval.
      slot_count_(static_cast<uint32_t>(
          config.bar_interval_ns > 0 ? config.lateness_ns / config.bar_interval_ns + 2 : 2)),
      max_event_ns_(kInt64Min),
      watermark_ns_(kInt64Min),
      sealed_ns_(kInt64Min),
      next_close_end_ns_(kInt64Max),
      last_closed_idx_(kNoMinute),
      clock_offset_ns_(kInt64Max),
      cached_idx_(kNoMinute),
      cached_start_ns_(kInt64Max),
      cached_end_ns_(kInt64Min) {
  const std::string err = validate(config);
  if (!err.empty()) throw std::invalid_argument("ConveyorConfig: " + err);
  if (!config_.features) config_.features = FeatureSet::default_set();
  open_minutes_.reserve(slot_count_ + 1);
  for (uint32_t k = 0; k < config_.shards; ++k) {
    shards_.push_back(std::make_unique<SymbolShard>(config_, slot_count_, k, config_.shards));
  }
  if (config_.shards > 1) {
    // Shard 0 works on this thread, the others each on their own.
    std::vector<SymbolShard*> others;
    for (uint32_t k = 1; k < config_.shards; ++k) others.push_back(shards_[k].get());
    pool_ = std::make_unique<ShardPool>(others);
    merge_at_.resize(config_.shards);
    part0_ = std::make_unique<ShardClose>();
  }
}

Conveyor::~Conveyor() = default;
Conveyor::Conveyor(Conveyor&&) noexcept = default;
Conveyor& Conveyor::operator=(Conveyor&&) noexcept = default;

size_t Conveyor::symbol_state_bytes(sh_symbol_id id) const {
  if (id == SH_INVALID_SYMBOL) return 0;
  if (pool_) {
    pool_->start_sync();
    pool_->wait();
  }
  return shards_[id % shards_.size()]->symbol_state_bytes(id);
}

void Conveyor::on_events(const sh_market_event* events, size_t count, size_t stride,
                         std::vector<MinuteClose>& closed) {
  if (count == 0) return;
  if (events == nullptr || stride < sizeof(sh_market_event) ||
      stride % alignof(sh_market_event) != 0) {
    stats_.events_in += count;
    stats_.rejected_events += count;
    return;
  }
  const auto* base = reinterpret_cast<const unsigned char*>(events);
  auto at = [base, stride](size_t i) {
    return reinterpret_cast<const sh_market_event*>(base + i * stride);
  };
  // Events of many symbols interleave, so each one's state is usually cold:
  // look ahead and start loading the state (2 * kAhead events on) and then
  // the bar slot (kAhead on) of coming events, so their misses overlap.
  // (With shards, each shard's thread does that over its own commands.)
  constexpr size_t kAhead = 8;
  if (pool_) {
    const size_t n = shards_.size();
    for (size_t i = 0; i < count; ++i) {
      if (i + 2 * kAhead < count && at(i + 2 * kAhead)->symbol % n == 0) {
        shards_[0]->prefetch_state(at(i + 2 * kAhead)->symbol);  // shard 0 works here
      }
      on_event(*at(i), closed);
    }
    pool_->send();
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    if (i + 2 * kAhead < count) shards_[0]->prefetch_state(at(i + 2 * kAhead)->symbol);
    if (i + kAhead < count) prefetch(*at(i + kAhead));
    on_event(*at(i), closed);
  }
}

void Conveyor::prefetch(const sh_market_event& ev) const {
  // Only for the interval of the last event (most events share it).
  if (ev.ts_ns < cached_start_ns_ || ev.ts_ns >= cached_end_ns_) return;
  shards_[0]->prefetch_slot(ev.symbol, cached_idx_);
}

// The per-symbol work: shard 0's on this thread, the others' queued for
// their threads in event order.
void Conveyor::dispatch(ShardCommand::Kind kind, const sh_market_event& ev, int64_t t,
                        int64_t bar_end_ns) {
  const size_t k = pool_ ? ev.symbol % shards_.size() : 0;
  if (k == 0) return shards_[0]->apply(kind, ev, t, cached_idx_, bar_end_ns);
  ShardCommand c;
  c.kind = kind;
  c.t = t;
  c.idx = cached_idx_;
  c.bar_end_ns = bar_end_ns;
  c.ev = ev;
  pool_->push(k - 1, c);
}

void Conveyor::on_late(const sh_market_event& ev, int64_t t) {
  ++stats_.late_events;
  ++stats_.late_by_symbol[ev.symbol];
  if (config_.late_policy == ConveyorConfig::LatePolicy::Report) {
    ++stats_.late_reported;
  } else {
    ++stats_.late_folded;
  }
  dispatch(ShardCommand::kLate, ev, t, 0);
}

void Conveyor::on_event(const sh_market_event& ev, std::vector<MinuteClose>& closed) {
  ++stats_.events_in;
  if (ev.struct_size < sizeof(sh_market_event) || ev.symbol == SH_INVALID_SYMBOL ||
      ev.symbol > config_.max_symbol_id || ev.ts_ns < 0 || ev.ts_ns >= kMaxEventNs) {
    ++stats_.rejected_events;
    return;
  }
  int64_t t = 0;
  int64_t bar_end_ns = 0;
  if (!admit_event(ev, config_.bar_interval_ns, &t, &bar_end_ns)) {
    ++stats_.rejected_events;
    return;
  }

  if (config_.receive_clock && ev.recv_ts_ns > 0 && ev.type != SH_EVENT_BAR) {
    // Receive clock first: an event received after its minute's deadline
    // finds the minute closed (late), as it would have live.
    const int64_t lag = ev.recv_ts_ns - ev.ts_ns;
    if (lag < clock_offset_ns_) clock_offset_ns_ = lag;
    advance_clock(ev.recv_ts_ns - clock_offset_ns_, closed);
  }
  if ((ev.flags & SH_EVENT_FLAG_GAP) != 0) ++stats_.feed_gaps;

  if (ev.symbol >= stats_.late_by_symbol.size()) {  // a new symbol: the only growth here
    stats_.late_by_symbol.resize(static_cast<size_t>(ev.symbol) + 1, 0);
  }
  switch (ev.type) {
    case SH_EVENT_TRADE:
      ++stats_.trades;
      break;
    case SH_EVENT_QUOTE:
      ++stats_.quotes;
      break;
    case SH_EVENT_L2:
      ++stats_.l2;
      break;
    default:
      ++stats_.bars;
      break;
  }

  if (t < cached_start_ns_ || t >= cached_end_ns_) {
    cached_idx_ = floor_div(t, config_.bar_interval_ns);
    cached_start_ns_ = cached_idx_ * config_.bar_interval_ns;
    cached_end_ns_ = cached_start_ns_ + config_.bar_interval_ns;
  }

  if (cached_end_ns_ <= sealed_ns_) {
    on_late(ev, t);
    return;  // a late event's time is below the watermark: it cannot advance it
  }

  // Advance the watermark first: the minutes it closes end at or before
  // t - lateness_ns, so never this event's own. Closing them before the event
  // claims a slot keeps the open minutes within slot_count_ (see there).
  if (t > max_event_ns_) {
    max_event_ns_ = t;
    watermark_ns_ = t - config_.lateness_ns;
    if (watermark_ns_ > sealed_ns_) sealed_ns_ = watermark_ns_;
    if (sealed_ns_ >= next_close_end_ns_) {
      dispatch(ShardCommand::kTouch, ev, t, 0);  // the closes see this event's time (feed staleness)
      close_ready(closed);
    }
  }

  if (open_minutes_.empty() || open_minutes_.back() != cached_idx_) open_minute(cached_idx_);
  dispatch(ShardCommand::kAdd, ev, t, bar_end_ns);
}

void Conveyor::open_minute(int64_t minute_idx) {
  const auto it = std::lower_bound(open_minutes_.begin(), open_minutes_.end(), minute_idx);
  if (it != open_minutes_.end() && *it == minute_idx) return;
  // Capacity slot_count_ + 1 was reserved and at most slot_count_ intervals
  // are open (see slot_count_), so this never allocates.
  open_minutes_.insert(it, minute_idx);
  next_close_end_ns_ = (open_minutes_.front() + 1) * config_.bar_interval_ns;
}

void Conveyor::close_ready(std::vector<MinuteClose>& closed) {
  size_t n = 0;
  while (n < open_minutes_.size() &&
         (open_minutes_[n] + 1) * config_.bar_interval_ns <= sealed_ns_) {
    // Wall time of the close work only, for latency reports; it never
    // influences any output (determinism).
    const auto t0 = std::chrono::steady_clock::now();
    close_minute(open_minutes_[n], closed);
    closed.back().compute_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count();
    ++n;
  }
  open_minutes_.erase(open_minutes_.begin(), open_minutes_.begin() + static_cast<ptrdiff_t>(n));
  next_close_end_ns_ =
      open_minutes_.empty() ? kInt64Max : (open_minutes_.front() + 1) * config_.bar_interval_ns;
}

void Conveyor::on_clock(int64_t recv_clock_ns, std::vector<MinuteClose>& closed) {
  if (!config_.receive_clock || clock_offset_ns_ == kInt64Max || recv_clock_ns <= 0) return;
  advance_clock(recv_clock_ns - clock_offset_ns_, closed);
}

void Conveyor::advance_clock(int64_t clock_ns, std::vector<MinuteClose>& closed) {
  if (clock_ns < 0 || clock_ns >= kMaxEventNs) return;
  const int64_t sealed = clock_ns - config_.lateness_ns;
  if (sealed <= sealed_ns_) return;
  sealed_ns_ = sealed;
  if (sealed > watermark_ns_) watermark_ns_ = sealed;
  const uint64_t before = stats_.bars_closed;
  if (sealed_ns_ >= next_close_end_ns_) close_ready(closed);
  fill_empty(closed);
  stats_.clock_closed += stats_.bars_closed - before;
}

// Intervals the clock sealed that no event opened: closed from the symbols'
// books (a close without rows is dropped). Only those older than every
// open interval, so a slot never holds two intervals.
void Conveyor::fill_empty(std::vector<MinuteClose>& closed) {
  if (last_closed_idx_ == kNoMinute) return;  // nothing to continue from yet
  int64_t last = floor_div(sealed_ns_, config_.bar_interval_ns) - 1;  // newest sealed interval
  if (!open_minutes_.empty()) last = std::min(last, open_minutes_.front() - 1);
  int64_t idx = std::max(last_closed_idx_ + 1, last - int64_t{config_.max_fill_intervals} + 1);
  for (; idx <= last; ++idx) {
    close_minute(idx, closed);
    if (closed.back().rows.empty()) {
      if (closed.back().rows.capacity() > 0) row_pool_.push_back(std::move(closed.back().rows));
      closed.pop_back();
      --stats_.bars_closed;
    }
  }
  if (last > last_closed_idx_) last_closed_idx_ = last;
}

void Conveyor::flush(std::vector<MinuteClose>& closed) {
  if (!open_minutes_.empty()) {
    const int64_t last_end_ns = (open_minutes_.back() + 1) * config_.bar_interval_ns;
    if (last_end_ns > sealed_ns_) sealed_ns_ = last_end_ns;
  }
  close_ready(closed);
}

void Conveyor::recycle(std::vector<MinuteClose>& closed) {
  for (MinuteClose& mc : closed) {
    if (mc.rows.capacity() > 0) row_pool_.push_back(std::move(mc.rows));
    if (mc.columns.capacity() > 0) column_pool_.push_back(std::move(mc.columns));
  }
  closed.clear();
}

bool Conveyor::clock_skewed() const {
  return config_.receive_clock && clock_offset_ns_ != std::numeric_limits<int64_t>::max() &&
         (clock_offset_ns_ > config_.max_clock_skew_ns || clock_offset_ns_ < -config_.max_clock_skew_ns);
}

// Row and column buffers of a new close: recycled ones when there are any.
void Conveyor::take_buffers(MinuteClose& mc) {
  if (!row_pool_.empty()) {
    mc.rows = std::move(row_pool_.back());
    row_pool_.pop_back();
    mc.rows.clear();
  }
  mc.rows.reserve(stats_.late_by_symbol.size());  // ids seen + 1
  mc.features = config_.features;
  if (!column_pool_.empty()) {
    mc.columns = std::move(column_pool_.back());
    column_pool_.pop_back();
    mc.columns.clear();
  }
  mc.columns.reserve(stats_.late_by_symbol.size() * config_.features->size());
}

// The shards' parts of a close as one: rows by ascending symbol id (each
// part is), and the stalest symbol (ties: the lower id), as one shard has it.
void Conveyor::merge_parts(MinuteClose& mc) {
  const size_t n_columns = config_.features->size();
  const size_t n = shards_.size();
  size_t total = 0;
  auto part = [this](size_t k) -> const ShardClose& { return k == 0 ? *part0_ : pool_->part(k - 1); };
  for (size_t k = 0; k < n; ++k) {
    merge_at_[k] = 0;
    total += part(k).rows.size();
  }
  mc.rows.resize(total);
  mc.columns.resize(total * n_columns);
  for (size_t i = 0; i < total; ++i) {
    size_t best = n;
    sh_symbol_id best_id = 0;
    for (size_t k = 0; k < n; ++k) {
      const ShardClose& p = part(k);
      if (merge_at_[k] < p.rows.size() && (best == n || p.rows[merge_at_[k]].symbol < best_id)) {
        best = k;
        best_id = p.rows[merge_at_[k]].symbol;
      }
    }
    const ShardClose& p = part(best);
    const size_t r = merge_at_[best]++;
    mc.rows[i] = p.rows[r];
    if (n_columns > 0) {
      std::memcpy(mc.columns.data() + i * n_columns, p.columns.data() + r * n_columns,
                  n_columns * sizeof(double));
    }
  }
  for (size_t k = 0; k < n; ++k) {
    const ShardClose& p = part(k);
    if (p.stalest_event_ns < mc.stalest_event_ns ||
        (p.stalest_event_ns == mc.stalest_event_ns && p.stalest_symbol < mc.stalest_symbol)) {
      mc.stalest_event_ns = p.stalest_event_ns;
      mc.stalest_symbol = p.stalest_symbol;
    }
  }
}

void Conveyor::close_minute(int64_t minute_idx, std::vector<MinuteClose>& closed) {
  const int64_t interval_ns = config_.bar_interval_ns;
  const int64_t start_ns = minute_idx * interval_ns;
  if (minute_idx > last_closed_idx_ || last_closed_idx_ == kNoMinute) last_closed_idx_ = minute_idx;

  MinuteClose& mc = closed.emplace_back();
  mc.minute_ts_ns = start_ns;
  take_buffers(mc);
  const bool skewed = clock_skewed();
  if (pool_) {
    pool_->start_close(minute_idx, skewed);
    shards_[0]->close_into(minute_idx, skewed, part0_.get());
    pool_->wait();
    merge_parts(mc);
  } else {
    shards_[0]->close(minute_idx, skewed, mc.rows, mc.columns, &mc.stalest_event_ns,
                      &mc.stalest_symbol);
  }
  mc.context = build_market_context(start_ns, config_.benchmark, mc.rows.data(), mc.rows.size());
  ++stats_.bars_closed;
  stats_.rows_emitted += mc.rows.size();
}

}  // namespace sh::host
