// order_book.h: one symbol's local order book, kept from a snapshot plus
// updates. Absolute quantities per price; qty 0 removes a level.
// Each side is a vector sorted so that the best price is at the back: updates
// cluster near the top, so inserts and erases move few elements.
#ifndef SH_EXCHANGE_ORDER_BOOK_H
#define SH_EXCHANGE_ORDER_BOOK_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace exchange {

struct PriceLevel {
  double price;
  double qty;
};

class OrderBook {
 public:
  void reset(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
             uint64_t update_id);
  void clear();
  void apply(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
             uint64_t final_update_id);
  // levels[0, n) on one side (bid: true), in order; the id is left alone.
  void apply_side(const PriceLevel* levels, size_t n, bool bid);
  void set_update_id(uint64_t id) { update_id_ = id; }
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

// What a consumer of a book's SH_EVENT_L2 events has been shown: the top
// levels last emitted, per side.
class BookView {
 public:
  // Appends the book's top `depth` levels per side as SH_EVENT_L2 events
  // made from proto (symbol, ts_ns, ...): with full, every level, the first
  // one flagged SH_EVENT_FLAG_SNAPSHOT (and SH_EVENT_FLAG_GAP with gap);
  // otherwise only the levels that changed, size 0 clearing a level the
  // book no longer has. Returns how many were appended.
  size_t emit(const OrderBook& book, size_t depth, const sh_market_event& proto, bool full, bool gap,
              std::vector<sh_market_event>& out);

 private:
  size_t emit_side(const std::vector<PriceLevel>& now, std::vector<PriceLevel>& shown, sh_side side,
                   const sh_market_event& proto, bool full, uint32_t* first_flags,
                   std::vector<sh_market_event>& out);
  std::vector<PriceLevel> shown_bids_, shown_asks_, now_;
};

}  // namespace exchange

#endif
