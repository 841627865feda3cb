// IngressMerger: turns the batches of several providers into one stream in
// event-time order, so the conveyor sees one total order (determinism).
//
// Contract: each provider emits events in non-decreasing ts_ns. An event is
// released once no unfinished provider can still emit an earlier one, i.e.
// when its ts_ns <= the smallest "latest ts seen" over unfinished providers.
// Ties are broken by provider index, then arrival order.
//
// By receive time (the live modes' receive clock): the order key is the
// event's recv_ts_ns instead (an event without one, e.g. an estimated-time
// quote, keeps its provider's previous key), and a provider's reported
// clock (sh_provider_api.clock_ns: every event received before it has been
// emitted) bounds what it can still emit, so a quiet or disconnected
// provider holds nothing back once its clock has passed an event. The order
// is a function of the frames and clock reports, not of poll timing: a
// recorded session replays to the same stream.
#pragma once

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace sh::host {

class IngressMerger {
 public:
  explicit IngressMerger(size_t provider_count) : lanes_(provider_count) {}
  // Before the first push: order by receive time (see above).
  void order_by_receive_time() { by_receive_time_ = true; }

  // Copies a provider's batch (stride = item_size; shorter records are
  // zero-extended to the host's sh_market_event).
  void push(size_t provider, const sh_market_event* events, uint32_t count, uint32_t item_size);
  // By receive time: the provider's clock_ns() after its last poll (< 0:
  // none; then an empty lane holds the others back, as by event time).
  void set_clock(size_t provider, int64_t clock_ns) { lanes_[provider].clock_ns = clock_ns; }
  // The provider will emit nothing more.
  void finish(size_t provider);
  bool finished(size_t provider) const { return lanes_[provider].finished; }
  // True when this provider's lane is empty and it is not finished: the
  // merger cannot release anything past it until it is polled.
  bool needs_poll(size_t provider) const;

  // Moves every releasable event, in order, to out (cleared first).
  void release(std::vector<sh_market_event>& out);
  // Nothing is held: every lane is empty (by receive time), or every lane
  // is empty and finished (by event time).
  bool drained() const;

 private:
  struct Lane {
    std::deque<sh_market_event> events;
    std::deque<int64_t> keys;      // by receive time: each event's order key
    int64_t latest_ts_ns = INT64_MIN;  // the largest key pushed
    int64_t clock_ns = -1;
    bool finished = false;
  };
  int64_t key_of(const Lane& lane, size_t k) const {
    return by_receive_time_ ? lane.keys[k] : lane.events[k].ts_ns;
  }
  // What an unfinished lane can still emit is at or after this.
  int64_t lane_bound(const Lane& lane) const;
  // Safe horizon: nothing earlier than this can still arrive.
  int64_t horizon() const;
  std::vector<Lane> lanes_;
  bool by_receive_time_ = false;
};

// Copies one ABI record of any (older, shorter) size into a full host record.
sh_market_event normalize_event(const sh_market_event* ev, uint32_t item_size);

}  // namespace sh::host
