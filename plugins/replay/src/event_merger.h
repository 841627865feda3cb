// event_merger.h: k-way merge of the files' event streams into one stream in
// event-time order. Order: ts_ns, then file index (config order), then line
// (each file yields its rows in line order), so the output is a pure
// function of the inputs.
//
// Each file must be ordered per symbol (FileSource enforces it). When a file
// is not ordered across symbols, the merge could emit a symbol's event after
// a later one from another file; such an event is skipped as out_of_order
// instead, so the stream keeps the ABI promise of non-decreasing ts_ns per
// symbol.
#ifndef SH_REPLAY_EVENT_MERGER_H
#define SH_REPLAY_EVENT_MERGER_H

#include <cstdint>
#include <memory>
#include <vector>

#include "file_source.h"

namespace replay {

class EventMerger {
 public:
  // Reads the first row of every source.
  explicit EventMerger(std::vector<std::unique_ptr<FileSource>> sources);

  // The next event of the merged stream; false when every file is exhausted.
  bool next(sh_market_event& out);

 private:
  bool before(uint32_t a, uint32_t b) const {
    const int64_t ta = heads_[a].ev.ts_ns;
    const int64_t tb = heads_[b].ev.ts_ns;
    return ta < tb || (ta == tb && a < b);
  }
  void sift_down(size_t i);
  void sift_up(size_t i);

  std::vector<std::unique_ptr<FileSource>> sources_;
  std::vector<Head> heads_;      // current row of each source
  std::vector<uint32_t> heap_;   // sources with a head; heap_[0] is the earliest
  std::vector<int64_t> last_ts_by_symbol_;  // latest emitted ts_ns per local symbol
};

}  // namespace replay

#endif  // SH_REPLAY_EVENT_MERGER_H
