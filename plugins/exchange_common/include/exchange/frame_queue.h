// frame_queue.h: the bounded hand-off from the I/O thread to poll(). The
// producer never blocks: a full queue drops the frame, and the next frame
// that fits is preceded by one kOverflow marker, so the decoder knows data
// was lost (books resynchronise, the minute is flagged).
#ifndef SH_EXCHANGE_FRAME_QUEUE_H
#define SH_EXCHANGE_FRAME_QUEUE_H

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "exchange/capture_file.h"

namespace exchange {

class FrameQueue {
 public:
  explicit FrameQueue(size_t capacity) : capacity_(capacity) {}

  // False when the frame was dropped (queue full).
  bool push(RawFrame&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    if (frames_.size() >= capacity_ && f.kind == FrameKind::kText) {
      ++dropped_;
      return false;
    }
    if (dropped_ > 0) {
      std::string n = std::to_string(dropped_);
      frames_.push_back(make_frame(f.recv_ts_ns, FrameKind::kOverflow, n.data(), n.size()));
      dropped_ = 0;
    }
    if (f.recv_ts_ns > clock_ns_) clock_ns_ = f.recv_ts_ns;
    frames_.push_back(std::move(f));
    return true;
  }

  // The I/O thread between frames (its 50 ms tick): every frame received
  // before now_ns is in the queue. Frames are stamped and pushed on that one
  // thread, so a later frame is stamped at or after now_ns.
  void advance_clock(int64_t now_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now_ns > clock_ns_) clock_ns_ = now_ns;
  }

  // Moves up to max frames into out (appended). *clock_ns: every frame
  // received before it is now in out or was drained before (the receive
  // clock; the last moved frame's time when frames remain queued).
  void drain(std::deque<RawFrame>& out, size_t max, int64_t* clock_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    while (!frames_.empty() && max-- > 0) {
      out.push_back(std::move(frames_.front()));
      frames_.pop_front();
    }
    *clock_ns = frames_.empty() ? clock_ns_ : (out.empty() ? 0 : out.back().recv_ts_ns);
  }

 private:
  const size_t capacity_;
  std::mutex mu_;  // guards everything below
  std::deque<RawFrame> frames_;
  uint64_t dropped_ = 0;
  int64_t clock_ns_ = 0;
};

}  // namespace exchange

#endif
