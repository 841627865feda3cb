#include "pipeline/ingress_merger.h"

#include <algorithm>
#include <cstring>

namespace sh::host {

sh_market_event normalize_event(const sh_market_event* ev, uint32_t item_size) {
  sh_market_event out;
  if (item_size >= sizeof(sh_market_event)) {
    std::memcpy(&out, ev, sizeof(out));
  } else {
    std::memset(&out, 0, sizeof(out));
    std::memcpy(&out, ev, item_size);
  }
  out.struct_size = sizeof(sh_market_event);
  return out;
}


void IngressMerger::push(size_t provider, const sh_market_event* events, uint32_t count,
                         uint32_t item_size) {
  Lane& lane = lanes_[provider];
  const auto* p = reinterpret_cast<const unsigned char*>(events);
  for (uint32_t i = 0; i < count; ++i, p += item_size) {
    const sh_market_event ev =
        normalize_event(reinterpret_cast<const sh_market_event*>(p), item_size);
    if (by_receive_time_) {
      const int64_t key = std::max(ev.recv_ts_ns > 0 ? ev.recv_ts_ns : INT64_MIN, lane.latest_ts_ns);
      lane.latest_ts_ns = key;
      lane.keys.push_back(key);
    } else if (ev.ts_ns > lane.latest_ts_ns) {
      lane.latest_ts_ns = ev.ts_ns;
    }
    lane.events.push_back(ev);
  }
}

void IngressMerger::finish(size_t provider) { lanes_[provider].finished = true; }

bool IngressMerger::needs_poll(size_t provider) const {
  const Lane& lane = lanes_[provider];
  return !lane.finished && lane.events.empty();
}

bool IngressMerger::drained() const {
  for (const Lane& lane : lanes_) {
    if (!lane.events.empty() || (!by_receive_time_ && !lane.finished)) return false;
  }
  return true;
}

int64_t IngressMerger::lane_bound(const Lane& lane) const {
  if (!by_receive_time_ || !lane.events.empty() || lane.clock_ns < 0) return lane.latest_ts_ns;
  // Empty: everything it emits later was received at or after its clock.
  return std::max(lane.latest_ts_ns, lane.clock_ns - 1);
}

int64_t IngressMerger::horizon() const {
  int64_t h = INT64_MAX;
  for (const Lane& lane : lanes_) {
    if (!lane.finished) h = std::min(h, lane_bound(lane));
  }
  return h;
}

void IngressMerger::release(std::vector<sh_market_event>& out) {
  out.clear();
  int64_t horizon = this->horizon();
  for (;;) {
    size_t best = lanes_.size();
    int64_t best_ts = INT64_MAX;
    for (size_t i = 0; i < lanes_.size(); ++i) {
      const Lane& lane = lanes_[i];
      if (lane.events.empty()) continue;
      const int64_t ts = key_of(lane, 0);
      if (ts < best_ts) {  // strict: ties go to the lower provider index
        best = i;
        best_ts = ts;
      }
    }
    if (best == lanes_.size() || best_ts > horizon) break;
    Lane& lane = lanes_[best];
    out.push_back(lane.events.front());
    lane.events.pop_front();
    if (by_receive_time_) lane.keys.pop_front();
    // A lane that just emptied is bounded by its clock now, not its last key.
    if (lane.events.empty() && !lane.finished) horizon = this->horizon();
  }
}

}  // namespace sh::host
