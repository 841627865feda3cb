// order_book.h: one symbol's local order book, kept from a REST snapshot plus
// diff-depth updates. Absolute quantities per price; qty 0 removes a level.
// Each side is a vector sorted so that the best price is at the back: updates
// cluster near the top, so inserts and erases move few elements.
#ifndef SH_BINANCE_PROVIDER_ORDER_BOOK_H
#define SH_BINANCE_PROVIDER_ORDER_BOOK_H

#include <cstdint>
#include <vector>

#include "common/frame_parser.h"

namespace binance {

class OrderBook {
 public:
  void reset(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
             uint64_t update_id);
  void clear();
  void apply(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
             uint64_t final_update_id);
  uint64_t update_id() const { return update_id_; }
  // The best n levels of a side, best first.
  void top_bids(size_t n, std::vector<PriceLevel>* out) const;
  void top_asks(size_t n, std::vector<PriceLevel>* out) const;
  size_t bid_depth() const { return bids_.size(); }
  size_t ask_depth() const { return asks_.size(); }

 private:
  static void set(std::vector<PriceLevel>& side, const PriceLevel& l, bool ascending);
  std::vector<PriceLevel> bids_;  // ascending price: best bid at back
  std::vector<PriceLevel> asks_;  // descending price: best ask at back
  uint64_t update_id_ = 0;
};

}  // namespace binance

#endif
