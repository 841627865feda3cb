// coinbase_provider.cpp: the `coinbase` provider plugin. Live: a Subscriber
// owns the network (exchange::WsFeed) and fills the bounded FrameQueue;
// poll() drains it on the pipeline thread through exchange::FramePump,
// which records each raw frame and hands it to the FrameDecoder. Replay
// (`capture`): frames come from capture files instead, through the same
// decoder. See README.md.
#include <strategy_host/plugin.hpp>

#include "common/coinbase_config.h"
#include "common/coinbase_config_schema.h"
#include "exchange/venue_provider.h"
#include "provider/frame_decoder.h"
#include "provider/subscriber.h"

namespace coinbase {

class CoinbaseProvider final : public exchange::VenueProvider<Subscriber> {
 public:
  static constexpr const char* kName = "coinbase";
  // Public market data: crypto, live, no keys needed.
  static constexpr uint32_t kAssetClasses = SH_ASSET_CRYPTO;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_LIVE;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Coinbase Advanced Trade public market data (market_trades, ticker, level2 as a local book, "
      "heartbeats) over WebSocket + TLS, with capture recording and replay";
  static constexpr const char* kConfigSchema = kCoinbaseConfigSchema;

  CoinbaseProvider(const sh::Host& host, const nlohmann::json& config)
      : CoinbaseProvider(host, parse_coinbase_config(config)) {}

  ~CoinbaseProvider() override { stop_feed(); }

 private:
  CoinbaseProvider(const sh::Host& host, CoinbaseConfig config)
      : VenueProvider(host, config.feed, "coinbase"), config_(std::move(config)),
        decoder_(config_, host, [this] {
          if (feed() != nullptr) feed()->resync_books();
        }) {
    pump_.set_decoder([this](const RawFrame& f, std::vector<sh_market_event>& out) { decoder_.on_frame(f, out); },
                      [this] { return decoder_.text_frames(); });
    if (pump_.replaying()) return;
    try {
      attach_feed(std::make_unique<Subscriber>(config_, queue_, report_),
                  "streaming " + std::to_string(config_.products.size()) + " products from " + config_.feed.ws_url);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("coinbase: ") + e.what());
    }
  }

  CoinbaseConfig config_;
  FrameDecoder decoder_;
};

}  // namespace coinbase

SH_EXPORT_PLUGIN(coinbase::CoinbaseProvider)
