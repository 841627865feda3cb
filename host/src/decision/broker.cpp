#include "decision/broker.h"
#include "decision/durable_state.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "plugins/plugin_instance.h"
#include "store/text_format.h"
#include "services/symbol_table.h"

namespace sh::host {

namespace {

constexpr std::string_view kAccountKey = "paper/account";
constexpr int64_t kDayNs = 86400LL * 1000000000LL;
constexpr size_t kMaxKeyBytes = 400;

sh_order_state parse_state(const std::string& s) {
  for (sh_order_state st = SH_ORDER_NEW; st <= SH_ORDER_EXPIRED; ++st) {
    if (s == order_state_name(st)) return st;
  }
  if (s == "pending") return SH_ORDER_ACKNOWLEDGED;  // stores written before venues
  if (s == "cancelled") return SH_ORDER_CANCELED;
  return -1;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}


void add_field(std::string* s, const char* name, double v) {
  if (s->size() > 1) *s += ',';
  append_json_string(s, name);
  *s += ':';
  append_json_double(s, v);
}
void add_field(std::string* s, const char* name, int64_t v) {
  if (s->size() > 1) *s += ',';
  append_json_string(s, name);
  *s += ':';
  *s += std::to_string(v);
}
void add_field(std::string* s, const char* name, uint64_t v) {
  if (s->size() > 1) *s += ',';
  append_json_string(s, name);
  *s += ':';
  *s += std::to_string(v);
}
void add_field(std::string* s, const char* name, bool v) {
  if (s->size() > 1) *s += ',';
  append_json_string(s, name);
  *s += v ? ":true" : ":false";
}
void add_field(std::string* s, const char* name, std::string_view v) {
  if (s->size() > 1) *s += ',';
  append_json_string(s, name);
  *s += ':';
  append_json_string(s, v);
}

// JSON numbers written by append_json_double round-trip exactly; null = NaN.
double num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nan("");
  return it->get<double>();
}
int64_t i64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

}  // namespace

Status Broker::open(StateStore* store, SymbolTable* symbols, PluginInstance* venue,
                    const BrokerOptions& options, std::unique_ptr<Broker>* out) {
  if (store == nullptr || symbols == nullptr) {
    return Status::InvalidArgument("broker: needs a state store and a symbol table");
  }
  if (venue != nullptr && venue->kind() != SH_KIND_VENUE) {
    return Status::InvalidArgument("broker: component '" + venue->component() + "' is not a venue");
  }
  if (!(options.initial_cash_usd > 0.0) || !std::isfinite(options.initial_cash_usd)) {
    return Status::InvalidArgument("broker: initial_cash_usd " +
                                   format_double(options.initial_cash_usd) + " must be > 0");
  }
  std::unique_ptr<Broker> b(new Broker(store, symbols, venue, options));
  b->caps_.struct_size = sizeof b->caps_;
  const sh_status rc = venue != nullptr ? venue->venue_capabilities(b->caps_) : SH_OK;
  if (rc != SH_OK) {
    return Status::RemoteError("venue '" + venue->component() + "': capabilities failed: " +
                            abi_status_name(rc) + " " + venue->last_error());
  }
  if (venue == nullptr && options.mode == TradingMode::kLive) {
    return Status::FailedPrecondition(std::string(kLiveNeedsBrokerMessage));
  }
  if (venue != nullptr) {
    const bool simulated = (b->caps_.flags & SH_VENUE_SIMULATED) != 0;
    const std::string which =
        "venue '" + venue->component() + "' (plugin " + venue->library().name() + ")";
    if (options.mode == TradingMode::kPaper && !simulated) {
      return Status::FailedPrecondition(
          "execution.mode is paper but " + which +
          " is not simulated: it reaches a real market. Set execution.mode: live to trade on it");
    }
    if (options.mode == TradingMode::kLive && simulated) {
      return Status::FailedPrecondition("execution.mode is live but " + which +
                                        " is simulated: name a live venue in execution.venue");
    }
    // The decision layer sends market orders, good till cancelled.
    if ((b->caps_.order_types & (1u << SH_ORDER_MARKET)) == 0 ||
        (b->caps_.time_in_force & (1u << SH_TIF_GTC)) == 0) {
      return Status::FailedPrecondition(which +
                                        " does not offer market orders good till cancelled, "
                                        "which the decision layer sends");
    }
  }
  Status st = b->load();
  if (!st.ok()) return st;
  st = b->load_venue_state();
  if (!st.ok()) return st;
  *out = std::move(b);
  return Status::Ok();
}

void Broker::reset_memory() {
  cash_ = options_.initial_cash_usd;
  realized_ = 0.0;
  fees_ = 0.0;
  equity_ = cash_;
  peak_equity_ = cash_;
  day_start_equity_ = cash_;
  day_index_ = INT64_MIN;
  last_minute_ts_ns_ = INT64_MIN;
  next_order_seq_ = 1;
  emergency_stop_ = false;
  paused_ = false;
  positions_.clear();
  pending_.clear();
  working_keys_.clear();
  cancel_reasons_.clear();
  known_keys_.clear();
  account_dirty_ = false;
  clear_dirty_positions();
  dirty_orders_.clear();
  staged_fills_.clear();
  staged_transitions_.clear();
}

void Broker::mark_position_dirty(sh_symbol_id id) {
  if (id >= dirty_position_ids_.size()) dirty_position_ids_.resize(static_cast<size_t>(id) + 1, 0);
  dirty_position_ids_[id] = 1;
  any_dirty_position_ = true;
}

void Broker::clear_dirty_positions() {
  if (any_dirty_position_) std::fill(dirty_position_ids_.begin(), dirty_position_ids_.end(), 0);
  any_dirty_position_ = false;
}

Status Broker::load() {
  reset_memory();
  StateTxn txn;
  Status st = store_->begin_read(&txn);
  if (!st.ok()) return st;
  const std::string where = "paper broker (state store " + store_->dir() + "): ";

  std::string value;
  st = txn.get(StateDb::kMeta, kAccountKey, &value);
  if (st.ok()) {
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption(where + "meta." + std::string(kAccountKey) + " is not a JSON object");
    }
    cash_ = num(j, "cash_usd");
    realized_ = num(j, "realized_pnl_usd");
    fees_ = j.contains("fees_usd") ? num(j, "fees_usd") : 0.0;
    peak_equity_ = num(j, "peak_equity_usd");
    day_start_equity_ = num(j, "day_start_equity_usd");
    day_index_ = j.value("day_index", INT64_MIN);
    last_minute_ts_ns_ = j.value("last_minute_ts_ns", INT64_MIN);
    next_order_seq_ = j.value("next_order_seq", uint64_t{1});
    emergency_stop_ = j.value("emergency_stop", false);
    paused_ = j.value("paused", false);
    if (!std::isfinite(cash_) || !std::isfinite(realized_) || !std::isfinite(fees_) ||
        !std::isfinite(peak_equity_) ||
        !std::isfinite(day_start_equity_)) {
      return Status::Corruption(where + "meta." + std::string(kAccountKey) +
                                " has a missing or non-finite amount");
    }
  } else if (!st.is_not_found()) {
    return st;
  }

  Status bad;
  st = txn.scan(StateDb::kPositions, "", "", [&](std::string_view key, std::string_view v) {
    const nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad = Status::Corruption(where + "positions[" + std::string(key) + "] is not a JSON object");
      return false;
    }
    PaperPosition p;
    p.symbol = symbols_->intern(key);
    p.qty = num(j, "qty");
    p.avg_price = num(j, "avg_price");
    p.mark_price = num(j, "mark_price");
    p.realized_pnl_usd = num(j, "realized_pnl_usd");
    if (p.symbol == SH_INVALID_SYMBOL || !std::isfinite(p.qty) || !std::isfinite(p.avg_price) ||
        !std::isfinite(p.mark_price) || !std::isfinite(p.realized_pnl_usd)) {
      bad = Status::Corruption(where + "positions[" + std::string(key) + "] is incomplete");
      return false;
    }
    positions_.emplace(std::string(key), p);
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.ok()) return bad;

  st = load_pending_orders(txn, where);
  if (!st.ok()) return st;
  recompute_equity();
  return Status::Ok();
}

// The idempotency keys of every order, and the orders still working.
Status Broker::load_pending_orders(StateTxn& txn, const std::string& where) {
  Status bad;
  Status st = txn.scan(StateDb::kOrders, "", "", [&](std::string_view key, std::string_view v) {
    known_keys_.insert(std::string(key));
    const nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] is not a JSON object");
      return false;
    }
    // An order recorded ahead of its minute (write_ahead) has a seq the
    // account's next_order_seq may not count yet: never hand it out again.
    const uint64_t seq = j.value("seq", uint64_t{0});
    if (seq >= next_order_seq_) next_order_seq_ = seq + 1;
    const sh_order_state state = parse_state(j.value("status", ""));
    if (state < 0) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] has an unknown status");
      return false;
    }
    if (order_state_final(state)) return true;
    Order o;
    o.seq = j.value("seq", uint64_t{0});
    o.key = std::string(key);
    o.symbol = j.value("symbol", "");
    o.symbol_id = symbols_->intern(o.symbol);
    o.side = j.value("side", "") == "buy" ? SH_SIDE_BUY : SH_SIDE_SELL;
    o.qty = num(j, "qty");
    o.ref_price = num(j, "ref_price");
    o.submit_minute_ts_ns = i64(j, "submit_minute_ts_ns");
    o.state = state;
    o.reason = j.value("reason", "signal");
    o.fill_ts_ns = i64(j, "fill_ts_ns");
    o.fill_price = num(j, "fill_price");
    o.type = j.value("type", "market") == "limit" ? SH_ORDER_LIMIT : SH_ORDER_MARKET;
    const std::string tif = j.value("tif", "gtc");
    o.tif = tif == "ioc" ? SH_TIF_IOC : tif == "fok" ? SH_TIF_FOK : SH_TIF_GTC;
    o.limit_price = num(j, "limit_price");
    o.filled_qty = j.contains("filled_qty") ? num(j, "filled_qty") : 0.0;
    o.fees_usd = j.contains("fees_usd") ? num(j, "fees_usd") : 0.0;
    o.venue_order_id = j.value("venue_order_id", "");
    if (o.symbol_id == SH_INVALID_SYMBOL || !(o.qty > 0.0) || !std::isfinite(o.filled_qty)) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] is incomplete");
      return false;
    }
    working_keys_.emplace(o.key, o.seq);
    pending_.emplace(o.seq, std::move(o));
    return true;
  });
  if (!st.ok()) return st;
  return bad;
}

void Broker::recompute_equity() {
  double eq = cash_;
  for (const auto& kv : positions_) eq += kv.second.qty * kv.second.mark_price;
  equity_ = eq;
}

double Broker::unrealized_pnl_usd() const {
  double u = 0.0;
  for (const auto& kv : positions_) u += kv.second.unrealized_pnl_usd();
  return u;
}

double Broker::drawdown_pct() const {
  if (!(peak_equity_ > 0.0) || equity_ >= peak_equity_) return 0.0;
  return (peak_equity_ - equity_) / peak_equity_ * 100.0;
}

const PaperPosition* Broker::position(std::string_view symbol) const {
  auto it = positions_.find(symbol);
  return it == positions_.end() ? nullptr : &it->second;
}

bool Broker::reduces_position(std::string_view symbol, sh_side side, double qty) const {
  const PaperPosition* p = position(symbol);
  const double held = p != nullptr ? p->qty : 0.0;
  const double after = held + (side == SH_SIDE_BUY ? qty : -qty);
  return std::fabs(after) < std::fabs(held) && after * held >= 0.0;
}

Status Broker::on_minute_close(int64_t minute_ts_ns, const BarPrice* bars, size_t count) {
  if (last_minute_ts_ns_ != INT64_MIN && minute_ts_ns <= last_minute_ts_ns_) {
    return Status::Ok();  // replayed minute: already accounted for
  }
  const int64_t day = floor_div(minute_ts_ns, kDayNs);
  if (day != day_index_) {
    day_start_equity_ = equity_;  // equity at the last close of the previous day
    day_index_ = day;
  }
  // symbol id -> bar
  for (size_t i = 0; i < count; ++i) {
    const sh_symbol_id id = bars[i].symbol;
    if (id >= bar_index_.size()) bar_index_.resize(static_cast<size_t>(id) + 1, -1);
    bar_index_[id] = static_cast<int32_t>(i);
  }
  auto bar_of = [&](sh_symbol_id id) -> const BarPrice* {
    if (id >= bar_index_.size() || bar_index_[id] < 0) return nullptr;
    return &bars[bar_index_[id]];
  };

  expire_unacknowledged(minute_ts_ns + kOrderSendDelayNs);
  if (venue_enabled_ && (caps_.flags & SH_VENUE_WANTS_BARS) != 0) {
    venue_bars_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      sh_venue_bar& v = venue_bars_[i];
      v = sh_venue_bar{};
      v.struct_size = sizeof v;
      v.symbol = bars[i].symbol;
      v.minute_ts_ns = minute_ts_ns;
      v.open = bars[i].open;
      v.high = bars[i].high;
      v.low = bars[i].low;
      v.close = bars[i].close;
      v.volume = bars[i].volume;
      v.mid = bars[i].mid;
    }
    sh_venue_bar_batch batch{};
    batch.struct_size = sizeof batch;
    batch.item_size = sizeof(sh_venue_bar);
    batch.count = static_cast<uint32_t>(count);
    batch.minute_ts_ns = minute_ts_ns;
    batch.items = venue_bars_.empty() ? nullptr : venue_bars_.data();
    const sh_status rc = venue_->venue_on_bars(batch, sink());
    if (rc != SH_OK) {
      for (size_t i = 0; i < count; ++i) bar_index_[bars[i].symbol] = -1;
      return Status::RemoteError("venue '" + venue_->component() + "': on_bars failed: " +
                              abi_status_name(rc) + " " + venue_->last_error());
    }
  }
  // Mark every position at the close and sum the equity in the same pass
  // (the sum recompute_equity() makes, in the same order).
  double eq = cash_;
  for (auto& kv : positions_) {
    PaperPosition& p = kv.second;
    const BarPrice* b = bar_of(p.symbol);
    if (b != nullptr && std::isfinite(b->close) && b->close > 0.0 && p.mark_price != b->close) {
      p.mark_price = b->close;
      mark_position_dirty(p.symbol);
    }
    eq += p.qty * p.mark_price;
  }
  for (size_t i = 0; i < count; ++i) bar_index_[bars[i].symbol] = -1;

  equity_ = eq;
  if (equity_ > peak_equity_) peak_equity_ = equity_;
  last_minute_ts_ns_ = minute_ts_ns;
  stage_account();
  return Status::Ok();
}

sh_portfolio_state Broker::portfolio_state() const {
  position_view_.clear();
  double gross = 0.0, net = 0.0;
  for (const auto& kv : positions_) {
    const PaperPosition& p = kv.second;
    if (p.qty == 0.0) continue;
    sh_position sp{};
    sp.struct_size = sizeof sp;
    sp.symbol = p.symbol;
    sp.qty = p.qty;
    sp.avg_price = p.avg_price;
    sp.mark_price = p.mark_price;
    sp.notional_usd = p.qty * p.mark_price;
    sp.unrealized_pnl_usd = p.unrealized_pnl_usd();
    gross += std::fabs(sp.notional_usd);
    net += sp.notional_usd;
    position_view_.push_back(sp);
  }
  sh_portfolio_state s{};
  s.struct_size = sizeof s;
  s.position_size = sizeof(sh_position);
  s.position_count = static_cast<uint32_t>(position_view_.size());
  s.consecutive_errors = 0;
  s.ts_ns = last_minute_ts_ns_ == INT64_MIN ? 0 : last_minute_ts_ns_;
  s.equity_usd = equity_;
  s.cash_usd = cash_;
  s.gross_exposure_usd = gross;
  s.net_exposure_usd = net;
  s.daily_pnl_usd = daily_pnl_usd();
  s.peak_equity_usd = peak_equity_;
  s.drawdown_pct = drawdown_pct();
  s.var_pct = std::nan("");
  s.decision_latency_ms = std::nan("");
  s.positions = position_view_.empty() ? nullptr : position_view_.data();
  return s;
}

Broker::Order Broker::make_order(std::string_view key, std::string_view symbol,
                                           sh_symbol_id id, sh_side side, double qty,
                                           double ref_price, const char* reason) {
  Order o;
  o.seq = next_order_seq_++;
  o.key = std::string(key);
  o.symbol = std::string(symbol);
  o.symbol_id = id;
  o.side = side;
  o.qty = qty;
  o.ref_price = ref_price;
  o.submit_minute_ts_ns = last_minute_ts_ns_ == INT64_MIN ? 0 : last_minute_ts_ns_;
  o.state = SH_ORDER_NEW;
  o.reason = reason;
  known_keys_.add_new(o.key);  // both callers checked contains() first
  stage_account();
  return o;
}

Status Broker::submit(const sh_order_intent& intent, std::string_view key,
                           SubmitResult* result) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("broker: idempotency key must be 1.." +
                                   std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (intent.side != SH_SIDE_BUY && intent.side != SH_SIDE_SELL) {
    return Status::InvalidArgument("broker: order '" + std::string(key) +
                                   "' has no side (buy or sell)");
  }
  if (!(intent.qty > 0.0) || !std::isfinite(intent.qty)) {
    return Status::InvalidArgument("broker: order '" + std::string(key) + "' qty " +
                                   format_double(intent.qty) + " must be finite and > 0");
  }
  const char* name = symbols_->name(intent.symbol);
  if (name == nullptr) {
    return Status::InvalidArgument("broker: order '" + std::string(key) +
                                   "' names unknown symbol id " + std::to_string(intent.symbol));
  }
  *result = SubmitResult{};
  if (known_keys_.contains(key)) {
    result->outcome = SubmitOutcome::kDuplicate;
    result->http_code = 200;
    result->reason = "duplicate idempotency key: already accepted, not filled again";
    return Status::Ok();
  }
  if (emergency_stop_ || paused_) {
    result->outcome = SubmitOutcome::kRefused;
    result->http_code = 423;
    result->reason = emergency_stop_ ? "emergency stop is active" : "trading is paused";
    return Status::Ok();
  }
  if (reduce_only_ && !reduces_position(name, intent.side, intent.qty)) {
    result->outcome = SubmitOutcome::kRefused;
    result->http_code = 423;
    result->reason = "emergency reduce is active: reduce-only until VaR is back under its target";
    return Status::Ok();
  }
  Order o = make_order(key, name, intent.symbol, intent.side, intent.qty, intent.price, "signal");
  result->outcome = SubmitOutcome::kAccepted;
  result->http_code = 200;
  result->order_seq = o.seq;
  const std::string k = o.key;
  const uint64_t seq = o.seq;
  stage_order(o, o.sent_ts_ns());
  working_keys_.emplace(k, seq);
  if (!pending_.emplace(seq, std::move(o)).second) {
    return Status::Corruption("broker: order seq " + std::to_string(seq) + " of '" + k +
                              "' is already taken by a working order");
  }
  send(seq);
  const Order* now = staged(k);
  if (now != nullptr && now->state == SH_ORDER_REJECTED) {
    // The key stays used: a retry needs a new key, as at any exchange.
    result->outcome = SubmitOutcome::kRefused;
    result->reason = "venue rejected the order: " + now->reason;
    result->http_code = 400;
    for (sh_venue_reason r = SH_VENUE_REASON_INVALID_ORDER; r <= SH_VENUE_REASON_REDUCE_ONLY; ++r) {
      if (now->reason == venue_reason_name(r)) result->http_code = venue_reason_http_code(r);
    }
  }
  return Status::Ok();
}

void Broker::cancel_pending(CancelScope scope, const char* reason) {
  std::vector<std::string> keys;  // cancel_at_venue changes pending_
  for (const auto& [seq, o] : pending_) {
    (void)seq;
    if ((scope == CancelScope::kAllButDerisking && o.derisking()) ||
        (scope == CancelScope::kVarReduce && o.reason != "var_reduce")) {
      continue;
    }
    keys.push_back(o.key);
  }
  for (const std::string& key : keys) cancel_at_venue(key, reason);
}

void Broker::emergency_stop() {
  emergency_stop_ = true;
  cancel_pending(CancelScope::kAllButDerisking, "emergency_stop");
  stage_account();
}

void Broker::clear_emergency_stop() {
  emergency_stop_ = false;
  stage_account();
}

void Broker::pause() {
  paused_ = true;
  stage_account();
}

void Broker::resume() {
  paused_ = false;
  stage_account();
}

Status Broker::flatten_all(int64_t ts_ns, size_t* orders) {
  cancel_pending(CancelScope::kAll, "flatten");
  std::vector<ClosingOrder> made;
  close_positions(ts_ns, 1.0, "flatten", &made);
  if (orders != nullptr) *orders = made.size();
  return Status::Ok();
}

Status Broker::reduce_positions(int64_t ts_ns, double fraction,
                                     std::vector<ClosingOrder>* orders) {
  if (!(fraction > 0.0 && fraction <= 1.0)) {
    return Status::InvalidArgument("broker: reduce fraction must be in (0, 1]");
  }
  cancel_pending(CancelScope::kVarReduce, "superseded");
  orders->clear();
  close_positions(ts_ns, fraction, "var_reduce", orders);
  return Status::Ok();
}

std::vector<ClosingOrder> Broker::closing_plan(int64_t ts_ns, double fraction,
                                                   const char* reason) const {
  std::vector<ClosingOrder> plan;
  for (const auto& [name, p] : positions_) {
    if (p.qty == 0.0) continue;
    std::string key = std::string(reason) + "/" + name + "/" + std::to_string(ts_ns);
    if (known_keys_.contains(key)) continue;
    const double qty = fraction >= 1.0 ? std::fabs(p.qty) : std::fabs(p.qty) * fraction;
    if (!(qty > 0.0)) continue;
    plan.push_back(ClosingOrder{name, std::move(key), p.qty > 0.0 ? SH_SIDE_SELL : SH_SIDE_BUY,
                                qty, p.mark_price, 0});
  }
  return plan;
}

void Broker::close_positions(int64_t ts_ns, double fraction, const char* reason,
                                  std::vector<ClosingOrder>* orders) {
  // Planned first: a fill during send() changes positions_.
  for (ClosingOrder& c : closing_plan(ts_ns, fraction, reason)) {
    const PaperPosition& p = positions_.find(c.symbol)->second;
    Order o = make_order(c.key, c.symbol, p.symbol, c.side, c.qty, c.ref_price, reason);
    c.order_seq = o.seq;
    orders->push_back(c);
    const uint64_t seq = o.seq;
    stage_order(o, o.sent_ts_ns());
    working_keys_.emplace(o.key, seq);
    if (!pending_.emplace(seq, std::move(o)).second) {
      spdlog::error("broker: order seq {} is already taken by a working order; '{}' not sent", seq,
                    c.key);
      continue;
    }
    send(seq);
  }
}

Status Broker::load_venue_state() {
  if (venue_ == nullptr || !venue_->library().supports_state()) return Status::Ok();
  StateTxn txn;
  Status st = store_->begin_read(&txn);
  if (!st.ok()) return st;
  std::string value;
  st = txn.get(StateDb::kMeta, component_state_key(venue_->component()), &value);
  txn.abort();
  if (st.is_not_found()) return Status::Ok();
  if (!st.ok()) return st;
  std::string plugin;
  std::string_view bytes;
  if (!component_state_bytes(value, *venue_, &plugin, &bytes)) {
    spdlog::warn("venue '{}': the stored state belongs to plugin '{}', not {}: the venue starts "
                 "clear (reconciliation shows what differs)",
                 venue_->component(), plugin, venue_->library().name());
    return Status::Ok();
  }
  const std::string err = venue_->load_state(std::string(bytes));
  if (!err.empty()) {
    return Status::Corruption("venue '" + venue_->component() +
                              "': its stored book cannot be loaded (" + err +
                              "); refusing to trade on a venue that lost its orders");
  }
  venue_state_committed_ = value;
  return Status::Ok();
}

Status Broker::stage_venue_state() {
  venue_state_dirty_ = false;
  if (venue_ == nullptr || !venue_enabled_ || !venue_->library().supports_state()) return Status::Ok();
  std::string bytes;
  const std::string err = venue_->save_state(&bytes);
  if (!err.empty()) {
    return Status::RemoteError("venue '" + venue_->component() + "': " + err);
  }
  venue_state_staged_ = component_state_value(*venue_, bytes);
  venue_state_dirty_ = venue_state_staged_ != venue_state_committed_;
  return Status::Ok();
}

std::string Broker::order_record(const Order& o) const {
  std::string v = "{";
  add_field(&v, "seq", o.seq);
  add_field(&v, "symbol", std::string_view(o.symbol));
  add_field(&v, "side", std::string_view(order_side_name(o.side)));
  add_field(&v, "qty", o.qty);
  add_field(&v, "ref_price", o.ref_price);
  add_field(&v, "submit_minute_ts_ns", o.submit_minute_ts_ns);
  add_field(&v, "status", std::string_view(order_state_name(o.state)));
  add_field(&v, "reason", std::string_view(o.reason));
  add_field(&v, "fill_ts_ns", o.fill_ts_ns);
  add_field(&v, "fill_price", o.fill_price);
  add_field(&v, "type", std::string_view(o.type == SH_ORDER_LIMIT ? "limit" : "market"));
  add_field(&v, "tif", std::string_view(o.tif == SH_TIF_IOC ? "ioc" : o.tif == SH_TIF_FOK ? "fok" : "gtc"));
  add_field(&v, "limit_price", o.limit_price);
  add_field(&v, "filled_qty", o.filled_qty);
  add_field(&v, "fees_usd", o.fees_usd);
  add_field(&v, "venue_order_id", std::string_view(o.venue_order_id));
  v += '}';
  return v;
}

// Before an order leaves for a live venue its record is committed on its
// own: a host killed while the order is in flight knows the key at restart
// and never sends it again (the re-decided minute gets kDuplicate).
Status Broker::write_ahead(const Order& o) {
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return st;
  st = txn.put(StateDb::kOrders, o.key, order_record(o));
  if (st.ok()) st = txn.commit();
  if (!st.ok()) txn.abort();
  return st;
}

Status Broker::persist(StateTxn& txn) {
  // The venue plugin is asked here (the pipeline thread); the broker's own
  // records are made where the transaction is: with the minute writer, on
  // its thread, from state nothing changes before on_commit.
  const Status vs = stage_venue_state();
  if (!vs.ok()) return vs;
  return txn.in_txn([this](StateTxn& real) { return put_records(real); });
}

Status Broker::put_records(StateTxn& txn) const {
  Status vs;
  if (venue_state_dirty_) {
    vs = txn.put(StateDb::kMeta, component_state_key(venue_->component()), venue_state_staged_);
    if (!vs.ok()) return vs;
  }
  for (const auto& [name, p] : positions_) {
    if (!any_dirty_position_) break;
    if (p.symbol >= dirty_position_ids_.size() || !dirty_position_ids_[p.symbol]) continue;
    std::string v = "{";
    add_field(&v, "qty", p.qty);
    add_field(&v, "avg_price", p.avg_price);
    add_field(&v, "mark_price", p.mark_price);
    add_field(&v, "realized_pnl_usd", p.realized_pnl_usd);
    v += '}';
    Status st = txn.put(StateDb::kPositions, name, v);
    if (!st.ok()) return st;
  }
  for (const auto& [key, o] : dirty_orders_) {
    Status st = txn.put(StateDb::kOrders, key, order_record(o));
    if (!st.ok()) return st;
  }
  if (account_dirty_) {
    std::string v = "{";
    add_field(&v, "cash_usd", cash_);
    add_field(&v, "realized_pnl_usd", realized_);
    add_field(&v, "fees_usd", fees_);
    add_field(&v, "peak_equity_usd", peak_equity_);
    add_field(&v, "day_start_equity_usd", day_start_equity_);
    add_field(&v, "day_index", day_index_);
    add_field(&v, "last_minute_ts_ns", last_minute_ts_ns_);
    add_field(&v, "next_order_seq", next_order_seq_);
    add_field(&v, "emergency_stop", emergency_stop_);
    add_field(&v, "paused", paused_);
    v += '}';
    Status st = txn.put(StateDb::kMeta, kAccountKey, v);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status Broker::on_commit(const Status& write_status) {
  if (!write_status.ok()) {
    // The minute did not commit: forget it, be what the store says (the
    // venue's book too).
    Status st = load();
    if (st.ok()) st = load_venue_state();
    return st;
  }
  if (venue_state_dirty_) venue_state_committed_ = std::move(venue_state_staged_);
  venue_state_dirty_ = false;
  account_dirty_ = false;
  clear_dirty_positions();
  dirty_orders_.clear();
  staged_transitions_.clear();
  for (Fill& f : staged_fills_) committed_fills_.push_back(std::move(f));
  staged_fills_.clear();
  return Status::Ok();
}

std::vector<Fill> Broker::take_committed_fills() {
  std::vector<Fill> out;
  out.swap(committed_fills_);
  return out;
}

Status Broker::commit_now() {
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return st;
  st = persist(txn);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) txn.abort();
  Status after = on_commit(st);
  return st.ok() ? after : st;
}

}  // namespace sh::host
