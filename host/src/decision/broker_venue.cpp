// Broker, the venue side: reports in, orders and cancels out, and
// reconciliation (broker.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "decision/broker.h"
#include "plugins/plugin_instance.h"
#include "services/symbol_table.h"
#include "store/text_format.h"

namespace sh::host {

bool order_state_final(sh_order_state s) {
  return s == SH_ORDER_FILLED || s == SH_ORDER_CANCELED || s == SH_ORDER_REJECTED ||
         s == SH_ORDER_EXPIRED;
}

const char* venue_reason_name(sh_venue_reason r) {
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

void Broker::stage_order(const Order& o, int64_t ts_ns) {
  record_transition(o, ts_ns);
  dirty_orders_.insert_or_assign(o.key, o);
}

void Broker::record_transition(const Order& o, int64_t ts_ns) {
  OrderTransition t;
  t.ts_ns = ts_ns;
  t.key = o.key;
  t.seq = o.seq;
  t.symbol = o.symbol;
  t.side = o.side;
  t.type = o.type;
  t.tif = o.tif;
  t.qty = o.qty;
  t.limit_price = o.limit_price;
  t.state = o.state;
  t.filled_qty = o.filled_qty;
  t.avg_fill_price = o.fill_price;
  t.fees_usd = o.fees_usd;
  t.reason = o.reason;
  t.venue_order_id = o.venue_order_id;
  staged_transitions_.push_back(std::move(t));
}

void Broker::close_at_host(uint64_t seq, sh_order_state state, std::string reason, int64_t ts_ns) {
  Order& o = pending_.at(seq);
  o.state = state;
  o.reason = std::move(reason);
  stage_order(o, ts_ns);
  retire(seq);
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

bool Broker::book_late_fill(const sh_venue_report& r) {
  const char* id = r.client_order_id;
  if (!(id != nullptr && r.last_qty > 0.0 && known_keys_.contains(id) &&
        std::isfinite(r.last_qty) && std::isfinite(r.last_price) && r.last_price > 0.0 &&
        (r.side == SH_SIDE_BUY || r.side == SH_SIDE_SELL) && symbols_->name(r.symbol) != nullptr)) {
    return false;
  }
  // One of ours that the host had already closed (expired unacknowledged,
  // or canceled while the fill was on its way): the venue traded it, so
  // the fill is booked. Nothing the venue executed is left out of the book.
  ++late_fills_;
  Order o;
  o.key = id;
  o.symbol = symbols_->name(r.symbol);
  o.symbol_id = r.symbol;
  o.side = r.side;
  o.qty = r.last_qty;
  o.reason = "late_fill";
  o.state = order_state_final(r.state) ? r.state : SH_ORDER_PARTIALLY_FILLED;
  spdlog::error("venue '{}': fill of {} {} at {} for order '{}', which the host had closed: "
                "booked (late fill)",
                venue_->component(), format_double(r.last_qty), o.symbol,
                format_double(r.last_price), o.key);
  book_fill(o, r, r.last_qty);
  record_transition(o, r.ts_ns);  // the order's record keeps what the host knew
  return true;
}

void Broker::apply_report(const sh_venue_report& r) {
  const char* id = r.client_order_id;
  auto w = id != nullptr ? working_keys_.find(id) : working_keys_.end();
  if (w == working_keys_.end() && book_late_fill(r)) return;
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
  // The venue's word on the state is final (FILLED with less than the
  // order's qty is a reduce-only order clamped to the position left), but
  // an unknown state, or NEW again, changes nothing.
  sh_order_state next = r.state;
  if (next <= SH_ORDER_NEW || next > SH_ORDER_EXPIRED) next = o.state;
  bool unauthorized = false;
  if (next == SH_ORDER_CANCELED || next == SH_ORDER_REJECTED || next == SH_ORDER_EXPIRED) {
    auto c = cancel_reasons_.find(o.key);
    if (next == SH_ORDER_CANCELED && c != cancel_reasons_.end() &&
        r.reason == SH_VENUE_REASON_NONE) {
      o.reason = c->second;
    } else if (r.reason != SH_VENUE_REASON_NONE) {
      o.reason = venue_reason_name(r.reason);
    } else if (r.detail != nullptr && *r.detail != '\0') {
      o.reason = r.detail;
    }
    if (next == SH_ORDER_REJECTED && r.reason == SH_VENUE_REASON_UNAUTHORIZED && !emergency_stop_) {
      // Wrong keys: no retry can help, and every later order would be
      // refused the same way. Trading stops until an operator resumes.
      spdlog::error("venue '{}' refused the host's credentials (401 unauthorized) on order '{}': "
                    "trading halted (emergency stop); fix the keys, then host trade resume",
                    venue_->component(), o.key);
      unauthorized = true;
    }
    if (next == SH_ORDER_REJECTED) {
      spdlog::warn("venue '{}' rejected order '{}' ({} {} {}): {}{}", venue_->component(), o.key,
                   order_side_name(o.side), format_double(o.qty), o.symbol, venue_reason_name(r.reason),
                   r.detail != nullptr ? std::string(" - ") + r.detail : std::string());
    }
  }
  o.state = next;
  stage_order(o, r.ts_ns);
  if (order_state_final(next)) retire(seq);
  if (unauthorized) emergency_stop();
}

void Broker::expire_unacknowledged(int64_t now_ns) {
  if (options_.ack_timeout_ns <= 0) return;
  // A simulated venue answers on the host clock (deterministic replays); a
  // network venue answers in wall time, whatever pace the host's clock
  // keeps (a replay runs it far faster): its orders are timed on the
  // steady clock from the moment they were handed to it (or restored).
  const bool wall = !venue_simulated();
  const int64_t wall_now = steady_ns();
  std::vector<std::string> late;
  for (const auto& [seq, o] : pending_) {
    (void)seq;
    const int64_t age = wall ? wall_now - o.handed_wall_ns : now_ns - o.sent_ts_ns();
    if (o.state == SH_ORDER_NEW && age >= options_.ack_timeout_ns) late.push_back(o.key);
  }
  for (const std::string& key : late) {
    auto it = working_keys_.find(key);
    if (it == working_keys_.end()) continue;
    ++ack_timeouts_;
    spdlog::warn("venue '{}': order '{}' not acknowledged within {} ms: expired at the host, "
                 "cancel sent",
                 venue_ != nullptr ? venue_->component() : "", key, options_.ack_timeout_ns / 1000000);
    close_at_host(it->second, SH_ORDER_EXPIRED, "ack_timeout", now_ns);
    // If the venue has it after all, it must not stay working there.
    if (venue_ != nullptr && venue_enabled_) (void)venue_->venue_cancel(key.c_str(), sink());
  }
}

void Broker::send(uint64_t seq) {
  const Order& o = pending_.at(seq);
  const std::string key = o.key;
  std::string why;
  if (!venue_enabled_ || (send_policy_ && !send_policy_(o.symbol, &why))) {
    close_at_host(seq, SH_ORDER_REJECTED, why.empty() ? "not sent: the venue is off in this mode" : why,
                  o.sent_ts_ns());
    return;
  }
  if (venue_ != nullptr && !venue_simulated()) {
    const Status w = write_ahead(o);
    if (!w.ok()) {
      spdlog::error("order '{}' not sent: its record could not be committed first ({})", key,
                    w.message());
      close_at_host(seq, SH_ORDER_REJECTED, "not sent: the order could not be recorded before sending",
                    o.sent_ts_ns());
      return;
    }
  }
  sh_venue_order v{};
  v.struct_size = sizeof v;
  v.symbol = o.symbol_id;
  v.client_order_id = key.c_str();
  // Decided at the close of the last minute: its end on the host clock.
  v.ts_ns = o.sent_ts_ns();
  v.side = o.side;
  v.type = o.type;
  v.tif = o.tif;
  v.flags = o.derisking() ? SH_ORDER_FLAG_REDUCE_ONLY : 0u;
  v.qty = o.qty;
  v.limit_price = o.limit_price;
  v.ref_price = o.ref_price;
  const sh_venue_sink s = sink();
  pending_.at(seq).handed_wall_ns = steady_ns();
  const sh_status rc = venue_ != nullptr ? venue_->venue_submit(v, s) : SH_ERR_UNSUPPORTED;
  auto it = working_keys_.find(key);
  if (rc == SH_OK || it == working_keys_.end()) return;
  Order& left = pending_.at(it->second);
  if (left.state != SH_ORDER_NEW) return;  // the venue reported what happened
  const std::string error = venue_ != nullptr ? venue_->last_error() : "no venue";
  spdlog::warn("venue '{}': submit of order '{}' failed ({}{}); the order is rejected",
               venue_ != nullptr ? venue_->component() : "", key, abi_status_name(rc),
               error.empty() ? "" : ": " + error);
  close_at_host(it->second, SH_ORDER_REJECTED, venue_reason_name(SH_VENUE_REASON_UNAVAILABLE),
                left.sent_ts_ns());
}

void Broker::cancel_at_venue(const std::string& key, const char* reason) {
  cancel_reasons_[key] = reason;
  const sh_venue_sink s = sink();
  const sh_status rc = venue_ != nullptr && venue_enabled_ ? venue_->venue_cancel(key.c_str(), s)
                                                           : SH_ERR_UNSUPPORTED;
  auto it = working_keys_.find(key);
  if (it == working_keys_.end()) return;  // canceled (or filled) during the call
  if (rc == SH_OK) return;                // the CANCELED report follows later
  // The venue does not hold it as working: nothing is left to cancel there.
  const std::string why = venue_ != nullptr ? venue_->last_error() : "no venue";
  spdlog::warn("venue '{}': cancel of order '{}' failed ({}{}); canceled at the host",
               venue_ != nullptr ? venue_->component() : "", key, abi_status_name(rc), why.empty() ? "" : ": " + why);
  close_at_host(it->second, SH_ORDER_CANCELED, reason, last_close_ts_ns());
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

size_t Broker::answers_due() const {
  size_t n = 0;
  for (const auto& [seq, o] : pending_) {
    const bool ends_soon = o.type == SH_ORDER_MARKET || o.tif == SH_TIF_IOC || o.tif == SH_TIF_FOK;
    n += o.state == SH_ORDER_NEW || ends_soon || cancel_reasons_.count(o.key) != 0 ? 1 : 0;
  }
  return n;
}

Status Broker::poll_venue() {
  if (venue_ == nullptr || !venue_enabled_) return Status::Ok();
  if (!venue_simulated()) expire_unacknowledged(last_close_ts_ns());
  const sh_status rc = venue_->venue_poll(sink());
  if (rc != SH_OK && rc != SH_ERR_UNSUPPORTED) {
    return Status::RemoteError("venue '" + venue_->component() + "': poll failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  return Status::Ok();
}

Status Broker::venue_not_ready(const char* call) const {
  const std::string why = venue_->last_error();
  return Status::Unavailable("venue '" + venue_->component() + "': " + call +
                             ": its view is not ready yet" + (why.empty() ? "" : " (" + why + ")"));
}

Status Broker::reconcile(Reconciliation* out) {
  *out = Reconciliation{};
  if (venue_ == nullptr) return Status::FailedPrecondition("broker: no venue to reconcile with");
  struct Collect {
    std::map<std::string, Reconciliation::VenueOrder> working;
    std::map<sh_symbol_id, std::pair<double, double>> positions;  // qty, avg price
  } c;
  sh_venue_sink orders{};
  orders.struct_size = sizeof orders;
  orders.sink_ctx = &c;
  orders.report = [](void* ctx, const sh_venue_report* r, uint32_t n, uint32_t item) -> sh_status {
    auto* cc = static_cast<Collect*>(ctx);
    const auto* base = reinterpret_cast<const unsigned char*>(r);
    for (uint32_t i = 0; i < n; ++i) {
      const auto& x = *reinterpret_cast<const sh_venue_report*>(base + size_t{i} * item);
      if (x.client_order_id == nullptr || order_state_final(x.state)) continue;
      Reconciliation::VenueOrder& o = cc->working[x.client_order_id];
      o.symbol = x.symbol;
      o.side = x.side;
      o.cum_qty = std::isfinite(x.cum_qty) ? x.cum_qty : 0.0;
      o.qty = o.cum_qty + (std::isfinite(x.leaves_qty) ? x.leaves_qty : 0.0);
      if (x.venue_order_id != nullptr) o.venue_order_id = x.venue_order_id;
    }
    return SH_OK;
  };
  sh_status rc = venue_->venue_query_orders(orders);
  if (rc == SH_WOULD_BLOCK) return venue_not_ready("query_orders");
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
      auto& [qty, avg] = cc->positions[x.symbol];
      qty += x.qty;
      if (std::isfinite(x.avg_price) && x.avg_price > 0.0) avg = x.avg_price;
    }
    return SH_OK;
  };
  rc = venue_->venue_query_positions(positions);
  if (rc == SH_WOULD_BLOCK) return venue_not_ready("query_positions");
  if (rc != SH_OK) {
    return Status::RemoteError("venue '" + venue_->component() + "': query_positions failed: " +
                            abi_status_name(rc) + " " + venue_->last_error());
  }
  for (const auto& [key, seq] : working_keys_) {
    (void)seq;
    if (c.working.count(key) == 0) out->missing_at_venue.push_back(key);
  }
  for (const auto& [key, o] : c.working) {
    if (working_keys_.count(key) != 0) continue;
    out->unknown_to_host.push_back(key);
    out->unknown_orders.push_back(o);
  }
  std::sort(out->missing_at_venue.begin(), out->missing_at_venue.end());
  auto differs = [](double a, double b) {
    return std::fabs(a - b) > 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
  };
  for (const auto& [name, p] : positions_) {
    auto it = c.positions.find(p.symbol);
    const double venue_qty = it == c.positions.end() ? 0.0 : it->second.first;
    const double venue_avg = it == c.positions.end() ? 0.0 : it->second.second;
    if (differs(p.qty, venue_qty)) out->positions.push_back({name, p.qty, venue_qty, venue_avg});
    if (it != c.positions.end()) c.positions.erase(it);
  }
  for (const auto& [id, qa] : c.positions) {
    if (qa.first == 0.0) continue;
    const char* name = symbols_->name(id);
    if (name == nullptr) continue;  // a symbol this host never interned: logged by the caller's count
    out->positions.push_back({name, 0.0, qa.first, qa.second});
  }
  return Status::Ok();
}

void Broker::adopt(const Reconciliation& rec, int64_t ts_ns) {
  for (const std::string& key : rec.missing_at_venue) {
    auto it = working_keys_.find(key);
    if (it == working_keys_.end()) continue;
    close_at_host(it->second, SH_ORDER_CANCELED, "reconcile: not at the venue", ts_ns);
  }
  for (size_t i = 0; i < rec.unknown_to_host.size() && i < rec.unknown_orders.size(); ++i) {
    const Reconciliation::VenueOrder& v = rec.unknown_orders[i];
    const char* name = symbols_->name(v.symbol);
    if (name == nullptr || (v.side != SH_SIDE_BUY && v.side != SH_SIDE_SELL) || !(v.qty > 0.0)) continue;
    const std::string& key = rec.unknown_to_host[i];
    if (known_keys_.contains(key)) continue;
    Order o = make_order(key, name, v.symbol, v.side, v.qty, 0.0, "adopted");
    o.state = SH_ORDER_ACKNOWLEDGED;
    o.filled_qty = v.cum_qty;  // what it filled before the host knew it is in the positions below
    o.venue_order_id = v.venue_order_id;
    const uint64_t seq = o.seq;
    stage_order(o, ts_ns);
    working_keys_.emplace(key, seq);
    pending_.emplace(seq, std::move(o));
  }
  for (const Reconciliation::PositionDiff& d : rec.positions) {
    const sh_symbol_id id = symbols_->intern(d.symbol);
    auto [it, inserted] = positions_.try_emplace(d.symbol);
    PaperPosition& p = it->second;
    if (inserted) p.symbol = id;
    double mark = p.mark_price > 0.0 ? p.mark_price : d.venue_avg_price;
    if (!(mark > 0.0)) mark = 0.0;
    const double delta = d.venue_qty - p.qty;
    cash_ -= delta * mark;  // as if traded at the mark: equity is unchanged by the adoption
    if (d.venue_qty == 0.0) {
      p.avg_price = 0.0;
    } else if (p.qty == 0.0 || (p.qty > 0.0) != (d.venue_qty > 0.0)) {
      p.avg_price = d.venue_avg_price > 0.0 ? d.venue_avg_price : mark;
    }
    p.qty = d.venue_qty;
    if (p.mark_price <= 0.0) p.mark_price = mark;
    mark_position_dirty(p.symbol);
    spdlog::warn("reconciliation: {} position adopted from the venue: {} -> {} (the difference "
                 "booked at the mark {})",
                 d.symbol, format_double(d.venue_qty - delta), format_double(d.venue_qty),
                 format_double(mark));
  }
  recompute_equity();
  stage_account();
}

// One warning line per difference; how many there were.
size_t Reconciliation::log_differences(const std::string& venue_name) const {
  for (const std::string& key : missing_at_venue) {
    spdlog::warn("reconciliation: order '{}' is working at the host but unknown to venue '{}'",
                 key, venue_name);
  }
  for (const std::string& key : unknown_to_host) {
    spdlog::warn("reconciliation: venue '{}' holds working order '{}', which the host never sent",
                 venue_name, key);
  }
  for (const auto& p : positions) {
    spdlog::warn("reconciliation: {} position: host {} venue '{}' {}", p.symbol,
                 format_double(p.host_qty), venue_name, format_double(p.venue_qty));
  }
  return missing_at_venue.size() + unknown_to_host.size() + positions.size();
}

}  // namespace sh::host
