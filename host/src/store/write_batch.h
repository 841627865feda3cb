// WriteBatch: the puts and deletes of a minute's stages, recorded on the
// pipeline thread (a staged StateTxn, StateTxn::staged()) and applied in the
// minute's real write transaction by the store's writer thread
// (pipeline/minute_writer.h), in the order they were made.
//
// Keys and values are copied into one arena (no allocation per write once
// the batch has grown to a minute's size; clear() keeps the capacity).
// Work that must read the store inside the transaction (the retention
// stage's expiry) is added as a hook, run on the writer thread after the
// puts and deletes before it; such a hook must touch only state that the
// pipeline thread leaves alone until the minute's on_commit.
#ifndef SH_HOST_STORE_WRITE_BATCH_H
#define SH_HOST_STORE_WRITE_BATCH_H

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace sh::host {

enum class StateDb : int;
class StateTxn;

class WriteBatch {
 public:
  using Hook = std::function<Status(StateTxn&)>;

  void put(StateDb db, std::string_view key, std::string_view value);
  // Applied as a delete that ignores an absent key (a staged delete cannot
  // report NotFound to its caller).
  void del(StateDb db, std::string_view key);
  void hook(Hook fn);
  // Work for the writer's thread before the transaction begins, run once
  // even when the transaction is retried (a feed's bytes to its file: on
  // disk before the minute commits, events/feed_recovery.h). An error fails
  // the minute before anything of it is stored.
  void before_txn(std::function<Status()> fn);
  Status run_before_txn() const;

  // Every write, in order, into `txn` (a real write transaction). The first
  // failure is returned; LMDB's rule applies: the transaction is spoiled.
  Status apply(StateTxn& txn) const;

  bool empty() const { return ops_.empty() && before_.empty(); }
  size_t size() const { return ops_.size(); }
  size_t bytes() const { return arena_.size(); }
  void clear();

 private:
  enum class Kind : uint8_t { kPut, kDel, kHook };
  struct Op {
    Kind kind;
    StateDb db;
    uint32_t key_len;
    uint32_t value_len;
    size_t at;  // key at arena_[at], value right after it; kHook: index into hooks_
  };
  std::vector<Op> ops_;
  std::string arena_;
  std::vector<Hook> hooks_;
  std::vector<std::function<Status()>> before_;
};

}  // namespace sh::host

#endif  // SH_HOST_STORE_WRITE_BATCH_H
