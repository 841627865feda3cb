#include "conveyor/market_data_guard.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <cstdio>

namespace sh::host {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string check_limits(const MarketDataLimits& l, const std::string& where) {
  if (!(l.min_price > 0) || !std::isfinite(l.min_price)) return where + "min_price must be a finite number > 0";
  if (!(l.max_price > l.min_price) || !std::isfinite(l.max_price)) return where + "max_price must be finite and > min_price";
  if (!(l.max_size > 0) || !std::isfinite(l.max_size)) return where + "max_size must be a finite number > 0";
  if (!(l.max_jump_bps >= 0) || !std::isfinite(l.max_jump_bps)) return where + "max_jump_bps must be a finite number >= 0";
  return "";
}

}  // namespace

const char* quarantine_name(Quarantine q) {
  switch (q) {
    case Quarantine::kNone: return "none";
    case Quarantine::kNonFinite: return "non_finite";
    case Quarantine::kPriceBounds: return "price_bounds";
    case Quarantine::kSizeBounds: return "size_bounds";
    case Quarantine::kPriceJump: return "price_jump";
    case Quarantine::kDuplicateTrade: return "duplicate_trade";
    case Quarantine::kCount: break;
  }
  return "unknown";
}

std::string MarketDataGuardConfig::validate() const {
  std::string e = check_limits(defaults, "market_data.");
  if (!e.empty()) return e;
  for (const auto& [name, l] : by_symbol) {
    e = check_limits(l, "market_data.symbols." + name + ".");
    if (!e.empty()) return e;
  }
  return "";
}

MarketDataGuard::MarketDataGuard(MarketDataGuardConfig config, NameFn name_of, void* name_ctx)
    : config_(std::move(config)), name_of_(name_of), name_ctx_(name_ctx) {
  words_ = static_cast<uint32_t>((uint64_t{config_.dedupe_window} + 63) / 64 + 1);
  words_m_ = UINT64_MAX / words_ + 1;
}

uint64_t MarketDataGuard::quarantined_total() const {
  uint64_t n = 0;
  for (size_t i = 1; i < static_cast<size_t>(Quarantine::kCount); ++i) n += counts_[i];
  return n;
}

void MarketDataGuard::prefetch(const sh_market_event& ev, bool far) const {
  if (!config_.enabled || ev.symbol >= symbols_.size()) return;
  const SymbolState& s = symbols_[ev.symbol];
  if (far) {
    __builtin_prefetch(&s);  // 88 bytes: two lines, the bitmap's pointer in the second
    __builtin_prefetch(reinterpret_cast<const char*>(&s) + 64);
    return;
  }
  if (ev.type == SH_EVENT_TRADE && ev.data.trade.trade_id != 0 && s.seen != nullptr) {
    __builtin_prefetch(&s.seen[word_of(ev.data.trade.trade_id)]);
  }
}

MarketDataGuard::SymbolState& MarketDataGuard::state(sh_symbol_id id) {
  if (id >= symbols_.size()) symbols_.resize(static_cast<size_t>(id) + 1);
  SymbolState& s = symbols_[id];
  if (!s.resolved) {
    s.resolved = true;
    s.limits = config_.defaults;
    const char* name = name_of_ ? name_of_(name_ctx_, id) : nullptr;
    if (name != nullptr) {
      const auto it = config_.by_symbol.find(name);
      if (it != config_.by_symbol.end()) s.limits = it->second;
    }
  }
  return s;
}

Quarantine MarketDataGuard::check_price(const MarketDataLimits& l, double price) const {
  if (!std::isfinite(price)) return Quarantine::kNonFinite;
  if (price < l.min_price || price > l.max_price) return Quarantine::kPriceBounds;
  return Quarantine::kNone;
}

bool MarketDataGuard::jumps(double from, double to, double max_bps) const {
  if (max_bps <= 0 || from <= 0) return false;
  return std::fabs(to - from) / from * 1e4 > max_bps;
}


bool MarketDataGuard::remember_id(SymbolState& s, uint64_t id) {
  const uint64_t w = config_.dedupe_window;
  if (s.seen == nullptr) s.seen = static_cast<IdWord*>(id_pages_.allocate(size_t{words_} * sizeof(IdWord)));
  // Older than the window: not checked, not remembered (its word may hold a
  // block of the window now).
  if (id <= s.max_id && s.max_id - id >= w) return true;
  // A word tagged with another block holds ids at least a window away from
  // this one's: none of this block was seen since (see seen).
  IdWord& word = s.seen[word_of(id)];
  const uint64_t tag = (id >> 6) + 1;  // ids are 64-bit: the block is at most 2^58
  if (word.tag != tag) {
    word.tag = tag;
    word.bits = 0;
  }
  const uint64_t mask = uint64_t{1} << (id & 63);
  if ((word.bits & mask) != 0) return false;
  word.bits |= mask;
  if (id > s.max_id) s.max_id = id;
  return true;
}

Quarantine MarketDataGuard::check(const sh_market_event& ev) {
  if (!config_.enabled) return Quarantine::kNone;
  SymbolState& s = state(ev.symbol);
  const MarketDataLimits& l = s.limits;
  Quarantine q = Quarantine::kNone;
  auto size_ok = [&](double size) {
    if (!std::isfinite(size)) {
      q = Quarantine::kNonFinite;
      return false;
    }
    if (size > l.max_size) {
      q = Quarantine::kSizeBounds;
      return false;
    }
    return true;
  };
  switch (ev.type) {
    case SH_EVENT_TRADE: {
      const sh_trade& t = ev.data.trade;
      q = check_price(l, t.price);
      if (q == Quarantine::kNone && !size_ok(t.size)) break;
      if (q != Quarantine::kNone) break;
      if (jumps(s.reference, t.price, l.max_jump_bps)) {
        // Confirmed when it is near the quarantined level: the market moved.
        if (s.pending > 0 && !jumps(s.pending, t.price, l.max_jump_bps)) {
          s.pending = 0;
        } else {
          s.pending = t.price;
          q = Quarantine::kPriceJump;
          break;
        }
      } else {
        s.pending = 0;
      }
      if (t.trade_id != 0 && config_.dedupe_window > 0 && !remember_id(s, t.trade_id)) {
        q = Quarantine::kDuplicateTrade;
        break;
      }
      s.reference = t.price;
      break;
    }
    case SH_EVENT_QUOTE: {
      const sh_quote& qt = ev.data.quote;
      q = check_price(l, qt.bid);
      if (q == Quarantine::kNone) q = check_price(l, qt.ask);
      if (q == Quarantine::kNone && size_ok(qt.bid_size)) size_ok(qt.ask_size);
      break;
    }
    case SH_EVENT_L2: {
      const sh_l2_level& lv = ev.data.l2;
      q = check_price(l, lv.price);
      if (q == Quarantine::kNone) size_ok(lv.size);
      break;
    }
    case SH_EVENT_BAR: {
      const sh_bar& b = ev.data.bar;
      for (double p : {b.open, b.high, b.low, b.close}) {
        if (q == Quarantine::kNone) q = check_price(l, p);
      }
      // Volume may be NaN (a bar without volume); only a finite one is bounded.
      if (q == Quarantine::kNone && std::isfinite(b.volume) && b.volume > l.max_size) q = Quarantine::kSizeBounds;
      break;
    }
    default:
      break;
  }
  ++counts_[static_cast<size_t>(q)];
  return q;
}

std::string MarketDataGuard::describe(const sh_market_event& ev, Quarantine q) const {
  const MarketDataLimits& l =
      ev.symbol < symbols_.size() && symbols_[ev.symbol].resolved ? symbols_[ev.symbol].limits : config_.defaults;
  const SymbolState* s = ev.symbol < symbols_.size() ? &symbols_[ev.symbol] : nullptr;
  double price = 0, size = 0;
  switch (ev.type) {
    case SH_EVENT_TRADE: price = ev.data.trade.price; size = ev.data.trade.size; break;
    case SH_EVENT_QUOTE:
      // The side that is out of bounds, if one is.
      price = check_price(l, ev.data.quote.bid) != Quarantine::kNone ? ev.data.quote.bid : ev.data.quote.ask;
      size = ev.data.quote.bid_size > ev.data.quote.ask_size ? ev.data.quote.bid_size : ev.data.quote.ask_size;
      break;
    case SH_EVENT_L2: price = ev.data.l2.price; size = ev.data.l2.size; break;
    case SH_EVENT_BAR: price = ev.data.bar.close; size = ev.data.bar.volume; break;
    default: break;
  }
  switch (q) {
    case Quarantine::kNonFinite: return "a price or size is not a finite number";
    case Quarantine::kPriceBounds:
      return "price " + num(price) + " outside [" + num(l.min_price) + ", " + num(l.max_price) + "]";
    case Quarantine::kSizeBounds: return "size " + num(size) + " above max_size " + num(l.max_size);
    case Quarantine::kPriceJump:
      return "price " + num(price) + " is " +
             num(s && s->reference > 0 ? std::fabs(price - s->reference) / s->reference * 1e4 : 0) +
             " bps from the last trade " + num(s ? s->reference : 0) + " (max_jump_bps " + num(l.max_jump_bps) +
             "; a next trade near it confirms the move)";
    case Quarantine::kDuplicateTrade:
      return "trade id " + std::to_string(ev.data.trade.trade_id) + " seen before";
    default: return "";
  }
}

}  // namespace sh::host
