#include "conveyor/shard_pool.h"

#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SH_SPIN_PAUSE() _mm_pause()
#else
#define SH_SPIN_PAUSE() ((void)0)
#endif

namespace sh::host {
namespace {

// About 20-60 us of pause instructions: long enough to cover a close's round
// trip and the gap between two input batches, short enough not to matter
// to a core the pipeline needs.
constexpr int kSpins = 1000;

}  // namespace

ShardPool::ShardPool(const std::vector<SymbolShard*>& shards) {
  lanes_.reserve(shards.size());
  for (SymbolShard* shard : shards) {
    auto lane = std::make_unique<Lane>();
    lane->shard = shard;
    lane->pending.reserve(kBatch);
    lanes_.push_back(std::move(lane));
  }
  for (auto& lane : lanes_) lane->thread = std::thread(&ShardPool::work, lane.get());
}

ShardPool::~ShardPool() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard<std::mutex> lock(lane->m);
      lane->stop = true;
    }
    lane->work_cv.notify_one();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

void ShardPool::hand_over(Lane& lane, bool barrier) {
  std::vector<ShardCommand> next;
  {
    std::lock_guard<std::mutex> lock(lane.m);
    lane.queue.push_back(std::move(lane.pending));
    lane.batches_sent.store(lane.batches_sent.load(std::memory_order_relaxed) + 1,
                            std::memory_order_release);
    if (barrier) ++lane.barriers_sent;
    if (!lane.spare.empty()) {
      next = std::move(lane.spare.back());
      lane.spare.pop_back();
    }
  }
  lane.work_cv.notify_one();
  next.clear();
  next.reserve(kBatch);
  lane.pending = std::move(next);
}

void ShardPool::send() {
  for (auto& lane : lanes_) {
    if (!lane->pending.empty()) hand_over(*lane);
  }
}

void ShardPool::barrier(ShardCommand::Kind kind, int64_t idx, bool skewed) {
  ShardCommand c;
  c.kind = kind;
  c.idx = idx;
  c.skewed = skewed ? 1 : 0;
  for (auto& lane : lanes_) {
    lane->pending.push_back(c);
    hand_over(*lane, true);
  }
}

void ShardPool::wait() {
  for (auto& lane : lanes_) {
    for (int i = 0; i < kSpins; ++i) {
      if (lane->barriers_done.load(std::memory_order_acquire) == lane->barriers_sent) break;
      SH_SPIN_PAUSE();
    }
    if (lane->barriers_done.load(std::memory_order_acquire) == lane->barriers_sent) continue;
    std::unique_lock<std::mutex> lock(lane->m);
    lane->done_cv.wait(lock, [&] { return lane->barriers_done == lane->barriers_sent; });
  }
}

void ShardPool::work(Lane* lane) {
  std::unique_lock<std::mutex> lock(lane->m);
  uint64_t taken = 0;
  for (;;) {
    if (lane->queue.empty() && !lane->stop) {
      lock.unlock();
      for (int i = 0; i < kSpins && lane->batches_sent.load(std::memory_order_acquire) == taken; ++i) {
        SH_SPIN_PAUSE();
      }
      lock.lock();
    }
    lane->work_cv.wait(lock, [lane] { return lane->stop || !lane->queue.empty(); });
    if (lane->queue.empty()) return;  // stop, and everything sent is done
    std::vector<ShardCommand> batch = std::move(lane->queue.front());
    lane->queue.pop_front();
    ++taken;
    lock.unlock();
    lane->shard->run(batch.data(), batch.size(), &lane->part);
    const bool barrier = !batch.empty() && (batch.back().kind == ShardCommand::kClose ||
                                            batch.back().kind == ShardCommand::kSync);
    lock.lock();
    lane->spare.push_back(std::move(batch));
    if (barrier) {
      lane->barriers_done.store(lane->barriers_done.load(std::memory_order_relaxed) + 1,
                                std::memory_order_release);
      lane->done_cv.notify_one();
    }
  }
}

}  // namespace sh::host
