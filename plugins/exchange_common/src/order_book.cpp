// order_book.cpp: OrderBook.
#include "exchange/order_book.h"

#include <algorithm>

namespace exchange {

void OrderBook::clear() {
  bids_.clear();
  asks_.clear();
  update_id_ = 0;
}

void OrderBook::reset(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
                      uint64_t update_id) {
  clear();
  for (const PriceLevel& l : bids) set(bids_, l, true);
  for (const PriceLevel& l : asks) set(asks_, l, false);
  update_id_ = update_id;
}

void OrderBook::apply(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
                      uint64_t final_update_id) {
  for (const PriceLevel& l : bids) set(bids_, l, true);
  for (const PriceLevel& l : asks) set(asks_, l, false);
  update_id_ = final_update_id;
}

void OrderBook::apply_side(const PriceLevel* levels, size_t n, bool bid) {
  for (size_t i = 0; i < n; ++i) set(bid ? bids_ : asks_, levels[i], bid);
}

void OrderBook::set(std::vector<PriceLevel>& side, const PriceLevel& l, bool ascending) {
  // Search from the back (the top of the book), where most updates land.
  auto it = ascending
                ? std::lower_bound(side.begin(), side.end(), l.price,
                                   [](const PriceLevel& a, double p) { return a.price < p; })
                : std::lower_bound(side.begin(), side.end(), l.price,
                                   [](const PriceLevel& a, double p) { return a.price > p; });
  const bool found = it != side.end() && it->price == l.price;
  if (l.qty <= 0.0) {
    if (found) side.erase(it);
  } else if (found) {
    it->qty = l.qty;
  } else {
    side.insert(it, l);
  }
}

void OrderBook::top_bids(size_t n, std::vector<PriceLevel>* out) const {
  out->clear();
  for (auto it = bids_.rbegin(); it != bids_.rend() && out->size() < n; ++it) out->push_back(*it);
}

void OrderBook::top_asks(size_t n, std::vector<PriceLevel>* out) const {
  out->clear();
  for (auto it = asks_.rbegin(); it != asks_.rend() && out->size() < n; ++it) out->push_back(*it);
}

size_t BookView::emit(const OrderBook& book, size_t depth, const sh_market_event& proto, bool full,
                      bool gap, std::vector<sh_market_event>& out) {
  uint32_t first_flags = full ? (SH_EVENT_FLAG_SNAPSHOT | (gap ? SH_EVENT_FLAG_GAP : 0u)) : 0u;
  book.top_bids(depth, &now_);
  size_t n = emit_side(now_, shown_bids_, SH_SIDE_BUY, proto, full, &first_flags, out);
  book.top_asks(depth, &now_);
  n += emit_side(now_, shown_asks_, SH_SIDE_SELL, proto, full, &first_flags, out);
  return n;
}

size_t BookView::emit_side(const std::vector<PriceLevel>& now, std::vector<PriceLevel>& shown, sh_side side,
                           const sh_market_event& proto, bool full, uint32_t* first_flags,
                           std::vector<sh_market_event>& out) {
  const size_t m = std::max(now.size(), full ? size_t(0) : shown.size());
  size_t n = 0;
  for (size_t i = 0; i < m; ++i) {
    const bool have = i < now.size();
    const bool had = i < shown.size();
    if (!full && have && had && now[i].price == shown[i].price && now[i].qty == shown[i].qty) continue;
    sh_market_event ev = proto;
    ev.data.l2.price = have ? now[i].price : shown[i].price;
    ev.data.l2.size = have ? now[i].qty : 0.0;  // 0 clears a level the book no longer has
    ev.data.l2.side = side;
    ev.data.l2.level = static_cast<uint32_t>(i);
    ev.flags |= *first_flags;
    *first_flags = 0;
    out.push_back(ev);
    ++n;
  }
  shown = now;
  return n;
}

}  // namespace exchange
