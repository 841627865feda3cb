// binance_provider.cpp: the `binance` provider plugin. Live: a FeedThread
// owns the network and fills the bounded FrameQueue; poll() drains it on the
// pipeline thread through exchange::FramePump, which records each raw frame
// and hands it to the FrameDecoder. Replay (`capture`): frames come from
// capture files instead, through the same decoder. See README.md.
#include <strategy_host/plugin.hpp>

#include "common/binance_config.h"
#include "common/binance_config_schema.h"
#include "common/frame_parser.h"
#include "exchange/venue_provider.h"
#include "provider/feed_thread.h"
#include "provider/frame_decoder.h"

namespace binance {

class BinanceProvider final : public exchange::VenueProvider<FeedThread> {
 public:
  static constexpr const char* kName = "binance";
  // Public spot market data: crypto, live, no keys needed.
  static constexpr uint32_t kAssetClasses = SH_ASSET_CRYPTO;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_LIVE;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Binance Spot public market data (trade, bookTicker, diff depth as a local book) over "
      "WebSocket + TLS, with capture recording and replay";
  static constexpr const char* kConfigSchema = kBinanceConfigSchema;

  BinanceProvider(const sh::Host& host, const nlohmann::json& config)
      : BinanceProvider(host, parse_binance_config(config)) {}

  ~BinanceProvider() override { stop_feed(); }

 private:
  BinanceProvider(const sh::Host& host, BinanceConfig config)
      : VenueProvider(host, config.feed, "binance"), config_(std::move(config)),
        decoder_(config_, host, [this](uint32_t i) {
          if (feed() != nullptr) feed()->request_snapshot(i);
        }) {
    pump_.set_decoder([this](const RawFrame& f, std::vector<sh_market_event>& out) { decoder_.on_frame(f, out); },
                      [this] { return decoder_.text_frames(); });
    if (pump_.replaying()) return;
    const FrameParser names(config_.symbols);
    const std::string target =
        "/stream?streams=" + names.stream_list(config_.trades, config_.book_ticker, config_.depth);
    try {
      attach_feed(std::make_unique<FeedThread>(config_, target, queue_, report_),
                  "streaming " + std::to_string(config_.symbols.size()) + " symbols from " + config_.feed.ws_url);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("binance: ") + e.what());
    }
  }

  BinanceConfig config_;
  FrameDecoder decoder_;
};

}  // namespace binance

SH_EXPORT_PLUGIN(binance::BinanceProvider)
