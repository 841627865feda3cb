// KeySet: a set of strings that only grows (the paper broker's idempotency
// keys, every key ever accepted), without the pause of a full rehash.
//
// A std::unordered_set rehashes all its nodes at once when it outgrows its
// buckets: with tens of thousands of keys that is milliseconds inside one
// minute close, and it comes back at every doubling. Here, when the current
// table is full it becomes the "old" one and a new table with twice the
// buckets takes the inserts; every insert then moves two nodes from the old
// table (node handles: no allocation, no hashing of the string again beyond
// the bucket lookup), so the old table is empty long before the new one is
// full. A lookup checks both tables. Same answers as one unordered_set.
#ifndef SH_HOST_DECISION_KEY_SET_H
#define SH_HOST_DECISION_KEY_SET_H

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sh::host {

class KeySet {
 public:
  bool contains(std::string_view key) const { return has(key); }

  // Inserts `key` (no-op when present).
  void insert(std::string_view key) {
    if (has(key)) return;
    add_new(key);
  }
  // Inserts a key the caller has just checked is not contained.
  void add_new(std::string_view key) {
    // Grow a little before the table would rehash itself (at size >
    // buckets * max_load_factor), so that it never does.
    if (static_cast<double>(cur_.size() + 1) >
        0.9 * static_cast<double>(cur_.bucket_count()) * cur_.max_load_factor()) {
      grow();
    }
    cur_.insert(keep(key));
    migrate(kMovesPerInsert);
  }

  size_t size() const { return cur_.size() + old_.size(); }
  void clear() {
    cur_.clear();
    old_.clear();
    chunks_.clear();
    left_ = 0;
  }

 private:
  static constexpr size_t kMovesPerInsert = 2;
  static constexpr size_t kMinBuckets = 64;
  static constexpr size_t kChunkBytes = 64 * 1024;

  // The tables hold views of the keys' bytes, kept in chunks that never
  // move: a lookup by string_view makes no string (it made one, with an
  // allocation for a key past 15 bytes, at every submit and fill).
  bool has(std::string_view key) const {
    return cur_.count(key) != 0 || (!old_.empty() && old_.count(key) != 0);
  }
  std::string_view keep(std::string_view key) {
    if (key.size() > left_) {
      const size_t n = std::max(kChunkBytes, key.size());
      chunks_.push_back(std::make_unique<char[]>(n));
      next_ = chunks_.back().get();
      left_ = n;
    }
    if (!key.empty()) std::memcpy(next_, key.data(), key.size());
    const std::string_view kept(next_, key.size());
    next_ += key.size();
    left_ -= key.size();
    return kept;
  }
  void grow() {
    migrate(old_.size());  // the previous migration must be done (it is, see below)
    std::unordered_set<std::string_view> next;
    next.reserve(std::max(kMinBuckets, 2 * (cur_.size() + 1)));
    old_.swap(cur_);  // old_ was empty
    cur_.swap(next);
  }
  // Moves up to n nodes from old_ to cur_. With 2 an insert, the old table
  // (N keys) is empty after N/2 inserts, while the new one has room for
  // 2N (N + N/2 keys by then).
  void migrate(size_t n) {
    for (size_t i = 0; i < n && !old_.empty(); ++i) cur_.insert(old_.extract(old_.begin()));
  }

  std::unordered_set<std::string_view> cur_;
  std::unordered_set<std::string_view> old_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace sh::host

#endif  // SH_HOST_DECISION_KEY_SET_H
