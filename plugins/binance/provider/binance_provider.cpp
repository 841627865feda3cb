// binance_provider.cpp: the `binance` provider plugin. Live: a FeedThread
// owns the network and fills a bounded FrameQueue; poll() drains it on the
// pipeline thread through exchange::FramePump, which records each raw frame
// and hands it to the FrameDecoder. Replay (`capture`): frames come from
// capture files instead, through the same decoder. See README.md.
#include <strategy_host/plugin.hpp>

#include <memory>

#include "common/binance_config.h"
#include "common/binance_config_schema.h"
#include "common/frame_parser.h"
#include "exchange/frame_pump.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_feed.h"
#include "provider/feed_thread.h"
#include "provider/frame_decoder.h"

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
      : sh::Provider(host), config_(parse_binance_config(config)), queue_(config_.feed.queue_capacity),
        report_(exchange::kFeedCounterNames, exchange::kFeedCounterCount),
        pump_(host, config_.feed, "binance", queue_, report_),
        decoder_(config_, host, [this](uint32_t i) {
          if (feed_) feed_->request_snapshot(i);
        }) {
    pump_.set_decoder([this](const RawFrame& f, std::vector<sh_market_event>& out) { decoder_.on_frame(f, out); },
                      [this] { return decoder_.text_frames(); });
    if (pump_.replaying()) return;
    const FrameParser names(config_.symbols);
    const std::string target =
        "/stream?streams=" + names.stream_list(config_.trades, config_.book_ticker, config_.depth);
    try {
      feed_ = std::make_unique<FeedThread>(config_, target, queue_, report_);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("binance: ") + e.what());
    }
    pump_.attach_feed(
        [this] {
          this->host().info("streaming " + std::to_string(config_.symbols.size()) + " symbols from " +
                            config_.feed.ws_url);
          feed_->start();
        },
        [this] { feed_->stop(); });
  }

  ~BinanceProvider() override {
    if (feed_) feed_->stop();
    pump_.close();
  }

  int64_t clock_ns() override { return pump_.clock_ns(); }
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    return pump_.poll(sink, max_events);
  }

 private:
  BinanceConfig config_;
  exchange::FrameQueue queue_;
  exchange::IoReport report_;
  exchange::FramePump pump_;
  FrameDecoder decoder_;
  std::unique_ptr<FeedThread> feed_;  // last: stopped before the rest goes
};

}  // namespace binance

SH_EXPORT_PLUGIN(binance::BinanceProvider)
