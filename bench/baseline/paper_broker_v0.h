// The host's built-in paper broker as it was before execution venues became
// plugins (git d90e711, host/src/decision/paper_broker.h), kept verbatim but
// for its namespace (sh::host::v0) as the baseline of bench_venue_submit.
// PaperBroker: simulated execution over the host's LMDB state store.
//
// Per minute close the pipeline calls, in this order:
//   1. on_minute_close(minute, bars)  fills the orders accepted earlier at
//      this bar's open (or, in mid mode, nothing is pending), marks every
//      position at the close, updates equity / peak / drawdown / daily PnL;
//   2. portfolio_state()              input of the risk chain;
//   3. submit(intent, key) per order the risk chain let through;
//   4. store.write_minute(..., hook)  with persist(txn) inside the hook, so
//      the idempotency keys, orders, positions and account of this minute
//      commit in the minute's single transaction (or not at all);
//   5. on_commit(write_status)        ok: the minute is durable, its fills
//      are handed out by take_committed_fills() (trades.csv); error: the
//      broker reloads itself from the store, dropping the minute.
// Commands (emergency_stop, flatten_all, pause, resume) are staged the same
// way; commit_now() makes them durable at once between minutes. Flatten and
// emergency-reduce orders (reduce_positions) are reduce-only when they fill.
//
// Idempotency: an accepted key is stored in `orders` in the same transaction
// as the order (and its fill updates that record in the transaction of the
// fill's minute). A key seen before, committed in any earlier run or staged
// in this one, is never accepted again: a replay after kill -9 re-submits
// the same keys and gets kDuplicate, so nothing is filled twice.
// Minutes at or before the last committed minute are ignored by
// on_minute_close (a replay catching up).
//
// Accounting: average cost. Slippage is against the order: a buy fills at
// open + open * bps / 1e4, a sell at open - open * bps / 1e4. Cash moves by
// qty * fill price; equity = cash + sum(qty * mark); unrealized = qty *
// (mark - avg_price); drawdown_pct = (peak - equity) / peak * 100; daily PnL
// = equity - equity at the last close before this UTC day (event time).
//
// Persisted (keys/values are documented in README-level detail in the .cpp):
//   positions  symbol name -> {"qty","avg_price","mark_price","realized_pnl_usd"}
//   orders     idempotency key -> {"seq","symbol","side","qty","ref_price",
//              "submit_minute_ts_ns","status":"pending|filled|cancelled",
//              "reason","fill_ts_ns","fill_price"}
//   meta       "paper/account" -> {"cash_usd",...,"emergency_stop","paused"}
//
// Not thread-safe: owned by the pipeline thread.
#ifndef SH_BENCH_PAPER_BROKER_V0_H
#define SH_BENCH_PAPER_BROKER_V0_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <strategy_host/abi.h>

#include "decision/key_set.h"
#include "decision/trading_mode.h"
#include "store/state_store.h"
#include "store/status.h"
#include "services/symbol_table.h"

namespace sh::host::v0 {


enum class FillPriceMode {
  kNextOpen,  // fill at the open of the bar after the one the order was submitted on
  kMid        // fill at once at the submitting minute's mid (BarPrice::mid, else close)
};

struct PaperBrokerOptions {
  TradingMode mode = TradingMode::kPaper;  // kLive is refused
  double initial_cash_usd = 100000.0;      // > 0; used only when the store has no account
  double slippage_bps = 0.0;               // 0..10000
  FillPriceMode fill = FillPriceMode::kNextOpen;
};

// One symbol's prices at a minute close.
struct BarPrice {
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  double open = 0.0;
  double close = 0.0;
  double mid = 0.0;  // BBO mid at close; NaN -> close is used
};

struct PaperPosition {
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  double qty = 0.0;  // signed, base units
  double avg_price = 0.0;
  double mark_price = 0.0;
  double realized_pnl_usd = 0.0;  // cumulative for this symbol
  double unrealized_pnl_usd() const { return qty * (mark_price - avg_price); }
};

struct Fill {
  int64_t ts_ns = 0;  // the minute close that filled it
  std::string symbol;
  std::string idempotency_key;
  uint64_t order_seq = 0;
  sh_side side = SH_SIDE_UNKNOWN;
  double qty = 0.0;        // > 0
  double ref_price = 0.0;  // open (or mid) before slippage
  double price = 0.0;      // after slippage
  double slippage_bps = 0.0;
  double realized_pnl_usd = 0.0;  // realized by this fill
  double position_qty = 0.0;      // after the fill
  double avg_price = 0.0;         // after the fill
  std::string reason;             // "signal" | "flatten" | "var_reduce"
};

// A closing order the broker made itself (flatten, emergency reduce).
struct ClosingOrder {
  std::string symbol;
  std::string key;
  sh_side side = SH_SIDE_UNKNOWN;
  double qty = 0.0;
  double ref_price = 0.0;  // the position's mark when submitted
  uint64_t order_seq = 0;
};

enum class SubmitOutcome { kAccepted, kDuplicate, kRefused };

struct SubmitResult {
  SubmitOutcome outcome = SubmitOutcome::kRefused;
  int http_code = 0;   // 200 accepted / duplicate; 423 stopped or paused
  std::string reason;  // "" when accepted
  uint64_t order_seq = 0;
};

class PaperBroker {
 public:
  // Restores the account, positions and pending orders from the store (a
  // fresh store starts with initial_cash_usd). FailedPrecondition
  // kLiveNeedsBrokerMessage for mode live. Neither pointer is owned; both
  // must outlive the broker. Symbols are persisted by name.
  static Status open(StateStore* store, SymbolTable* symbols, const PaperBrokerOptions& options,
                     std::unique_ptr<PaperBroker>* out);

  // Step 1 (see above). bars: any order; symbols without a bar keep their
  // mark and their pending orders. A NaN or non-positive open leaves the
  // order pending.
  Status on_minute_close(int64_t minute_ts_ns, const BarPrice* bars, size_t count);

  // Step 2. positions: qty != 0, in symbol-name order; the pointer is valid
  // until the next non-const call. consecutive_errors, var_pct (NaN) and
  // decision_latency_ms (NaN) are the caller's to fill.
  sh_portfolio_state portfolio_state() const;

  // Step 3. intent.side BUY/SELL, qty finite > 0, symbol known; key
  // non-empty, <= 400 bytes. InvalidArgument for a malformed call; a
  // refusal (emergency stop, paused) is a result, not an error.
  Status submit(const sh_order_intent& intent, std::string_view idempotency_key,
                SubmitResult* result);

  // Step 4: writes everything staged since the last commit into txn.
  Status persist(StateTxn& txn);
  StateStore::TxnHook persist_hook() {
    return [this](StateTxn& txn) { return persist(txn); };
  }
  // Step 5.
  Status on_commit(const Status& write_status);
  // Fills of committed minutes, in fill order, since the last call.
  std::vector<Fill> take_committed_fills();
  // This minute's fills, before on_commit (written to trades.csv ahead of
  // the commit; see events/feed_recovery.h).
  const std::vector<Fill>& staged_fills() const { return staged_fills_; }
  // begin_write + persist + commit + on_commit: for commands between minutes.
  Status commit_now();

  // Commands. emergency_stop refuses every later submit (423) and cancels
  // pending orders other than flatten orders, until clear_emergency_stop.
  void emergency_stop();
  void clear_emergency_stop();
  // Cancels every pending order, then submits one closing order per open
  // position (key "flatten/<symbol>/<ts_ns>"), allowed even when stopped or
  // paused; fills like any order. *orders = how many were submitted.
  Status flatten_all(int64_t ts_ns, size_t* orders = nullptr);
  // Emergency reduce (VaR above its emergency level): one order per open
  // position closing `fraction` (0, 1] of its quantity (key
  // "var_reduce/<symbol>/<ts_ns>", reason "var_reduce"), allowed even when
  // stopped or paused, like flatten. Earlier reduce orders still pending are
  // cancelled first (superseded). *orders: what was submitted, by name.
  Status reduce_positions(int64_t ts_ns, double fraction, std::vector<ClosingOrder>* orders);
  // The closing orders (order_seq 0) that would close `fraction` of every
  // open position, in name order, without submitting them (dry-run).
  std::vector<ClosingOrder> closing_plan(int64_t ts_ns, double fraction, const char* reason) const;
  void pause();   // refuses new orders (423) until resume; pending ones still fill
  // Reduce-only (emergency reduce active): submits that would grow or flip
  // a position are refused (423, reason says why); reductions pass. Set by
  // the decision stage each minute, not persisted (derived from its state).
  void set_reduce_only(bool on) { reduce_only_ = on; }
  void resume();

  bool emergency_stopped() const { return emergency_stop_; }
  bool paused() const { return paused_; }
  double cash_usd() const { return cash_; }
  double equity_usd() const { return equity_; }
  double realized_pnl_usd() const { return realized_; }
  double unrealized_pnl_usd() const;
  double peak_equity_usd() const { return peak_equity_; }
  double drawdown_pct() const;
  double daily_pnl_usd() const { return equity_ - day_start_equity_; }
  int64_t last_minute_ts_ns() const { return last_minute_ts_ns_; }
  size_t pending_order_count() const { return pending_.size(); }
  // nullptr when the symbol never traded.
  const PaperPosition* position(std::string_view symbol) const;

 private:
  struct Order {
    uint64_t seq = 0;
    std::string key;
    std::string symbol;
    sh_symbol_id symbol_id = SH_INVALID_SYMBOL;
    sh_side side = SH_SIDE_UNKNOWN;
    double qty = 0.0;
    double ref_price = 0.0;
    int64_t submit_minute_ts_ns = 0;
    std::string status;  // pending | filled | cancelled
    std::string reason;  // signal | flatten | var_reduce | cancel reason
    int64_t fill_ts_ns = 0;
    double fill_price = 0.0;
  };

  PaperBroker(StateStore* store, SymbolTable* symbols, const PaperBrokerOptions& options)
      : store_(store), symbols_(symbols), options_(options) {}
  Status load();
  Status load_pending_orders(StateTxn& txn, const std::string& where);
  void reset_memory();
  Order make_order(std::string_view key, std::string_view symbol, sh_symbol_id id, sh_side side,
                   double qty, double ref_price, const char* reason);
  // Fills `order` and moves it into dirty_orders_: the caller drops it.
  void fill(Order& order, int64_t ts_ns, double ref_price);
  bool clamp_reduce_only(Order& order);
  // Whether an order of qty on side only shrinks the symbol's position.
  bool reduces_position(std::string_view symbol, sh_side side, double qty) const;
  // Which pending orders cancel_pending cancels.
  enum class CancelScope { kAll, kAllButDerisking, kVarReduce };
  void cancel_pending(CancelScope scope, const char* reason);
  // One closing order per open position for `fraction` of its quantity.
  void close_positions(int64_t ts_ns, double fraction, const char* reason,
                       std::vector<ClosingOrder>* orders);
  void recompute_equity();
  void stage_account() { account_dirty_ = true; }

  StateStore* store_;
  SymbolTable* symbols_;
  PaperBrokerOptions options_;

  // State (committed + staged). Ordered maps: persisted and reported in
  // name / sequence order (determinism).
  double cash_ = 0.0;
  double realized_ = 0.0;
  double equity_ = 0.0;
  double peak_equity_ = 0.0;
  double day_start_equity_ = 0.0;
  int64_t day_index_ = INT64_MIN;  // UTC day of the last close (ts / 86400 s)
  int64_t last_minute_ts_ns_ = INT64_MIN;
  uint64_t next_order_seq_ = 1;
  bool emergency_stop_ = false;
  bool paused_ = false;
  bool reduce_only_ = false;
  std::map<std::string, PaperPosition, std::less<>> positions_;
  std::map<uint64_t, Order> pending_;          // by seq
  KeySet known_keys_;  // every key ever accepted (lookup only; grows without rehash pauses)
  std::map<sh_symbol_id, double> mids_;         // last minute's mid per symbol (mid mode)

  // Staged since the last commit.
  bool account_dirty_ = false;
  // Positions to persist, by symbol id (every position is marked at every
  // close: a flag, not a set of names); persist() writes them in name order.
  std::vector<char> dirty_position_ids_;
  bool any_dirty_position_ = false;
  void mark_position_dirty(sh_symbol_id id);
  void clear_dirty_positions();
  std::map<std::string, Order> dirty_orders_;  // by key: the record to write
  std::vector<Fill> staged_fills_;
  std::vector<Fill> committed_fills_;

  mutable std::vector<sh_position> position_view_;
  std::vector<int32_t> bar_index_;  // scratch: symbol id -> index into bars, -1 none
};

}  // namespace sh::host::v0

#endif  // SH_BENCH_PAPER_BROKER_V0_H
