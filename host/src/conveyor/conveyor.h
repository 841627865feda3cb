// The market-data conveyor: market events in, one closed minute of feature
// rows plus market context out.
//
//   events ──► per-symbol BarBuilder (trades, BBO, L2, arrived bars)
//          ──► event-time watermark closes minutes
//          ──► FeatureState (raw features) ──► SymbolBaselines (z, q)
//          ──► classify_dq ──► build_market_context
//
// Called from the pipeline thread only. With config.shards = N > 1 the
// per-symbol work (bars, books, features, baselines: symbol_shard.h) runs on
// N threads: symbol s on shard s % N, shard 0 on the caller's thread and
// the others each on one of their own (shard_pool.h); the
// watermark, which interval closes when, and the merge of the shards' rows
// stay here. Deterministic: the output is a function of the events and their
// order only, the same for every N (no wall clock, no hash-order iteration;
// symbols are visited by id).
#ifndef SH_HOST_CONVEYOR_CONVEYOR_H
#define SH_HOST_CONVEYOR_CONVEYOR_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conveyor/feature_set.h"
#include "conveyor/symbol_shard.h"

namespace sh::host {

class ShardPool;

struct ConveyorConfig {
  int64_t bar_interval_ns = 60'000'000'000;
  int64_t lateness_ns = 1'500'000'000;    // watermark = max event ts seen - lateness
  uint32_t baseline_warmup = 200;         // z_* / q_* null until this many samples
  uint32_t baseline_window = 500;         // rolling window for mean/std and quantile ranks
  int64_t stale_book_ns = 5'000'000'000;  // book older than this at close -> stale_book
  uint32_t l2_levels = 10;                // top N per side used for l2_imbalance
  enum class LatePolicy { Fold, Report } late_policy = LatePolicy::Fold;
  sh_symbol_id benchmark = SH_INVALID_SYMBOL;
  // Symbol ids index a vector, so they must be dense and small; events with a
  // larger id are rejected (counted in ConveyorStats::rejected_events).
  sh_symbol_id max_symbol_id = 1'000'000;
  // Live: minutes also close on the receive clock (see "Receive clock"
  // below). Off: the event-time watermark alone (replay).
  bool receive_clock = false;
  // Receive clock: at most this many empty intervals are closed at once
  // after a silence (the rest are a gap in every symbol's rows).
  uint32_t max_fill_intervals = 60;
  // Receive clock: a smallest ingest lag beyond +-this is clock skew (or a
  // feed replaying old data) and is logged once as a warning.
  int64_t max_clock_skew_ns = 5'000'000'000;
  // The feature columns (config `features:`); null = FeatureSet::default_set().
  std::shared_ptr<const FeatureSet> features;
  // Threads doing the per-symbol work (config conveyor.shards, 1..64); 1 =
  // all of it on the caller's thread.
  uint32_t shards = 1;
};

// One closed interval. Rows and context are plain ABI structs, ready to hand
// to plugins as an sh_feature_batch.
struct MinuteClose {
  int64_t minute_ts_ns;              // start of the closed interval
  std::vector<sh_feature_row> rows;  // one per symbol that could close, ascending symbol id
  // The feature columns of the rows: row i's column j is
  // columns[i * features->size() + j] (sh_feature_batch.columns).
  std::shared_ptr<const FeatureSet> features;
  std::vector<double> columns;
  sh_market_context context;
  // Wall time the conveyor spent closing this interval (bars, features,
  // baselines, DQ, context), for latency reports only; 0 if not measured.
  int64_t compute_ns = 0;
  // Feed staleness: of the symbols with a row, the one whose latest accepted
  // event (any type, event time) is the oldest, and that event's time
  // (INT64_MAX / SH_INVALID_SYMBOL when no row). Events up to the watermark
  // are in, so a live symbol's event may lie after the interval's end.
  int64_t stalest_event_ns = INT64_MAX;
  sh_symbol_id stalest_symbol = SH_INVALID_SYMBOL;
};

struct ConveyorStats {
  uint64_t events_in = 0;  // every record passed to on_events
  uint64_t trades = 0;     // accepted events by type (late ones included)
  uint64_t quotes = 0;
  uint64_t l2 = 0;
  uint64_t bars = 0;
  uint64_t rejected_events = 0;  // malformed: bad size/stride, type, symbol, ts, price or size
  uint64_t late_events = 0;      // accepted events whose interval had already closed
  uint64_t late_folded = 0;      // late events folded into a row (LatePolicy::Fold)
  uint64_t late_reported = 0;    // late events only counted (Report; late bars always)
  uint64_t bars_closed = 0;      // MinuteClose records produced
  uint64_t clock_closed = 0;     // of which closed by the receive clock (no later event needed)
  uint64_t feed_gaps = 0;        // events flagged SH_EVENT_FLAG_GAP (the provider lost data)
  uint64_t rows_emitted = 0;
  std::vector<uint64_t> late_by_symbol;  // index = symbol id

  uint64_t late_events_for(sh_symbol_id id) const {
    return id < late_by_symbol.size() ? late_by_symbol[id] : 0;
  }
};

// Minute close rule. Every accepted event has an event time t (ts_ns; for an
// arrived bar, its last instant ts_ns + duration_ns - 1, because a bar exists
// only once complete) and falls into interval [m, m + bar_interval_ns).
// watermark = (max t seen) - lateness_ns. Interval m closes as soon as
// watermark >= m + bar_interval_ns, but only if at least one accepted,
// non-late event fell into it. An event whose interval ends at or before the
// watermark (or at or before the end of the last interval closed by flush()) is late.
//
// Rows. At a close every symbol seen so far gets a row if it can: from its
// trades in the interval (OHLC, volume, VWAP, count); from an arrived bar
// (row minute_ts_ns = the bar's open time, its duration is the row's
// interval for gap detection; vwap and trade_count null); else from its book
// (mid_close: OHLC = BBO mid at close, volume 0, dq no_trades). A symbol with
// no trades, no bar and no two-sided book gets no row; its next row is then a
// gap. DQ rules: see dq.h.
//
// Late events are never dropped silently: each is counted (stats and
// late_events(symbol)) and attached to the symbol's next row (late_events).
// With LatePolicy::Fold a late trade's size and notional go into the next
// row's volume, VWAP and trade count (not its OHLC) and a late book update is
// applied if it is the newest; that row's dq is late. With Report nothing is
// applied. A late arrived bar is folded the same way (its volume, and its
// close times its volume as notional; the trade count is unknown).
//
// Bars longer than the interval (daily bars among trades) count at their
// open's interval: t = ts_ns + min(duration, interval) - 1. Their end would
// move the watermark a day ahead and make every other symbol's ticks late.
//
// Receive clock (config.receive_clock, the live modes). A live minute must
// close at its end plus lateness whether or not a later event arrives. The
// clock is the receive time (recv_ts_ns, the host's wall clock), turned into
// exchange time by the smallest ingest lag seen (offset = min over events of
// recv_ts_ns - ts_ns: network latency plus clock skew, so a skewed host
// clock does not make every event late). Each event with a receive time
// first advances the clock to its recv_ts_ns - offset; on_clock() advances
// it between events (a provider saying "everything received before T was
// emitted"). The watermark is then max(event-time watermark, clock -
// lateness), and intervals the clock passes with no event at all are closed
// too (rows from the book: mid_close, stale_book), up to max_fill_intervals.
// A minute therefore holds exactly the events received before its deadline
// in exchange time: a function of the events and the provider's clock
// reports, so a recorded session replays to the same rows.
class Conveyor {
 public:
  // Throws std::invalid_argument when validate(config) is not empty (config
  // load time only; nothing on the event path throws).
  explicit Conveyor(const ConveyorConfig& config);
  ~Conveyor();
  Conveyor(Conveyor&&) noexcept;
  Conveyor& operator=(Conveyor&&) noexcept;
  Conveyor(const Conveyor&) = delete;
  Conveyor& operator=(const Conveyor&) = delete;

  // "" if config is usable, else what is wrong with it.
  static std::string validate(const ConveyorConfig& config);

  // Feed events in arrival order (stride = item size in bytes, sh_market_event
  // records; a multiple of 8 and >= sizeof(sh_market_event), else the batch is
  // rejected). Minutes closed by the advancing watermark are appended to
  // `closed`, oldest first. No allocation per event once every symbol has
  // been seen; a close allocates only if no recycled row buffer is available.
  void on_events(const sh_market_event* events, size_t count, size_t stride,
                 std::vector<MinuteClose>& closed);
  // End of input: close all open minutes, oldest first. Events that arrive
  // afterwards for those minutes are late.
  void flush(std::vector<MinuteClose>& closed);
  // Optional: hand consumed closes back so their row buffers are reused by
  // later closes (no allocation per close in steady state). Clears `closed`.
  void recycle(std::vector<MinuteClose>& closed);

  const ConveyorConfig& config() const { return config_; }
  const ConveyorStats& stats() const { return stats_; }
  uint64_t late_events(sh_symbol_id symbol) const { return stats_.late_events_for(symbol); }
  // Receive clock: every event received before recv_clock_ns has been fed.
  // No-op unless config.receive_clock and an event with a receive time was
  // seen (the offset is known).
  void on_clock(int64_t recv_clock_ns, std::vector<MinuteClose>& closed);
  // The smallest recv_ts_ns - ts_ns seen (receive clock), INT64_MAX if none.
  int64_t clock_offset_ns() const { return clock_offset_ns_; }
  // Current watermark in ns (INT64_MIN before the first event).
  int64_t watermark_ns() const { return watermark_ns_; }
  // Bytes of state held for one symbol (struct plus heap), 0 if unknown
  // (with shards, waits for the shards to finish what they were sent).
  size_t symbol_state_bytes(sh_symbol_id symbol) const;

 private:
  void on_event(const sh_market_event& ev, std::vector<MinuteClose>& closed);
  void prefetch(const sh_market_event& ev) const;
  void dispatch(ShardCommand::Kind kind, const sh_market_event& ev, int64_t t, int64_t bar_end_ns);
  void on_late(const sh_market_event& ev, int64_t t);
  void open_minute(int64_t minute_idx);
  void close_ready(std::vector<MinuteClose>& closed);
  void advance_clock(int64_t clock_ns, std::vector<MinuteClose>& closed);
  void fill_empty(std::vector<MinuteClose>& closed);
  void close_minute(int64_t minute_idx, std::vector<MinuteClose>& closed);
  void take_buffers(MinuteClose& mc);
  void merge_parts(MinuteClose& mc);

  ConveyorConfig config_;
  ConveyorStats stats_;
  uint32_t slot_count_;
  // The symbols' state, config_.shards of them (symbol s in shards_[s % N]);
  // pool_ runs them on their own threads when N > 1 (declared after
  // shards_: it stops before they go).
  std::vector<std::unique_ptr<SymbolShard>> shards_;
  std::unique_ptr<ShardPool> pool_;
  std::vector<size_t> merge_at_;  // merge_parts' cursor per shard
  std::unique_ptr<ShardClose> part0_;  // shard 0's part of a close (with pool_)

  int64_t max_event_ns_;
  int64_t watermark_ns_;
  int64_t sealed_ns_;  // events in intervals ending at or before this are late
  // Intervals (index = start / bar_interval_ns) that received an event and
  // are not closed yet, ascending; at most slot_count_ of them.
  std::vector<int64_t> open_minutes_;
  int64_t next_close_end_ns_;  // end of open_minutes_.front(), INT64_MAX if none
  int64_t last_closed_idx_;    // interval index of the newest close, kNoMinute if none
  int64_t clock_offset_ns_;    // receive clock: min(recv_ts_ns - ts_ns)
  // The receive clock's offset is beyond max_clock_skew_ns (rows: dq clock_skew).
  bool clock_skewed() const;

  // Cache of the interval of the last event's time (most events share one).
  int64_t cached_idx_;
  int64_t cached_start_ns_;
  int64_t cached_end_ns_;

  std::vector<std::vector<sh_feature_row>> row_pool_;
  std::vector<std::vector<double>> column_pool_;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_CONVEYOR_H
