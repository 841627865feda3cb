// coinbase_provider.cpp: the `coinbase` provider plugin. Live: a Subscriber
// owns the network (exchange::WsFeed) and fills a bounded FrameQueue; poll()
// drains it on the pipeline thread through exchange::FramePump, which
// records each raw frame and hands it to the FrameDecoder. Replay
// (`capture`): frames come from capture files instead, through the same
// decoder. See README.md.
#include <strategy_host/plugin.hpp>

#include <memory>

#include "common/coinbase_config.h"
#include "common/coinbase_config_schema.h"
#include "exchange/frame_pump.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_feed.h"
#include "provider/frame_decoder.h"
#include "provider/subscriber.h"

namespace coinbase {

class CoinbaseProvider final : public sh::Provider {
 public:
  static constexpr const char* kName = "coinbase";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Coinbase Advanced Trade public market data (market_trades, ticker, level2 as a local book, "
      "heartbeats) over WebSocket + TLS, with capture recording and replay";
  static constexpr const char* kConfigSchema = kCoinbaseConfigSchema;

  CoinbaseProvider(const sh::Host& host, const nlohmann::json& config)
      : sh::Provider(host), config_(parse_coinbase_config(config)), queue_(config_.feed.queue_capacity),
        report_(exchange::kFeedCounterNames, exchange::kFeedCounterCount),
        pump_(host, config_.feed, "coinbase", queue_, report_),
        decoder_(config_, host, [this] {
          if (feed_) feed_->resync_books();
        }) {
    pump_.set_decoder([this](const RawFrame& f, std::vector<sh_market_event>& out) { decoder_.on_frame(f, out); },
                      [this] { return decoder_.text_frames(); });
    if (pump_.replaying()) return;
    try {
      feed_ = std::make_unique<Subscriber>(config_, queue_, report_);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("coinbase: ") + e.what());
    }
    pump_.attach_feed(
        [this] {
          this->host().info("streaming " + std::to_string(config_.products.size()) + " products from " +
                            config_.feed.ws_url);
          feed_->start();
        },
        [this] { feed_->stop(); });
  }

  ~CoinbaseProvider() override {
    if (feed_) feed_->stop();
    pump_.close();
  }

  int64_t clock_ns() override { return pump_.clock_ns(); }
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    return pump_.poll(sink, max_events);
  }

 private:
  CoinbaseConfig config_;
  exchange::FrameQueue queue_;
  exchange::IoReport report_;
  exchange::FramePump pump_;
  FrameDecoder decoder_;
  std::unique_ptr<Subscriber> feed_;  // last: stopped before the rest goes
};

}  // namespace coinbase

SH_EXPORT_PLUGIN(coinbase::CoinbaseProvider)
