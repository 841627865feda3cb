// binance_provider.cpp: the `binance` provider plugin. Live: a FeedThread
// owns the network and fills a bounded FrameQueue; poll() drains it on the
// pipeline thread, optionally records each raw frame, and decodes frames
// into events (FrameDecoder). Replay (`capture`): frames come from capture
// files instead, through the same decoder. See README.md.
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

#include "common/binance_config.h"
#include "common/binance_config_schema.h"
#include "common/capture_file.h"
#include "common/frame_parser.h"
#include "provider/feed_thread.h"
#include "provider/frame_decoder.h"
#include "provider/frame_queue.h"
#include "provider/io_report.h"

namespace binance {

class BinanceProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "binance";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Binance Spot public market data (trade, bookTicker, diff depth as a local book) over "
      "WebSocket + TLS, with capture recording and replay";
  static constexpr const char* kConfigSchema = kBinanceConfigSchema;

  BinanceProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host), config_(parse_binance_config(config)), queue_(config_.queue_capacity),
        decoder_(config_, host, [this](uint32_t i) {
          if (feed_) feed_->request_snapshot(i);
        }) {
    if (!config_.record_dir.empty()) {
      writer_ = std::make_unique<CaptureWriter>(config_.record_dir, config_.record_rotate_frames);
      if (!writer_->error().empty()) throw sh::ConfigError("binance: record: " + writer_->error());
    }
    if (!config_.capture.empty()) {
      try {
        reader_ = std::make_unique<CaptureReader>(config_.capture);
      } catch (const std::exception& e) {
        throw sh::ConfigError(std::string("binance: capture: ") + e.what());
      }
      host.info("replaying capture " + config_.capture);
      return;
    }
    const FrameParser names(config_.symbols);
    const std::string target =
        "/stream?streams=" + names.stream_list(config_.trades, config_.book_ticker, config_.depth);
    try {
      feed_ = std::make_unique<FeedThread>(config_, target, queue_, report_);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("binance: ") + e.what());
    }
  }

  ~BinanceProvider() override {
    if (feed_) feed_->stop();
    report_.flush(host());
    if (writer_) {
      // The last clock the host read, so a replay closes the same minutes.
      if (reported_clock_ns_ > recorded_clock_ns_) record_clock(reported_clock_ns_);
      writer_->flush();
    }
  }

  // The receive clock (abi.h, clock_ns): every event received before it has
  // been emitted. Live: the queue's clock as of the last drain; replay: the
  // capture's times. While events of a frame await the sink, their receive
  // time. Recorded (kind T, at most every 100 ms and at the end) so that a
  // replay sees the clock where the live session did.
  int64_t clock_ns() override {
    const int64_t clock = next_ < out_.size() ? std::min(out_[next_].recv_ts_ns, drained_clock_ns_)
                                              : drained_clock_ns_;
    if (clock > reported_clock_ns_) reported_clock_ns_ = clock;
    if (writer_ && reported_clock_ns_ >= recorded_clock_ns_ + kClockRecordNs) record_clock(reported_clock_ns_);
    return reported_clock_ns_;
  }

  // SH_OK: events emitted; SH_WOULD_BLOCK: nothing now (or the sink refused:
  // the events are offered again next time); SH_END_OF_DATA: the capture is
  // exhausted, or the live feed stopped (stop_after_*) and all was emitted.
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (feed_ && !feed_started_) {
      // Started by the first poll, not by create(): `host --validate-config`
      // creates instances and must not open connections.
      host().info("streaming " + std::to_string(config_.symbols.size()) + " symbols from " + config_.ws_url);
      feed_->start();
      feed_started_ = true;
    }
    report_.flush(host());
    if (max_events == 0) return SH_OK;
    if (next_ == out_.size()) {
      out_.clear();
      next_ = 0;
      fill(max_events);
      report_.flush(host());
    }
    if (next_ == out_.size()) {
      if (ended_) return SH_END_OF_DATA;
      return SH_WOULD_BLOCK;
    }
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(max_events, out_.size() - next_));
    if (sink.emit(out_.data() + next_, n) != SH_OK) return SH_WOULD_BLOCK;
    next_ += n;
    return SH_OK;
  }

 private:
  static constexpr size_t kFramesPerPoll = 1024;
  static constexpr int64_t kClockRecordNs = 100'000'000;

  void record_clock(int64_t clock_ns) {
    static const char kText[] = "clock";
    consume_record(make_frame(clock_ns, FrameKind::kClock, kText, sizeof(kText) - 1));
    recorded_clock_ns_ = clock_ns;
  }
  void consume_record(const RawFrame& f) {
    if (writer_ && !writer_->write(f) && !record_failed_) {
      record_failed_ = true;  // logged once; the feed carries on unrecorded
      host().error("recording failed: " + writer_->error());
    }
  }

  void fill(uint32_t max_events) {
    if (ended_) return;
    if (reader_) {
      RawFrame f;
      for (size_t i = 0; i < kFramesPerPoll && out_.size() < max_events; ++i) {
        if (!reader_->next(&f)) {
          ended_ = true;
          if (reader_->bad_lines() > 0)
            host().warn(std::to_string(reader_->bad_lines()) + " unreadable capture lines skipped");
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

  void consume(const RawFrame& f) {
    consume_record(f);
    if (reader_ && f.recv_ts_ns > drained_clock_ns_) drained_clock_ns_ = f.recv_ts_ns;
    if (f.kind == FrameKind::kClock) return;
    if (f.kind == FrameKind::kEnd) {
      ended_ = true;
      return;
    }
    decoder_.on_frame(f, out_);
    if (config_.stop_after_frames > 0 && decoder_.text_frames() >= config_.stop_after_frames) {
      host().info("stop_after_frames reached (" + std::to_string(config_.stop_after_frames) + ")");
      ended_ = true;
      if (feed_) feed_->stop();
    }
  }

  BinanceConfig config_;
  FrameQueue queue_;
  IoReport report_;
  FrameDecoder decoder_;
  std::unique_ptr<CaptureWriter> writer_;
  std::unique_ptr<CaptureReader> reader_;
  std::unique_ptr<FeedThread> feed_;  // last: stopped before the rest goes
  std::deque<RawFrame> pending_;
  std::vector<sh_market_event> out_;
  size_t next_ = 0;  // out_[next_, size) await the sink
  bool ended_ = false;
  bool record_failed_ = false;
  bool feed_started_ = false;
  int64_t drained_clock_ns_ = 0;    // receive clock as of the frames consumed so far
  int64_t reported_clock_ns_ = 0;   // the largest value clock_ns() returned
  int64_t recorded_clock_ns_ = 0;   // the last T record written
};

}  // namespace binance

SH_EXPORT_PLUGIN(binance::BinanceProvider)
