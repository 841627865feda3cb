// frame_queue.h: the bounded hand-off from the I/O thread to poll(). The
// producer never blocks: a full queue drops the frame, and the next frame
// that fits is preceded by one kOverflow marker, so the decoder knows data
// was lost (books resynchronise, the minute is flagged).
#ifndef SH_BINANCE_PROVIDER_FRAME_QUEUE_H
#define SH_BINANCE_PROVIDER_FRAME_QUEUE_H

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "common/capture_file.h"

namespace binance {

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
    frames_.push_back(std::move(f));
    return true;
  }

  // Moves up to max frames into out (appended).
  void drain(std::deque<RawFrame>& out, size_t max) {
    std::lock_guard<std::mutex> lock(mu_);
    while (!frames_.empty() && max-- > 0) {
      out.push_back(std::move(frames_.front()));
      frames_.pop_front();
    }
  }

 private:
  const size_t capacity_;
  std::mutex mu_;  // guards everything below
  std::deque<RawFrame> frames_;
  uint64_t dropped_ = 0;
};

}  // namespace binance

#endif
