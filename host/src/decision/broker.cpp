#include "decision/broker.h"

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
constexpr int64_t kMinuteNs = 60LL * 1000000000LL;

bool final_state(sh_order_state s) {
  return s == SH_ORDER_FILLED || s == SH_ORDER_CANCELED || s == SH_ORDER_REJECTED ||
         s == SH_ORDER_EXPIRED;
}

sh_order_state parse_state(const std::string& s) {
  for (sh_order_state st = SH_ORDER_NEW; st <= SH_ORDER_EXPIRED; ++st) {
    if (s == order_state_name(st)) return st;
  }
  if (s == "pending") return SH_ORDER_ACKNOWLEDGED;  // stores written before venues
  if (s == "cancelled") return SH_ORDER_CANCELED;
  return -1;
}

const char* venue_reason_text(sh_venue_reason r) {
  switch (r) {
    case SH_VENUE_REASON_INVALID_ORDER: return "invalid_order";
    case SH_VENUE_REASON_UNKNOWN_SYMBOL: return "unknown_symbol";
    case SH_VENUE_REASON_INSUFFICIENT_FUNDS: return "insufficient_funds";
    case SH_VENUE_REASON_UNSUPPORTED: return "unsupported";
    case SH_VENUE_REASON_DUPLICATE: return "duplicate";
    case SH_VENUE_REASON_RATE_LIMITED: return "rate_limited";
    case SH_VENUE_REASON_UNAUTHORIZED: return "unauthorized";
    case SH_VENUE_REASON_UNAVAILABLE: return "venue_unavailable";
    case SH_VENUE_REASON_CLOCK_SKEW: return "clock_skew";
    case SH_VENUE_REASON_NO_LIQUIDITY: return "no_liquidity";
    case SH_VENUE_REASON_REDUCE_ONLY: return "reduce_only";
    default: return "venue";
  }
}

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

const char* order_state_name(sh_order_state state) {
  switch (state) {
    case SH_ORDER_NEW: return "new";
    case SH_ORDER_ACKNOWLEDGED: return "acknowledged";
    case SH_ORDER_PARTIALLY_FILLED: return "partially_filled";
    case SH_ORDER_FILLED: return "filled";
    case SH_ORDER_CANCELED: return "canceled";
    case SH_ORDER_REJECTED: return "rejected";
    case SH_ORDER_EXPIRED: return "expired";
    default: return "unknown";
  }
}

int venue_reason_http_code(sh_venue_reason reason) {
  switch (reason) {
    case SH_VENUE_REASON_UNKNOWN_SYMBOL: return 404;
    case SH_VENUE_REASON_INSUFFICIENT_FUNDS: return 412;
    case SH_VENUE_REASON_DUPLICATE: return 409;
    case SH_VENUE_REASON_RATE_LIMITED: return 429;
    case SH_VENUE_REASON_UNAUTHORIZED: return 401;
    case SH_VENUE_REASON_UNAVAILABLE: return 503;
    case SH_VENUE_REASON_REDUCE_ONLY: return 423;
    default: return 400;
  }
}

Status Broker::open(StateStore* store, SymbolTable* symbols, PluginInstance* venue,
                    const BrokerOptions& options, std::unique_ptr<Broker>* out) {
  if (options.mode == TradingMode::kLive) {
    return Status::FailedPrecondition(std::string(kLiveNeedsBrokerMessage));
  }
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
  Status st = b->load();
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
    const sh_order_state state = parse_state(j.value("status", ""));
    if (state < 0) {
      bad = Status::Corruption(where + "orders[" + std::string(key) + "] has an unknown status");
      return false;
    }
    if (final_state(state)) return true;
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

void Broker::book_fill(Order& o, const sh_venue_report& r, double qty) {
  const double price = r.last_price;
  const double fee = std::isfinite(r.fee_usd) ? r.fee_usd : 0.0;
  const double dir = o.side == SH_SIDE_BUY ? 1.0 : -1.0;
  const double d = dir * qty;  // signed quantity traded

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
  cash_ -= d * price + fee;
  fees_ += fee;

  o.fill_price = o.filled_qty > 0.0 ? (o.fill_price * o.filled_qty + price * qty) / (o.filled_qty + qty)
                                    : price;
  o.filled_qty += qty;
  o.fees_usd += fee;
  o.fill_ts_ns = r.ts_ns;
  mark_position_dirty(p.symbol);
  stage_account();

  Fill f;
  f.ts_ns = r.ts_ns;
  f.symbol = o.symbol;
  f.idempotency_key = o.key;
  f.order_seq = o.seq;
  f.side = o.side;
  f.qty = qty;
  f.ref_price = std::isfinite(r.ref_price) && r.ref_price > 0.0 ? r.ref_price : price;
  f.price = price;
  f.slippage_bps = std::round(dir * (price - f.ref_price) / f.ref_price * 1e10) / 1e6;
  if (f.slippage_bps == 0.0) f.slippage_bps = 0.0;  // no "-0"
  f.fee_usd = fee;
  f.liquidity = r.liquidity;
  f.realized_pnl_usd = realized;
  f.position_qty = p.qty;
  f.avg_price = p.avg_price;
  f.reason = o.reason;
  staged_fills_.push_back(std::move(f));
}

sh_venue_sink Broker::sink() {
  sh_venue_sink s{};
  s.struct_size = sizeof s;
  s.sink_ctx = this;
  s.report = &Broker::sink_report;
  return s;
}

sh_status Broker::sink_report(void* ctx, const sh_venue_report* reports, uint32_t count,
                              uint32_t item_size) {
  auto* self = static_cast<Broker*>(ctx);
  if (reports == nullptr && count > 0) return SH_ERR_INVALID_ARGUMENT;
  const auto* base = reinterpret_cast<const unsigned char*>(reports);
  for (uint32_t i = 0; i < count; ++i) {
    const auto& r = *reinterpret_cast<const sh_venue_report*>(base + size_t{i} * item_size);
    if (item_size < sizeof(sh_venue_report) || r.struct_size < sizeof(sh_venue_report)) {
      ++self->unknown_reports_;
      spdlog::warn("venue '{}': a report of {} bytes is shorter than ABI 1.4's {}; ignored",
                   self->venue_->component(), r.struct_size, sizeof(sh_venue_report));
      continue;
    }
    self->apply_report(r);
  }
  return SH_OK;
}

void Broker::retire(uint64_t seq) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  working_keys_.erase(it->second.key);
  cancel_reasons_.erase(it->second.key);
  pending_.erase(it);
}

const Broker::Order* Broker::staged(const std::string& key) const {
  auto it = dirty_orders_.find(key);
  return it == dirty_orders_.end() ? nullptr : &it->second;
}

void Broker::apply_report(const sh_venue_report& r) {
  const char* id = r.client_order_id;
  auto w = id != nullptr ? working_keys_.find(id) : working_keys_.end();
  if (w == working_keys_.end()) {
    ++unknown_reports_;
    spdlog::warn("venue '{}': report ({}) for order '{}', which the host does not hold as "
                 "working; ignored",
                 venue_->component(), order_state_name(r.state), id != nullptr ? id : "(null)");
    return;
  }
  const uint64_t seq = w->second;
  Order& o = pending_.at(seq);
  if (r.venue_order_id != nullptr && *r.venue_order_id != '\0') o.venue_order_id = r.venue_order_id;
  if (r.last_qty > 0.0) {
    const double leaves = o.qty - o.filled_qty;
    double qty = r.last_qty;
    if (!std::isfinite(qty) || !(std::isfinite(r.last_price) && r.last_price > 0.0)) {
      ++unknown_reports_;
      spdlog::warn("venue '{}': fill of order '{}' with qty {} at price {}: not a fill; ignored",
                   venue_->component(), o.key, format_double(r.last_qty), format_double(r.last_price));
      return;
    }
    if (qty > leaves * (1.0 + 1e-9)) {
      spdlog::warn("venue '{}': order '{}' filled {} with {} left; booked {}", venue_->component(),
                   o.key, format_double(qty), format_double(leaves), format_double(leaves));
      qty = leaves;
    }
    if (qty > 0.0) book_fill(o, r, qty);
  }
  sh_order_state next = r.state;
  if (next < SH_ORDER_NEW || next > SH_ORDER_EXPIRED) next = o.state;
  if (next == SH_ORDER_FILLED && o.filled_qty < o.qty * (1.0 - 1e-9)) next = SH_ORDER_PARTIALLY_FILLED;
  if (next == SH_ORDER_NEW) next = o.state;  // never back to NEW
  if (next == SH_ORDER_CANCELED || next == SH_ORDER_REJECTED || next == SH_ORDER_EXPIRED) {
    auto c = cancel_reasons_.find(o.key);
    if (next == SH_ORDER_CANCELED && c != cancel_reasons_.end() &&
        r.reason == SH_VENUE_REASON_NONE) {
      o.reason = c->second;
    } else if (r.reason != SH_VENUE_REASON_NONE) {
      o.reason = venue_reason_text(r.reason);
    } else if (r.detail != nullptr && *r.detail != '\0') {
      o.reason = r.detail;
    }
    if (next == SH_ORDER_REJECTED) {
      spdlog::warn("venue '{}' rejected order '{}' ({} {} {}): {}{}", venue_->component(), o.key,
                   side_text(o.side), format_double(o.qty), o.symbol, venue_reason_text(r.reason),
                   r.detail != nullptr ? std::string(" - ") + r.detail : std::string());
    }
  }
  o.state = next;
  stage_order(o);
  if (final_state(next)) retire(seq);
}

void Broker::send(uint64_t seq) {
  const Order& o = pending_.at(seq);
  const std::string key = o.key;
  sh_venue_order v{};
  v.struct_size = sizeof v;
  v.symbol = o.symbol_id;
  v.client_order_id = key.c_str();
  // Decided at the close of the last minute: its end on the host clock.
  v.ts_ns = o.submit_minute_ts_ns + kMinuteNs;
  v.side = o.side;
  v.type = o.type;
  v.tif = o.tif;
  v.flags = o.derisking() ? SH_ORDER_FLAG_REDUCE_ONLY : 0u;
  v.qty = o.qty;
  v.limit_price = o.limit_price;
  v.ref_price = o.ref_price;
  const sh_venue_sink s = sink();
  const sh_status rc = venue_ != nullptr ? venue_->venue_submit(v, s) : SH_ERR_UNSUPPORTED;
  auto it = working_keys_.find(key);
  if (rc == SH_OK || it == working_keys_.end()) return;
  Order& left = pending_.at(it->second);
  if (left.state != SH_ORDER_NEW) return;  // the venue reported what happened
  const std::string why = venue_ != nullptr ? venue_->last_error() : "no venue";
  spdlog::warn("venue '{}': submit of order '{}' failed ({}{}); the order is rejected",
               venue_ != nullptr ? venue_->component() : "", key, abi_status_name(rc), why.empty() ? "" : ": " + why);
  left.state = SH_ORDER_REJECTED;
  left.reason = venue_reason_text(SH_VENUE_REASON_UNAVAILABLE);
  stage_order(left);
  retire(it->second);
}

void Broker::cancel_at_venue(const std::string& key, const char* reason) {
  cancel_reasons_[key] = reason;
  const sh_venue_sink s = sink();
  const sh_status rc = venue_ != nullptr ? venue_->venue_cancel(key.c_str(), s) : SH_ERR_UNSUPPORTED;
  auto it = working_keys_.find(key);
  if (it == working_keys_.end()) return;  // canceled (or filled) during the call
  if (rc == SH_OK) return;                // the CANCELED report follows later
  // The venue does not hold it as working: nothing is left to cancel there.
  const std::string why = venue_ != nullptr ? venue_->last_error() : "no venue";
  spdlog::warn("venue '{}': cancel of order '{}' failed ({}{}); canceled at the host",
               venue_ != nullptr ? venue_->component() : "", key, abi_status_name(rc), why.empty() ? "" : ": " + why);
  Order& o = pending_.at(it->second);
  o.state = SH_ORDER_CANCELED;
  o.reason = reason;
  stage_order(o);
  retire(it->second);
}

Status Broker::on_events(const sh_market_event* events, size_t count, size_t stride) {
  if (!venue_wants_events() || count == 0) return Status::Ok();
  const sh_status rc = venue_->venue_on_events(events, static_cast<uint32_t>(count),
                                               static_cast<uint32_t>(stride), sink());
  if (rc != SH_OK) {
    return Status::RemoteError("venue '" + venue_->component() + "': on_events failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  return Status::Ok();
}

Status Broker::poll_venue() {
  if (venue_ == nullptr) return Status::Ok();
  const sh_status rc = venue_->venue_poll(sink());
  if (rc != SH_OK && rc != SH_ERR_UNSUPPORTED) {
    return Status::RemoteError("venue '" + venue_->component() + "': poll failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  return Status::Ok();
}

Status Broker::reconcile(Reconciliation* out) {
  *out = Reconciliation{};
  if (venue_ == nullptr) return Status::FailedPrecondition("broker: no venue to reconcile with");
  struct Collect {
    std::set<std::string> working;
    std::map<sh_symbol_id, double> positions;
  } c;
  sh_venue_sink orders{};
  orders.struct_size = sizeof orders;
  orders.sink_ctx = &c;
  orders.report = [](void* ctx, const sh_venue_report* r, uint32_t n, uint32_t item) -> sh_status {
    auto* cc = static_cast<Collect*>(ctx);
    const auto* base = reinterpret_cast<const unsigned char*>(r);
    for (uint32_t i = 0; i < n; ++i) {
      const auto& x = *reinterpret_cast<const sh_venue_report*>(base + size_t{i} * item);
      if (x.client_order_id != nullptr && !final_state(x.state)) cc->working.insert(x.client_order_id);
    }
    return SH_OK;
  };
  sh_status rc = venue_->venue_query_orders(orders);
  if (rc != SH_OK) {
    return Status::RemoteError("venue '" + venue_->component() + "': query_orders failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  sh_position_sink positions{};
  positions.struct_size = sizeof positions;
  positions.sink_ctx = &c;
  positions.emit = [](void* ctx, const sh_position* p, uint32_t n, uint32_t item) -> sh_status {
    auto* cc = static_cast<Collect*>(ctx);
    const auto* base = reinterpret_cast<const unsigned char*>(p);
    for (uint32_t i = 0; i < n; ++i) {
      const auto& x = *reinterpret_cast<const sh_position*>(base + size_t{i} * item);
      cc->positions[x.symbol] += x.qty;
    }
    return SH_OK;
  };
  rc = venue_->venue_query_positions(positions);
  if (rc != SH_OK) {
    return Status::RemoteError("venue '" + venue_->component() + "': query_positions failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  for (const auto& [key, seq] : working_keys_) {
    (void)seq;
    if (c.working.count(key) == 0) out->missing_at_venue.push_back(key);
  }
  for (const std::string& key : c.working) {
    if (working_keys_.count(key) == 0) out->unknown_to_host.push_back(key);
  }
  std::sort(out->missing_at_venue.begin(), out->missing_at_venue.end());
  auto differs = [](double a, double b) {
    return std::fabs(a - b) > 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
  };
  for (const auto& [name, p] : positions_) {
    auto it = c.positions.find(p.symbol);
    const double venue_qty = it == c.positions.end() ? 0.0 : it->second;
    if (differs(p.qty, venue_qty)) out->positions.push_back({name, p.qty, venue_qty});
    if (it != c.positions.end()) c.positions.erase(it);
  }
  for (const auto& [id, qty] : c.positions) {
    if (qty == 0.0) continue;
    const char* name = symbols_->name(id);
    out->positions.push_back({name != nullptr ? name : "#" + std::to_string(id), 0.0, qty});
  }
  return Status::Ok();
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

  if ((caps_.flags & SH_VENUE_WANTS_BARS) != 0) {
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
  stage_order(o);
  working_keys_.emplace(k, seq);
  pending_.emplace(seq, std::move(o));
  send(seq);
  const Order* now = staged(k);
  if (now != nullptr && now->state == SH_ORDER_REJECTED) {
    // The key stays used: a retry needs a new key, as at any exchange.
    result->outcome = SubmitOutcome::kRefused;
    result->reason = "venue rejected the order: " + now->reason;
    result->http_code = 400;
    for (sh_venue_reason r = SH_VENUE_REASON_INVALID_ORDER; r <= SH_VENUE_REASON_REDUCE_ONLY; ++r) {
      if (now->reason == venue_reason_text(r)) result->http_code = venue_reason_http_code(r);
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
    stage_order(o);
    working_keys_.emplace(o.key, seq);
    pending_.emplace(seq, std::move(o));
    send(seq);
  }
}

Status Broker::persist(StateTxn& txn) {
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
    Status st = txn.put(StateDb::kOrders, key, v);
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
