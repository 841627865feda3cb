// IngressMerger: turns the batches of several providers into one stream in
// event-time order, so the conveyor sees one total order (determinism).
//
// Contract: each provider emits events in non-decreasing ts_ns. An event is
// released once no unfinished provider can still emit an earlier one, i.e.
// when its ts_ns <= the smallest "latest ts seen" over unfinished providers.
// Ties are broken by provider index, then arrival order.
#pragma once

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace sh::host {

class IngressMerger {
 public:
  explicit IngressMerger(size_t provider_count);

  // Copies a provider's batch (stride = item_size; shorter records are
  // zero-extended to the host's sh_market_event).
  void push(size_t provider, const sh_market_event* events, uint32_t count, uint32_t item_size);
  // The provider will emit nothing more.
  void finish(size_t provider);
  bool finished(size_t provider) const { return lanes_[provider].finished; }
  // True when this provider's lane is empty and it is not finished: the
  // merger cannot release anything past it until it is polled.
  bool needs_poll(size_t provider) const;

  // Moves every releasable event, in order, to out (cleared first).
  void release(std::vector<sh_market_event>& out);
  bool drained() const;

 private:
  struct Lane {
    std::deque<sh_market_event> events;
    int64_t latest_ts_ns = INT64_MIN;
    bool finished = false;
  };
  std::vector<Lane> lanes_;
};

// Copies one ABI record of any (older, shorter) size into a full host record.
sh_market_event normalize_event(const sh_market_event* ev, uint32_t item_size);

}  // namespace sh::host
