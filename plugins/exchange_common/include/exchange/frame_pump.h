// frame_pump.h: the pipeline-thread side every exchange provider shares.
// poll() drains the feed thread's FrameQueue (or reads a capture instead),
// records each frame it consumes, hands it to the venue's decoder, and
// offers the decoded events to the host's sink; clock_ns() reports the
// receive clock (ABI 1.3) and records it so a replay closes the same
// minutes. Never touches a socket.
#ifndef SH_EXCHANGE_FRAME_PUMP_H
#define SH_EXCHANGE_FRAME_PUMP_H

#include <strategy_host/plugin.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exchange/capture_file.h"
#include "exchange/feed_options.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"

namespace exchange {

class FramePump {
 public:
  // Appends the frame's events to out.
  using Decode = std::function<void(const RawFrame&, std::vector<sh_market_event>&)>;

  // venue: the capture files' name. Opens the record directory and the
  // capture named by options; throws sh::ConfigError("<venue>: ...").
  FramePump(const sh::Host& host, const FeedOptions& options, std::string venue, FrameQueue& queue,
            IoReport& report);
  ~FramePump();

  // decode: the venue's decoder; text_frames: how many text frames it has
  // decoded (for stop_after_frames).
  void set_decoder(Decode decode, std::function<uint64_t()> text_frames);
  // Live only: start is called by the first poll() (so `host
  // --validate-config` never connects), stop when stop_after_frames is
  // reached.
  void attach_feed(std::function<void()> start, std::function<void()> stop);
  bool replaying() const { return reader_ != nullptr; }

  // The receive clock (abi.h, clock_ns): every event received before it has
  // been emitted. Live: the queue's clock as of the last drain; replay: the
  // capture's times. While events of a frame await the sink, their receive
  // time. Recorded (kind T, at most every 100 ms and at the end).
  int64_t clock_ns();
  // SH_OK: events emitted; SH_WOULD_BLOCK: nothing now (or the sink refused:
  // the events are offered again next time); SH_END_OF_DATA: the capture is
  // exhausted, or the live feed stopped (stop_after_*) and all was emitted.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events);
  // After the feed stopped: forwards the last I/O report and records the
  // last clock the host read.
  void close();

 private:
  static constexpr size_t kFramesPerPoll = 1024;
  static constexpr int64_t kClockRecordNs = 100'000'000;

  void record_clock(int64_t clock_ns);
  void record(const RawFrame& f);
  void fill(uint32_t max_events);
  void consume(const RawFrame& f);

  sh::Host host_;
  const FeedOptions& options_;
  FrameQueue& queue_;
  IoReport& report_;
  Decode decode_;
  std::function<uint64_t()> text_frames_;
  std::function<void()> start_feed_, stop_feed_;
  std::unique_ptr<CaptureWriter> writer_;
  std::unique_ptr<CaptureReader> reader_;
  std::deque<RawFrame> pending_;
  std::vector<sh_market_event> out_;
  size_t next_ = 0;  // out_[next_, size) await the sink
  bool ended_ = false;
  bool record_failed_ = false;
  bool feed_started_ = false;
  bool closed_ = false;
  int64_t drained_clock_ns_ = 0;    // receive clock as of the frames consumed so far
  int64_t reported_clock_ns_ = 0;   // the largest value clock_ns() returned
  int64_t recorded_clock_ns_ = 0;   // the last T record written
};

}  // namespace exchange

#endif
