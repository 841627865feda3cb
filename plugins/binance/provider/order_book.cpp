// order_book.cpp: OrderBook.
#include "provider/order_book.h"

#include <algorithm>

namespace binance {

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

}  // namespace binance
