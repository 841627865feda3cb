#include "event_merger.h"

#include <limits>
#include <string>
#include <utility>

namespace replay {

EventMerger::EventMerger(std::vector<std::unique_ptr<FileSource>> sources)
    : sources_(std::move(sources)), heads_(sources_.size()) {
  heap_.reserve(sources_.size());
  for (uint32_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i]->next(heads_[i])) {
      heap_.push_back(i);
      sift_up(heap_.size() - 1);
    }
  }
}

void EventMerger::sift_up(size_t i) {
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!before(heap_[i], heap_[parent])) break;
    std::swap(heap_[i], heap_[parent]);
    i = parent;
  }
}

void EventMerger::sift_down(size_t i) {
  const size_t n = heap_.size();
  for (;;) {
    const size_t l = 2 * i + 1;
    if (l >= n) return;
    size_t m = l;
    if (l + 1 < n && before(heap_[l + 1], heap_[l])) m = l + 1;
    if (!before(heap_[m], heap_[i])) return;
    std::swap(heap_[i], heap_[m]);
    i = m;
  }
}

bool EventMerger::next(sh_market_event& out) {
  while (!heap_.empty()) {
    const uint32_t src = heap_[0];
    const Head& h = heads_[src];
    const size_t sym = static_cast<size_t>(h.symbol_local);
    if (sym >= last_ts_by_symbol_.size())
      last_ts_by_symbol_.resize(sym + 1, std::numeric_limits<int64_t>::min());
    const bool in_order = h.ev.ts_ns >= last_ts_by_symbol_[sym];
    if (in_order) {
      last_ts_by_symbol_[sym] = h.ev.ts_ns;
      out = h.ev;
    } else {
      sources_[src]->reject(h, BadRow::kOutOfOrder, "ts",
                            std::to_string(h.ev.ts_ns) + " < " +
                                std::to_string(last_ts_by_symbol_[sym]) +
                                " (already merged from another file)");
    }
    // Advance the source in place: one sift instead of a pop and a push.
    if (sources_[src]->next(heads_[src])) {
      sift_down(0);
    } else {
      heap_[0] = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) sift_down(0);
    }
    if (in_order) return true;
  }
  return false;
}

}  // namespace replay
