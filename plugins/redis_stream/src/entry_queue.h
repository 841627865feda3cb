// entry_queue.h: the bounded hand-off between the reader thread and poll(),
// both ways: parsed entries (with the receive clock) to poll(), the ids of
// entries poll() handed to the host back to the reader (XACK). The reader
// never overfills it: it waits for room before each read, since what it has
// not read yet stays in Redis (nothing is dropped). poll() never waits.
#ifndef SH_REDIS_STREAM_ENTRY_QUEUE_H
#define SH_REDIS_STREAM_ENTRY_QUEUE_H

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "entry_parser.h"

namespace redis_stream {

class EntryQueue {
 public:
  explicit EntryQueue(size_t capacity) : capacity_(capacity) {}

  // Reader: waits up to wait_ms until `room` more entries fit, or wake().
  bool wait_for_room(size_t room, int64_t wait_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return room_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                             [&] { return woken_ || entries_.size() + room <= capacity_; }) &&
           !woken_;
  }
  // Reader: entries read at recv_ts_ns (one reply). Every entry read before
  // that time is now in the queue.
  void push(std::vector<ParsedEntry>& batch, int64_t recv_ts_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    for (ParsedEntry& e : batch) entries_.push_back(std::move(e));
    batch.clear();
    if (recv_ts_ns > clock_ns_) clock_ns_ = recv_ts_ns;
  }
  // Reader, between reads (a BLOCK that timed out, backoff, waiting for
  // room): every entry read before now_ns is in the queue.
  void advance_clock(int64_t now_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now_ns > clock_ns_) clock_ns_ = now_ns;
  }
  // Reader: no entry follows (stop_after_entries, stop_when_idle_ms).
  void push_end() {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
  }
  // Any thread: makes wait_for_room return false from now on (shutdown).
  void wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
    }
    room_cv_.notify_all();
  }

  // poll(): moves up to max entries into out (appended). *clock_ns: every
  // entry read before it is in out or was drained before (the receive
  // clock; the last moved entry's time while entries remain queued).
  // *ended: the queue is empty and no entry follows.
  void drain(std::deque<ParsedEntry>& out, size_t max, int64_t* clock_ns, bool* ended) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!entries_.empty() && max-- > 0) {
        out.push_back(std::move(entries_.front()));
        entries_.pop_front();
      }
      *clock_ns = entries_.empty() ? clock_ns_ : (out.empty() ? 0 : out.back().recv_ts_ns);
      *ended = entries_.empty() && ended_;
    }
    room_cv_.notify_all();
  }
  // poll(): these entries were handed to the host (or skipped): ack them.
  void ack(const std::vector<StreamId>& ids) {
    if (ids.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    acks_.insert(acks_.end(), ids.begin(), ids.end());
  }
  // Reader: takes the ids to XACK.
  void take_acks(std::vector<StreamId>& out) {
    std::lock_guard<std::mutex> lock(mu_);
    out.insert(out.end(), acks_.begin(), acks_.end());
    acks_.clear();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;  // guards everything below
  std::condition_variable room_cv_;
  std::deque<ParsedEntry> entries_;
  std::vector<StreamId> acks_;
  int64_t clock_ns_ = 0;
  bool ended_ = false;
  bool woken_ = false;
};

}  // namespace redis_stream

#endif
