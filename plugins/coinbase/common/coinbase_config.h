// coinbase_config.h: the coinbase provider's config, parsed from the JSON the
// host validated against kCoinbaseConfigSchema. parse_coinbase_config reads
// it through the same schema (sh::config::Reader: keys, types, ranges,
// defaults), so a host that skips validation still gets clear errors, and
// throws sh::ConfigError.
#ifndef SH_COINBASE_COMMON_COINBASE_CONFIG_H
#define SH_COINBASE_COMMON_COINBASE_CONFIG_H

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "exchange/feed_options.h"

namespace coinbase {

// Coinbase Advanced Trade market data (docs.cdp.coinbase.com, "Advanced
// Trade WebSocket Overview"). Advanced Trade has no WebSocket sandbox; the
// Exchange sandbox feed (wss://ws-feed-public.sandbox.exchange.coinbase.com)
// speaks the older Exchange protocol, not this one.
inline constexpr const char* kLiveWsUrl = "wss://advanced-trade-ws.coinbase.com";

struct CoinbaseConfig {
  std::vector<std::string> products;  // product ids as written, e.g. BTC-USD (also the host symbols)
  bool market_trades = true;
  bool ticker = true;
  bool level2 = true;
  // market_trades' "side": "maker" (the resting order's side, as Coinbase
  // documents for its Exchange match messages: the aggressor is the other
  // side) or "taker" (the aggressor's side).
  bool trade_side_is_maker = true;
  // ws_url (default kLiveWsUrl), backoff, timeouts, queue, record, capture,
  // depth_levels; Coinbase's defaults: a 5 s stale timeout (heartbeats come
  // every second), a planned reconnect after 24 h.
  exchange::FeedOptions feed;
};

CoinbaseConfig parse_coinbase_config(const nlohmann::json& j);

}  // namespace coinbase

#endif
