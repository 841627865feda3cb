// Broker: the host's book of record in front of an execution venue plugin
// (ABI 1.4, SH_KIND_VENUE; the paper venue by default).
//
// The broker owns what must never be lost or doubled: the idempotency keys,
// every order and its lifecycle (NEW -> ACKNOWLEDGED -> PARTIALLY_FILLED ->
// FILLED / CANCELED / REJECTED / EXPIRED), positions, cash, fees, equity and
// drawdown, all in the host's LMDB store. The venue executes: it accepts,
// fills, cancels and expires orders and says so through reports
// (apply_report), which arrive during the broker's calls into it on the
// pipeline thread.
//
// Per minute close the pipeline calls, in this order:
//   1. on_minute_close(minute, bars)  hands the bars to the venue (a paper
//      venue fills the orders it holds there), then marks every position at
//      the close and updates equity / peak / drawdown / daily PnL;
//   2. portfolio_state()              input of the risk chain;
//   3. submit(intent, key) per order the risk chain let through: recorded
//      NEW, then sent to the venue;
//   4. store.write_minute(..., hook)  with persist(txn) inside the hook, so
//      the idempotency keys, orders, positions and account of this minute
//      commit in the minute's single transaction (or not at all);
//   5. on_commit(write_status)        ok: the minute is durable, its fills
//      are handed out by take_committed_fills() (trades.csv); error: the
//      broker reloads itself from the store, dropping the minute.
// Commands (emergency_stop, flatten_all, pause, resume) are staged the same
// way; commit_now() makes them durable at once between minutes. Flatten and
// emergency-reduce orders carry SH_ORDER_FLAG_REDUCE_ONLY: the venue clamps
// them to the position left when they fill.
//
// Idempotency: an accepted key is stored in `orders` in the same transaction
// as the order. A key seen before, committed in any earlier run or staged in
// this one, is never accepted again (kDuplicate) and never sent twice.
// Minutes at or before the last committed minute are ignored by
// on_minute_close (a replay catching up).
//
// Accounting: average cost. Cash moves by qty * fill price and the fill's
// fee; equity = cash + sum(qty * mark); unrealized = qty * (mark -
// avg_price); drawdown_pct = (peak - equity) / peak * 100; daily PnL =
// equity - equity at the last close before this UTC day (event time).
// slippage_bps of a fill = (price - ref_price) / ref_price * 1e4 against the
// order (positive = worse), to 1e-6 bps.
//
// Persisted:
//   positions  symbol name -> {"qty","avg_price","mark_price","realized_pnl_usd"}
//   orders     idempotency key -> {"seq","symbol","side","qty","ref_price",
//              "submit_minute_ts_ns","status","reason","fill_ts_ns","fill_price",
//              "type","tif","limit_price","filled_qty","fees_usd","venue_order_id"}
//              status: new | acknowledged | partially_filled | filled |
//              canceled | rejected | expired (stores written before venues
//              say pending / cancelled: read as acknowledged / canceled)
//   meta       "paper/account" -> {"cash_usd",...,"fees_usd","emergency_stop","paused"}
//
// Not thread-safe: owned by the pipeline thread.
#ifndef SH_HOST_DECISION_BROKER_H
#define SH_HOST_DECISION_BROKER_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <unordered_map>
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

namespace sh::host {

class PluginInstance;
class SymbolTable;

struct BrokerOptions {
  // kPaper: the venue must be simulated (SH_VENUE_SIMULATED); kLive: it must
  // not be (execution.mode: live with a named execution.venue).
  TradingMode mode = TradingMode::kPaper;
  double initial_cash_usd = 100000.0;  // > 0; used only when the store has no account
  // execution.ack_timeout_ms: an order the venue has not acknowledged this
  // long after it was sent is EXPIRED ("ack_timeout") and a cancel is sent
  // for it. 0 = never. Measured on the host clock for a simulated venue
  // (replays stay deterministic), in wall time (steady clock, from the
  // submit call or the restart that restored the order) for a network
  // venue, checked at every minute close and every poll between batches.
  int64_t ack_timeout_ns = 30'000'000'000;
};

// One symbol's prices at a minute close (what the venue's on_bars gets).
struct BarPrice {
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  double open = 0.0;
  double close = 0.0;
  double mid = 0.0;  // BBO mid at close; NaN -> close is used
  double high = std::numeric_limits<double>::quiet_NaN();
  double low = std::numeric_limits<double>::quiet_NaN();
  double volume = std::numeric_limits<double>::quiet_NaN();
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
  double qty = 0.0;        // > 0: this fill's quantity
  double ref_price = 0.0;  // the market price the venue measured it against
  double price = 0.0;      // the fill price
  double slippage_bps = 0.0;
  double fee_usd = 0.0;    // this fill's fee (negative: a rebate)
  sh_liquidity liquidity = SH_LIQUIDITY_UNKNOWN;
  double realized_pnl_usd = 0.0;  // realized by this fill
  double position_qty = 0.0;      // after the fill
  double avg_price = 0.0;         // after the fill
  std::string reason;             // "signal" | "flatten" | "var_reduce"
};

// One step of an order's lifecycle (orders.jsonl): its record after it.
struct OrderTransition {
  int64_t ts_ns = 0;  // venue time of the report, or the host's submit time
  std::string key;
  uint64_t seq = 0;
  std::string symbol;
  sh_side side = SH_SIDE_UNKNOWN;
  sh_order_type type = SH_ORDER_MARKET;
  sh_time_in_force tif = SH_TIF_GTC;
  double qty = 0.0;
  double limit_price = 0.0;
  sh_order_state state = SH_ORDER_NEW;
  double filled_qty = 0.0;
  double avg_fill_price = 0.0;
  double fees_usd = 0.0;
  std::string reason;
  std::string venue_order_id;
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
  // 200 accepted / duplicate; 423 stopped or paused; a venue's rejection:
  // venue_reason_http_code() of its reason.
  int http_code = 0;
  std::string reason;  // "" when accepted
  uint64_t order_seq = 0;
};

// An order decided at a minute's close is sent at the minute's end.
inline constexpr int64_t kOrderSendDelayNs = 60LL * 1000000000LL;
inline const char* order_side_name(sh_side side) { return side == SH_SIDE_BUY ? "buy" : "sell"; }

// "new", "acknowledged", ... (the persisted status text).
const char* order_state_name(sh_order_state state);
// FILLED, CANCELED, REJECTED, EXPIRED.
bool order_state_final(sh_order_state state);
// "reduce_only", "venue_unavailable", ... (an order's reason after a venue's
// rejection, expiry or cancel).
const char* venue_reason_name(sh_venue_reason reason);
// The paper API's HTTP-like code of a venue's reason (abi.h).
int venue_reason_http_code(sh_venue_reason reason);

// What reconcile() found: the orders the host holds as working that the
// venue does not, the venue's working orders the host does not know, and
// positions that differ (symbol, host qty, venue qty).
struct Reconciliation {
  std::vector<std::string> missing_at_venue;
  std::vector<std::string> unknown_to_host;
  // The venue's working orders the host does not know, as the venue reported
  // them (aligned with unknown_to_host).
  struct VenueOrder {
    sh_symbol_id symbol = SH_INVALID_SYMBOL;
    sh_side side = SH_SIDE_UNKNOWN;
    double qty = 0.0;  // cum + leaves
    double cum_qty = 0.0;
    std::string venue_order_id;
  };
  std::vector<VenueOrder> unknown_orders;
  struct PositionDiff {
    std::string symbol;
    double host_qty = 0.0;
    double venue_qty = 0.0;
    double venue_avg_price = 0.0;  // 0 when the venue did not say
  };
  std::vector<PositionDiff> positions;
  bool clean() const { return missing_at_venue.empty() && unknown_to_host.empty() && positions.empty(); }
  // Logs each difference (a warning line naming venue_name); their number.
  size_t log_differences(const std::string& venue_name) const;
};

class Broker {
 public:
  // Restores the account, positions and working orders from the store (a
  // fresh store starts with initial_cash_usd). FailedPrecondition
  // kLiveNeedsBrokerMessage for mode live. No pointer is owned; all must
  // outlive the broker. venue: an instance of kind SH_KIND_VENUE (its
  // durable state already restored), or null for a read-only look at the
  // book (host status): orders then fail as REJECTED, cancels stay local.
  // Symbols are persisted by name.
  static Status open(StateStore* store, SymbolTable* symbols, PluginInstance* venue,
                     const BrokerOptions& options, std::unique_ptr<Broker>* out);

  // Compares the working orders and positions with the venue's
  // (query_orders / query_positions). Logs nothing: the caller reports.
  Status reconcile(Reconciliation* out);
  // Makes the venue's view the book's (execution.reconcile.on_mismatch:
  // adopt): orders working only at the host are CANCELED ("reconcile: not at
  // the venue"), the venue's unknown working orders join the book
  // (ACKNOWLEDGED, reason "adopted") so their fills are booked, and each
  // differing position is set to the venue's quantity, the difference booked
  // as a trade at the position's mark (reason "reconcile"). Staged for the
  // next commit.
  void adopt(const Reconciliation& rec, int64_t ts_ns);

  // Reports from the venue (also from on_events / poll between minutes):
  // the order's new state and its fill, staged for the next commit. A
  // report for an order the broker does not hold as working is counted
  // (unknown_reports()) and logged, never applied.
  void apply_report(const sh_venue_report& report);
  // Market events for a venue that asked for them (SH_VENUE_WANTS_EVENTS).
  Status on_events(const sh_market_event* events, size_t count, size_t stride);
  // Asynchronous reports of a network venue.
  Status poll_venue();
  bool venue_wants_events() const {
    return venue_enabled_ && (caps_.flags & SH_VENUE_WANTS_EVENTS) != 0;
  }
  bool venue_simulated() const { return (caps_.flags & SH_VENUE_SIMULATED) != 0; }
  // Which orders may reach the venue (the run mode's rule: dry-run and
  // shadow send nothing to a live venue, canary only canary symbols). An
  // order it refuses is REJECTED at the host with *why as its reason,
  // before anything is sent. Unset: every order.
  using SendPolicy = std::function<bool(std::string_view symbol, std::string* why)>;
  void set_send_policy(SendPolicy policy) { send_policy_ = std::move(policy); }
  // Off (dry-run): the venue is never called (no bars, events, orders or
  // cancels); the book is only marked.
  void set_venue_enabled(bool on) { venue_enabled_ = on; }
  uint64_t ack_timeouts() const { return ack_timeouts_; }
  // Fills reported for orders the host had already closed (booked).
  uint64_t late_fills() const { return late_fills_; }
  const sh_venue_capabilities& venue_capabilities() const { return caps_; }
  uint64_t unknown_reports() const { return unknown_reports_; }

  // Step 1 (see above). bars: any order; symbols without a bar keep their
  // mark (the venue decides what fills).
  Status on_minute_close(int64_t minute_ts_ns, const BarPrice* bars, size_t count);

  // Step 2. positions: qty != 0, in symbol-name order; the pointer is valid
  // until the next non-const call. consecutive_errors, var_pct (NaN) and
  // decision_latency_ms (NaN) are the caller's to fill.
  sh_portfolio_state portfolio_state() const;

  // Step 3. intent.side BUY/SELL, qty finite > 0, symbol known; key
  // non-empty, <= 400 bytes. InvalidArgument for a malformed call; a
  // refusal (emergency stop, paused, the venue's rejection) is a result,
  // not an error. A market order, GTC.
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
  // Order transitions since the last commit, in order (orders.jsonl, ahead
  // of the commit like the fills).
  const std::vector<OrderTransition>& staged_transitions() const { return staged_transitions_; }
  // begin_write + persist + commit + on_commit: for commands between minutes.
  Status commit_now();

  // Commands. emergency_stop refuses every later submit (423) and cancels
  // working orders (at the venue) other than flatten orders, until
  // clear_emergency_stop.
  void emergency_stop();
  void clear_emergency_stop();
  // Cancels every working order, then submits one closing order per open
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
  double fees_usd() const { return fees_; }
  double unrealized_pnl_usd() const;
  double peak_equity_usd() const { return peak_equity_; }
  double drawdown_pct() const;
  double daily_pnl_usd() const { return equity_ - day_start_equity_; }
  int64_t last_minute_ts_ns() const { return last_minute_ts_ns_; }
  // The end of the last closed minute on the host clock (0 before any).
  int64_t last_close_ts_ns() const {
    return last_minute_ts_ns_ == INT64_MIN ? 0 : last_minute_ts_ns_ + kOrderSendDelayNs;
  }
  size_t pending_order_count() const { return pending_.size(); }  // working orders
  // Working orders whose venue answer is still due: not acknowledged yet,
  // market / IOC / FOK orders not final, cancels asked for (a network
  // venue's answers come back on poll; the end of a run waits for them).
  size_t answers_due() const;
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
    sh_order_state state = SH_ORDER_NEW;
    std::string reason;  // signal | flatten | var_reduce | cancel / reject reason
    int64_t fill_ts_ns = 0;   // last fill
    double fill_price = 0.0;  // average fill price
    sh_order_type type = SH_ORDER_MARKET;
    sh_time_in_force tif = SH_TIF_GTC;
    double limit_price = std::numeric_limits<double>::quiet_NaN();
    double filled_qty = 0.0;
    double fees_usd = 0.0;
    std::string venue_order_id;
    // Steady clock when the order was handed to the venue (or restored at
    // start): a network venue's ack timeout runs from it. Not persisted.
    int64_t handed_wall_ns = steady_ns();
    bool derisking() const { return reason == "flatten" || reason == "var_reduce"; }
    int64_t sent_ts_ns() const { return submit_minute_ts_ns + kOrderSendDelayNs; }
  };

  static int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // Unavailable: the venue answered SH_WOULD_BLOCK (its view not ready).
  Status venue_not_ready(const char* call) const;
  Broker(StateStore* store, SymbolTable* symbols, PluginInstance* venue, const BrokerOptions& options)
      : store_(store), symbols_(symbols), venue_(venue), options_(options) {}
  Status load();
  Status load_pending_orders(StateTxn& txn, const std::string& where);
  void reset_memory();
  Order make_order(std::string_view key, std::string_view symbol, sh_symbol_id id, sh_side side,
                   double qty, double ref_price, const char* reason);
  // Books a fill of the venue's into positions, cash and the order.
  void book_fill(Order& order, const sh_venue_report& r, double qty);
  // Sends a NEW order to the venue; a venue that fails the call without a
  // report leaves it REJECTED (UNAVAILABLE).
  void send(uint64_t seq);
  // Cancels one working order at the venue; reason becomes the order's.
  void cancel_at_venue(const std::string& key, const char* reason);
  // The persisted record of an order changed.
  void stage_order(const Order& o, int64_t ts_ns);
  std::string order_record(const Order& o) const;  // the `orders` value
  Status write_ahead(const Order& o);
  void record_transition(const Order& o, int64_t ts_ns);  // orders.jsonl only
  // An order reached a final state: out of the working set.
  void retire(uint64_t seq);
  // Ends a working order at the host (state, reason, its transition at
  // ts_ns), and retires it.
  void close_at_host(uint64_t seq, sh_order_state state, std::string reason, int64_t ts_ns);
  // The latest record of a key staged this minute, or nullptr.
  const Order* staged(const std::string& key) const;
  sh_venue_sink sink();
  static sh_status sink_report(void* ctx, const sh_venue_report* reports, uint32_t count,
                               uint32_t item_size);
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
  PluginInstance* venue_;
  BrokerOptions options_;
  sh_venue_capabilities caps_{};
  uint64_t unknown_reports_ = 0;
  uint64_t ack_timeouts_ = 0;
  uint64_t late_fills_ = 0;
  // The venue's durable state (ABI 1.1 save_state, a paper venue's book),
  // under meta "component_state/<component>" = "<plugin>\n<bytes>" in the
  // same transactions as the book of record, also between minutes
  // (commit_now), and reloaded with the book when a commit fails.
  std::string venue_state_committed_;
  std::string venue_state_staged_;
  bool venue_state_dirty_ = false;
  Status load_venue_state();
  Status stage_venue_state();
  // persist()'s puts of the venue state, positions, orders and account.
  Status put_records(StateTxn& txn) const;
  // A fill reported for an order the host had already closed.
  bool book_late_fill(const sh_venue_report& r);
  bool venue_enabled_ = true;
  SendPolicy send_policy_;
  // NEW orders older than the ack timeout at `now_ns`: EXPIRED.
  void expire_unacknowledged(int64_t now_ns);
  std::vector<sh_venue_bar> venue_bars_;  // scratch for on_bars
  std::unordered_map<std::string, uint64_t> working_keys_;  // key -> seq in pending_
  std::unordered_map<std::string, std::string> cancel_reasons_;  // key -> host's reason

  // State (committed + staged). Ordered maps: persisted and reported in
  // name / sequence order (determinism).
  double cash_ = 0.0;
  double realized_ = 0.0;
  double fees_ = 0.0;
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
  std::map<uint64_t, Order> pending_;          // working orders, by seq
  KeySet known_keys_;  // every key ever accepted (lookup only; grows without rehash pauses)

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
  std::vector<OrderTransition> staged_transitions_;
  std::vector<Fill> committed_fills_;

  mutable std::vector<sh_position> position_view_;
  std::vector<int32_t> bar_index_;  // scratch: symbol id -> index into bars, -1 none
};

}  // namespace sh::host

#endif  // SH_HOST_DECISION_BROKER_H
