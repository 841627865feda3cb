// frame_pump.cpp: FramePump.
#include "exchange/frame_pump.h"

#include <algorithm>

namespace exchange {

FramePump::FramePump(const sh::Host& host, const FeedOptions& options, std::string venue,
                     FrameQueue& queue, IoReport& report)
    : host_(host), options_(options), queue_(queue), report_(report) {
  if (!options.record_dir.empty()) {
    writer_ = std::make_unique<CaptureWriter>(options.record_dir, options.record_rotate_frames, venue);
    if (!writer_->error().empty()) throw sh::ConfigError(venue + ": record: " + writer_->error());
  }
  if (!options.capture.empty()) {
    try {
      reader_ = std::make_unique<CaptureReader>(options.capture);
    } catch (const std::exception& e) {
      throw sh::ConfigError(venue + ": capture: " + e.what());
    }
    host.info("replaying capture " + options.capture);
  }
}

FramePump::~FramePump() { close(); }

void FramePump::set_decoder(Decode decode, std::function<uint64_t()> text_frames) {
  decode_ = std::move(decode);
  text_frames_ = std::move(text_frames);
}

void FramePump::attach_feed(std::function<void()> start, std::function<void()> stop) {
  start_feed_ = std::move(start);
  stop_feed_ = std::move(stop);
}

void FramePump::close() {
  if (closed_) return;
  closed_ = true;
  report_.flush(host_);
  if (writer_) {
    // The last clock the host read, so a replay closes the same minutes.
    if (reported_clock_ns_ > recorded_clock_ns_) record_clock(reported_clock_ns_);
    writer_->flush();
  }
}

int64_t FramePump::clock_ns() {
  const int64_t clock = next_ < out_.size() ? std::min(out_[next_].recv_ts_ns, drained_clock_ns_)
                                            : drained_clock_ns_;
  if (clock > reported_clock_ns_) reported_clock_ns_ = clock;
  if (writer_ && reported_clock_ns_ >= recorded_clock_ns_ + kClockRecordNs) record_clock(reported_clock_ns_);
  return reported_clock_ns_;
}

sh_status FramePump::poll(const sh::EventSink& sink, uint32_t max_events) {
  if (start_feed_ && !feed_started_) {
    start_feed_();
    feed_started_ = true;
  }
  report_.flush(host_);
  if (max_events == 0) return SH_OK;
  if (next_ == out_.size()) {
    out_.clear();
    next_ = 0;
    fill(max_events);
    report_.flush(host_);
  }
  if (next_ == out_.size()) return ended_ ? SH_END_OF_DATA : SH_WOULD_BLOCK;
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(max_events, out_.size() - next_));
  if (sink.emit(out_.data() + next_, n) != SH_OK) return SH_WOULD_BLOCK;
  next_ += n;
  return SH_OK;
}

void FramePump::record_clock(int64_t clock_ns) {
  static const char kText[] = "clock";
  record(make_frame(clock_ns, FrameKind::kClock, kText, sizeof(kText) - 1));
  recorded_clock_ns_ = clock_ns;
}

void FramePump::record(const RawFrame& f) {
  if (writer_ && !writer_->write(f) && !record_failed_) {
    record_failed_ = true;  // logged once; the feed carries on unrecorded
    host_.error("recording failed: " + writer_->error());
  }
}

void FramePump::fill(uint32_t max_events) {
  if (ended_) return;
  if (reader_) {
    RawFrame f;
    for (size_t i = 0; i < kFramesPerPoll && out_.size() < max_events; ++i) {
      if (!reader_->next(&f)) {
        ended_ = true;
        if (reader_->bad_lines() > 0)
          host_.warn(std::to_string(reader_->bad_lines()) + " unreadable capture lines skipped");
        return;
      }
      consume(f);
      if (ended_) return;
    }
    return;
  }
  pending_.clear();
  int64_t clock = 0;
  queue_.drain(pending_, kFramesPerPoll, &clock);
  for (const RawFrame& f : pending_) {
    consume(f);
    if (ended_) break;
  }
  if (clock > drained_clock_ns_) drained_clock_ns_ = clock;
}

void FramePump::consume(const RawFrame& f) {
  record(f);
  if (reader_ && f.recv_ts_ns > drained_clock_ns_) drained_clock_ns_ = f.recv_ts_ns;
  if (f.kind == FrameKind::kClock) return;
  if (f.kind == FrameKind::kEnd) {
    ended_ = true;
    return;
  }
  if (decode_) decode_(f, out_);
  if (options_.stop_after_frames > 0 && text_frames_ && text_frames_() >= options_.stop_after_frames) {
    host_.info("stop_after_frames reached (" + std::to_string(options_.stop_after_frames) + ")");
    ended_ = true;
    if (stop_feed_) stop_feed_();
  }
}

}  // namespace exchange
