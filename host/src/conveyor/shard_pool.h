// ShardPool: a thread for each SymbolShard it is given (symbol_shard.h):
// with `conveyor.shards: N` > 1, shards 1..N-1 (shard 0 stays on the
// pipeline thread). The Conveyor appends each shard's commands in event
// order; they go to the shard's thread in batches, so the per-symbol work
// runs on N cores while the pipeline thread routes the next events. A close
// is a barrier: start_close() sends it to every shard, wait() returns once
// each has written its part.
//
// Only the pipeline thread calls the pool; a shard's state is touched only
// by its own thread once the pool runs. Both sides spin briefly (tens of
// microseconds) before they sleep: a minute close is a round trip, and two
// futex wake-ups per close cost a 100-symbol day about a tenth of its time.
#ifndef SH_HOST_CONVEYOR_SHARD_POOL_H
#define SH_HOST_CONVEYOR_SHARD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "conveyor/symbol_shard.h"

namespace sh::host {

class ShardPool {
 public:
  // Starts a thread per shard; the shards must outlive the pool.
  explicit ShardPool(const std::vector<SymbolShard*>& shards);
  ~ShardPool();  // lets each thread finish what it was sent, then joins it
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  // Queues a command for shard k; it is sent with the next full batch or send().
  void push(size_t k, const ShardCommand& command) {
    Lane& lane = *lanes_[k];
    lane.pending.push_back(command);
    if (lane.pending.size() >= kBatch) hand_over(lane);
  }
  // Sends every queued command now (end of an input batch).
  void send();
  // Sends "close interval idx" to every shard; after wait(), shard k's
  // part is part(k) until the next close.
  void start_close(int64_t idx, bool skewed) { barrier(ShardCommand::kClose, idx, skewed); }
  const ShardClose& part(size_t k) const { return lanes_[k]->part; }
  size_t size() const { return lanes_.size(); }
  // Sends a barrier that does nothing (wait() then returns once every shard
  // has done everything sent to it).
  void start_sync() { barrier(ShardCommand::kSync, 0, false); }
  // Waits until every shard has done every barrier sent.
  void wait();

 private:
  static constexpr size_t kBatch = 1024;
  struct Lane {
    SymbolShard* shard = nullptr;
    std::vector<ShardCommand> pending;  // pipeline thread only
    std::mutex m;
    std::condition_variable work_cv;    // a batch queued, or stop
    std::condition_variable done_cv;    // a barrier done
    std::deque<std::vector<ShardCommand>> queue;
    std::vector<std::vector<ShardCommand>> spare;  // emptied batches, reused
    uint64_t barriers_sent = 0;   // kClose/kSync batches queued (pipeline thread)
    std::atomic<uint64_t> barriers_done{0};  // and done (written under m)
    std::atomic<uint64_t> batches_sent{0};   // batches queued (written under m)
    bool stop = false;
    ShardClose part;              // written by the thread for a kClose
    std::thread thread;
  };
  void hand_over(Lane& lane, bool barrier = false);
  void barrier(ShardCommand::Kind kind, int64_t idx, bool skewed);  // sends, does not wait
  static void work(Lane* lane);

  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_SHARD_POOL_H
