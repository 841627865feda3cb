#include "paper_broker_v0.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/text_format.h"
#include "services/symbol_table.h"

namespace sh::host::v0 {

namespace {

constexpr std::string_view kAccountKey = "paper/account";
constexpr int64_t kDayNs = 86400LL * 1000000000LL;
constexpr size_t kMaxKeyBytes = 400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

const char* side_text(sh_side side) { return side == SH_SIDE_BUY ? "buy" : "sell"; }

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

Status PaperBroker::open(StateStore* store, SymbolTable* symbols, const PaperBrokerOptions& options,
                         std::unique_ptr<PaperBroker>* out) {
  if (options.mode == TradingMode::kLive) {
    return Status::FailedPrecondition(std::string(kLiveNeedsBrokerMessage));
  }
  if (store == nullptr || symbols == nullptr) {
    return Status::InvalidArgument("paper broker: needs a state store and a symbol table");
  }
  if (!(options.initial_cash_usd > 0.0) || !std::isfinite(options.initial_cash_usd)) {
    return Status::InvalidArgument("paper broker: initial_cash_usd " +
                                   format_double(options.initial_cash_usd) + " must be > 0");
  }
  if (!(options.slippage_bps >= 0.0 && options.slippage_bps <= 10000.0)) {
    return Status::InvalidArgument("paper broker: slippage_bps " +
                                   format_double(options.slippage_bps) + " is outside 0..10000");
  }
  std::unique_ptr<PaperBroker> b(new PaperBroker(store, symbols, options));
  Status st = b->load();
  if (!st.ok()) return st;
  *out = std::move(b);
  return Status::Ok();
}

void PaperBroker::reset_memory() {
  cash_ = options_.initial_cash_usd;
  realized_ = 0.0;
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
  known_keys_.clear();
  mids_.clear();
  account_dirty_ = false;
  clear_dirty_positions();
  dirty_orders_.clear();
  staged_fills_.clear();
}

void PaperBroker::mark_position_dirty(sh_symbol_id id) {
  if (id >= dirty_position_ids_.size()) dirty_position_ids_.resize(static_cast<size_t>(id) + 1, 0);
  dirty_position_ids_[id] = 1;
  any_dirty_position_ = true;
}

void PaperBroker::clear_dirty_positions() {
  if (any_dirty_position_) std::fill(dirty_position_ids_.begin(), dirty_position_ids_.end(), 0);
  any_dirty_position_ = false;
}

Status PaperBroker::load() {
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
    peak_equity_ = num(j, "peak_equity_usd");
    day_start_equity_ = num(j, "day_start_equity_usd");
    day_index_ = j.value("day_index", INT64_MIN);
    last_minute_ts_ns_ = j.value("last_minute_ts_ns", INT64_MIN);
    next_order_seq_ = j.value("next_order_seq", uint64_t{1});
    emergency_stop_ = j.value("emergency_stop", false);
    paused_ = j.value("paused", false);
    if (!std::isfinite(cash_) || !std::isfinite(realized_) || !std::isfinite(peak_equity_) ||
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

// The idempotency keys of every order, and the orders still pending.
Status PaperBroker::load_pending_orders(StateTxn& txn, const std::string& where) {
  Status bad;
  Status st = txn.scan(StateDb::kOrders, "", "", [&](std::string_view key, std::string_view v) {
    known_keys_.insert(std::string(key));
    const nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] is not a JSON object");
      return false;
    }
    if (j.value("status", "") != "pending") return true;
    Order o;
    o.seq = j.value("seq", uint64_t{0});
    o.key = std::string(key);
    o.symbol = j.value("symbol", "");
    o.symbol_id = symbols_->intern(o.symbol);
    o.side = j.value("side", "") == "buy" ? SH_SIDE_BUY : SH_SIDE_SELL;
    o.qty = num(j, "qty");
    o.ref_price = num(j, "ref_price");
    o.submit_minute_ts_ns = i64(j, "submit_minute_ts_ns");
    o.status = "pending";
    o.reason = j.value("reason", "signal");
    if (o.symbol_id == SH_INVALID_SYMBOL || !(o.qty > 0.0)) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] is incomplete");
      return false;
    }
    pending_.emplace(o.seq, std::move(o));
    return true;
  });
  if (!st.ok()) return st;
  return bad;
}

void PaperBroker::recompute_equity() {
  double eq = cash_;
  for (const auto& kv : positions_) eq += kv.second.qty * kv.second.mark_price;
  equity_ = eq;
}

double PaperBroker::unrealized_pnl_usd() const {
  double u = 0.0;
  for (const auto& kv : positions_) u += kv.second.unrealized_pnl_usd();
  return u;
}

double PaperBroker::drawdown_pct() const {
  if (!(peak_equity_ > 0.0) || equity_ >= peak_equity_) return 0.0;
  return (peak_equity_ - equity_) / peak_equity_ * 100.0;
}

const PaperPosition* PaperBroker::position(std::string_view symbol) const {
  auto it = positions_.find(symbol);
  return it == positions_.end() ? nullptr : &it->second;
}

// Flatten and emergency-reduce orders are reduce-only: an order filled
// earlier in the same bar (a signal accepted in the same minute) may have
// shrunk or flipped the position they were sized against. Clamped to what
// is left to close in their direction; with nothing left, cancelled
// (false).
bool PaperBroker::clamp_reduce_only(Order& o) {
  if (o.reason != "flatten" && o.reason != "var_reduce") return true;
  const PaperPosition* p = position(o.symbol);
  const double held = p != nullptr ? p->qty : 0.0;
  const bool closes = o.side == SH_SIDE_SELL ? held > 0.0 : held < 0.0;
  if (!closes) {
    o.status = "cancelled";
    o.reason = "reduce_only";
    dirty_orders_[o.key] = o;
    return false;
  }
  o.qty = std::min(o.qty, std::fabs(held));
  return true;
}

bool PaperBroker::reduces_position(std::string_view symbol, sh_side side, double qty) const {
  const PaperPosition* p = position(symbol);
  const double held = p != nullptr ? p->qty : 0.0;
  const double after = held + (side == SH_SIDE_BUY ? qty : -qty);
  return std::fabs(after) < std::fabs(held) && after * held >= 0.0;
}

void PaperBroker::fill(Order& o, int64_t ts_ns, double ref_price) {
  const double dir = o.side == SH_SIDE_BUY ? 1.0 : -1.0;
  const double price = ref_price + dir * ref_price * options_.slippage_bps / 10000.0;
  const double d = dir * o.qty;  // signed quantity traded

  auto [it, inserted] = positions_.try_emplace(o.symbol);
  PaperPosition& p = it->second;
  if (inserted) p.symbol = o.symbol_id;
  double realized = 0.0;
  if (p.qty == 0.0 || (p.qty > 0.0) == (d > 0.0)) {
    const double new_qty = p.qty + d;
    p.avg_price = (std::fabs(p.qty) * p.avg_price + std::fabs(d) * price) / std::fabs(new_qty);
    p.qty = new_qty;
  } else {
    const double closing = std::min(std::fabs(d), std::fabs(p.qty));
    realized = closing * (price - p.avg_price) * (p.qty > 0.0 ? 1.0 : -1.0);
    const double new_qty = p.qty + d;
    if (std::fabs(d) > std::fabs(p.qty)) {
      p.avg_price = price;  // flipped: the remainder opens at the fill price
    } else if (std::fabs(d) == std::fabs(p.qty)) {
      p.avg_price = 0.0;
    }
    p.qty = std::fabs(d) == std::fabs(p.qty) ? 0.0 : new_qty;
  }
  p.realized_pnl_usd += realized;
  p.mark_price = price;
  realized_ += realized;
  cash_ -= d * price;

  o.status = "filled";
  o.fill_ts_ns = ts_ns;
  o.fill_price = price;
  mark_position_dirty(p.symbol);
  stage_account();

  Fill f;
  f.ts_ns = ts_ns;
  f.symbol = o.symbol;
  f.idempotency_key = o.key;
  f.order_seq = o.seq;
  f.side = o.side;
  f.qty = o.qty;
  f.ref_price = ref_price;
  f.price = price;
  f.slippage_bps = options_.slippage_bps;
  f.realized_pnl_usd = realized;
  f.position_qty = p.qty;
  f.avg_price = p.avg_price;
  f.reason = o.reason;
  staged_fills_.push_back(std::move(f));
  // Every caller drops the order after its fill: moved, not copied.
  dirty_orders_.insert_or_assign(o.key, std::move(o));
}

Status PaperBroker::on_minute_close(int64_t minute_ts_ns, const BarPrice* bars, size_t count) {
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

  for (auto it = pending_.begin(); it != pending_.end();) {
    const BarPrice* b = bar_of(it->second.symbol_id);
    if (b != nullptr && std::isfinite(b->open) && b->open > 0.0) {
      if (clamp_reduce_only(it->second)) fill(it->second, minute_ts_ns, b->open);
      it = pending_.erase(it);
    } else {
      ++it;
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
  if (options_.fill == FillPriceMode::kMid) {
    mids_.clear();
    for (size_t i = 0; i < count; ++i) {
      const double m = std::isfinite(bars[i].mid) && bars[i].mid > 0.0 ? bars[i].mid : bars[i].close;
      if (std::isfinite(m) && m > 0.0) mids_[bars[i].symbol] = m;
    }
  }
  for (size_t i = 0; i < count; ++i) bar_index_[bars[i].symbol] = -1;

  equity_ = eq;
  if (equity_ > peak_equity_) peak_equity_ = equity_;
  last_minute_ts_ns_ = minute_ts_ns;
  stage_account();
  return Status::Ok();
}

sh_portfolio_state PaperBroker::portfolio_state() const {
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

PaperBroker::Order PaperBroker::make_order(std::string_view key, std::string_view symbol,
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
  o.status = "pending";
  o.reason = reason;
  known_keys_.add_new(o.key);  // both callers checked contains() first
  stage_account();
  return o;
}

Status PaperBroker::submit(const sh_order_intent& intent, std::string_view key,
                           SubmitResult* result) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("paper broker: idempotency key must be 1.." +
                                   std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (intent.side != SH_SIDE_BUY && intent.side != SH_SIDE_SELL) {
    return Status::InvalidArgument("paper broker: order '" + std::string(key) +
                                   "' has no side (buy or sell)");
  }
  if (!(intent.qty > 0.0) || !std::isfinite(intent.qty)) {
    return Status::InvalidArgument("paper broker: order '" + std::string(key) + "' qty " +
                                   format_double(intent.qty) + " must be finite and > 0");
  }
  const char* name = symbols_->name(intent.symbol);
  if (name == nullptr) {
    return Status::InvalidArgument("paper broker: order '" + std::string(key) +
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
  if (options_.fill == FillPriceMode::kMid) {
    auto it = mids_.find(intent.symbol);
    const double ref = it != mids_.end() ? it->second : intent.price;
    if (std::isfinite(ref) && ref > 0.0) {
      fill(o, o.submit_minute_ts_ns, ref);
      return Status::Ok();
    }
  }
  dirty_orders_[o.key] = o;
  pending_.emplace(o.seq, std::move(o));
  return Status::Ok();
}

void PaperBroker::cancel_pending(CancelScope scope, const char* reason) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const std::string& r = it->second.reason;
    const bool derisking = r == "flatten" || r == "var_reduce";
    if ((scope == CancelScope::kAllButDerisking && derisking) ||
        (scope == CancelScope::kVarReduce && r != "var_reduce")) {
      ++it;
      continue;
    }
    it->second.status = "cancelled";
    it->second.reason = reason;
    dirty_orders_[it->second.key] = it->second;
    it = pending_.erase(it);
  }
}

void PaperBroker::emergency_stop() {
  emergency_stop_ = true;
  cancel_pending(CancelScope::kAllButDerisking, "emergency_stop");
  stage_account();
}

void PaperBroker::clear_emergency_stop() {
  emergency_stop_ = false;
  stage_account();
}

void PaperBroker::pause() {
  paused_ = true;
  stage_account();
}

void PaperBroker::resume() {
  paused_ = false;
  stage_account();
}

Status PaperBroker::flatten_all(int64_t ts_ns, size_t* orders) {
  cancel_pending(CancelScope::kAll, "flatten");
  std::vector<ClosingOrder> made;
  close_positions(ts_ns, 1.0, "flatten", &made);
  if (orders != nullptr) *orders = made.size();
  return Status::Ok();
}

Status PaperBroker::reduce_positions(int64_t ts_ns, double fraction,
                                     std::vector<ClosingOrder>* orders) {
  if (!(fraction > 0.0 && fraction <= 1.0)) {
    return Status::InvalidArgument("paper broker: reduce fraction must be in (0, 1]");
  }
  cancel_pending(CancelScope::kVarReduce, "superseded");
  orders->clear();
  close_positions(ts_ns, fraction, "var_reduce", orders);
  return Status::Ok();
}

std::vector<ClosingOrder> PaperBroker::closing_plan(int64_t ts_ns, double fraction,
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

void PaperBroker::close_positions(int64_t ts_ns, double fraction, const char* reason,
                                  std::vector<ClosingOrder>* orders) {
  // Planned first: a fill in mid mode changes positions_.
  for (ClosingOrder& c : closing_plan(ts_ns, fraction, reason)) {
    const PaperPosition& p = positions_.find(c.symbol)->second;
    Order o = make_order(c.key, c.symbol, p.symbol, c.side, c.qty, c.ref_price, reason);
    c.order_seq = o.seq;
    orders->push_back(c);
    if (options_.fill == FillPriceMode::kMid) {
      auto it = mids_.find(p.symbol);
      if (it != mids_.end()) {
        fill(o, o.submit_minute_ts_ns, it->second);
        continue;
      }
    }
    dirty_orders_[o.key] = o;
    pending_.emplace(o.seq, std::move(o));
  }
}

Status PaperBroker::persist(StateTxn& txn) {
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
    std::string v = "{";
    add_field(&v, "seq", o.seq);
    add_field(&v, "symbol", std::string_view(o.symbol));
    add_field(&v, "side", std::string_view(side_text(o.side)));
    add_field(&v, "qty", o.qty);
    add_field(&v, "ref_price", o.ref_price);
    add_field(&v, "submit_minute_ts_ns", o.submit_minute_ts_ns);
    add_field(&v, "status", std::string_view(o.status));
    add_field(&v, "reason", std::string_view(o.reason));
    add_field(&v, "fill_ts_ns", o.fill_ts_ns);
    add_field(&v, "fill_price", o.fill_price);
    v += '}';
    Status st = txn.put(StateDb::kOrders, key, v);
    if (!st.ok()) return st;
  }
  if (account_dirty_) {
    std::string v = "{";
    add_field(&v, "cash_usd", cash_);
    add_field(&v, "realized_pnl_usd", realized_);
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

Status PaperBroker::on_commit(const Status& write_status) {
  if (!write_status.ok()) {
    // The minute did not commit: forget it, be what the store says.
    return load();
  }
  account_dirty_ = false;
  clear_dirty_positions();
  dirty_orders_.clear();
  for (Fill& f : staged_fills_) committed_fills_.push_back(std::move(f));
  staged_fills_.clear();
  return Status::Ok();
}

std::vector<Fill> PaperBroker::take_committed_fills() {
  std::vector<Fill> out;
  out.swap(committed_fills_);
  return out;
}

Status PaperBroker::commit_now() {
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return st;
  st = persist(txn);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) txn.abort();
  Status after = on_commit(st);
  return st.ok() ? after : st;
}

}  // namespace sh::host::v0
