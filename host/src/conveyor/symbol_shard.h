// SymbolShard: the per-symbol half of the conveyor (conveyor.h). Each
// symbol's bars, book, features and baselines live in exactly one shard;
// with `conveyor.shards: N` symbol id s belongs to shard s % N and N of
// them run on their own threads (ShardPool, shard_pool.h), while the
// Conveyor keeps everything global (watermark, open intervals, which
// interval closes when, stats, the merge of the shards' rows).
//
// The Conveyor decides and the shard carries out: add an event to an
// interval's slot, fold a late one, close an interval. Each symbol's work is
// a function of its own events and the closes, in order, so the rows of N
// shards merged by symbol id are the rows of one shard, bit for bit.
#ifndef SH_HOST_CONVEYOR_SYMBOL_SHARD_H
#define SH_HOST_CONVEYOR_SYMBOL_SHARD_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "conveyor/zero_pages.h"


namespace sh::host {

struct ConveyorConfig;
struct SymbolBaselines;

// What the Conveyor asks of a shard, in event order (ShardPool's queues).
struct ShardCommand {
  enum Kind : uint32_t {
    kAdd,    // a timely event: ev into interval idx (bar_end_ns: an arrived bar's end)
    kTouch,  // an event's time seen before the closes it triggers (feed staleness)
    kLate,   // a late event: folded or counted per the late policy
    kClose,  // close interval idx (skewed: the receive clock's offset is beyond the bound)
    kSync,   // nothing: answered once every command before it is done
  };
  Kind kind = kAdd;
  uint32_t skewed = 0;
  int64_t t = 0;       // the event's time (a bar's last instant)
  int64_t idx = 0;
  int64_t bar_end_ns = 0;
  sh_market_event ev{};
};

// One shard's part of a close: its rows (ascending symbol id), their
// feature columns, and its stalest symbol (MinuteClose's fields).
struct ShardClose {
  std::vector<sh_feature_row> rows;
  std::vector<double> columns;
  int64_t stalest_event_ns = std::numeric_limits<int64_t>::max();
  sh_symbol_id stalest_symbol = SH_INVALID_SYMBOL;
};

class SymbolShard {
 public:
  // config.features must be set. Shard `index` of `count` holds the ids s with s % count == index.
  SymbolShard(const ConveyorConfig& config, uint32_t slot_count, uint32_t index, uint32_t count);
  // (config is copied: the features set, the late policy, the stale-book bound.)
  ~SymbolShard();
  SymbolShard(const SymbolShard&) = delete;
  SymbolShard& operator=(const SymbolShard&) = delete;

  void touch(const sh_market_event& ev, int64_t t);
  void add(const sh_market_event& ev, int64_t t, int64_t idx, int64_t bar_end_ns);
  void late(const sh_market_event& ev, int64_t t);
  // Appends the interval's rows and columns; lowers *stalest_* when one of
  // this shard's symbols is staler (ties: the lower id, as rows are visited).
  void close(int64_t minute_idx, bool skewed, std::vector<sh_feature_row>& rows,
             std::vector<double>& columns, int64_t* stalest_event_ns, sh_symbol_id* stalest_symbol);
  // One event command (kAdd, kTouch or kLate) without building it: what
  // run() does for each, and what the Conveyor does for shard 0.
  void apply(ShardCommand::Kind kind, const sh_market_event& ev, int64_t t, int64_t idx,
             int64_t bar_end_ns) {
    if (kind == ShardCommand::kAdd) {
      add(ev, t, idx, bar_end_ns);
    } else if (kind == ShardCommand::kTouch) {
      touch(ev, t);
    } else {
      late(ev, t);
    }
  }
  // close() into a fresh part (*out cleared first).
  void close_into(int64_t minute_idx, bool skewed, ShardClose* out);
  // Runs commands in order (a kClose writes *out), with the look-ahead
  // prefetch of the Conveyor's own event loop.
  void run(const ShardCommand* commands, size_t count, ShardClose* out);

  // Start loading a coming event's state / its interval's slot.
  void prefetch_state(sh_symbol_id symbol) const;
  void prefetch_slot(sh_symbol_id symbol, int64_t minute_idx) const;
  // Bytes of state held for one symbol (struct plus heap), 0 if unseen.
  size_t symbol_state_bytes(sh_symbol_id symbol) const;
  // Symbols seen (rows a close may hold, for reserving).
  size_t symbols_seen() const { return seen_; }

 private:
  struct SymbolState;
  SymbolState& state(sh_symbol_id id);
  const SymbolState* find(sh_symbol_id id) const;
  void prefetch_ahead(size_t local, int64_t minute_idx) const;

  std::unique_ptr<const ConveyorConfig> config_;
  size_t local(sh_symbol_id id) const { return count_ == 1 ? id : id / count_; }
  uint32_t slot_count_;
  uint32_t index_;
  uint32_t count_;
  size_t seen_ = 0;
  // The symbols' baseline windows (2 x 3 x window doubles each, written at
  // a symbol's first close): huge pages where the kernel gives them.
  ZeroPages baseline_pages_{size_t{8} << 20, true};
  std::vector<std::unique_ptr<SymbolState>> symbols_;  // index = id / count_
  std::vector<SymbolBaselines*> scored_;  // close(): the baselines of the rows made, in row order
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_SYMBOL_SHARD_H
