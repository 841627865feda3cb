// binance_config.h: the binance provider's config, parsed from the JSON the
// host validated against kBinanceConfigSchema. parse_binance_config reads it through
// the same schema (sh::config::Reader: keys, types, ranges, defaults), so a
// host that skips validation still gets clear errors, and throws
// sh::ConfigError.
#ifndef SH_BINANCE_COMMON_BINANCE_CONFIG_H
#define SH_BINANCE_COMMON_BINANCE_CONFIG_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "exchange/feed_options.h"

namespace binance {

// Base URLs per environment (Binance's published endpoints).
inline constexpr const char* kLiveWsUrl = "wss://stream.binance.com:9443";
inline constexpr const char* kLiveRestUrl = "https://api.binance.com";
inline constexpr const char* kTestnetWsUrl = "wss://stream.testnet.binance.vision";
inline constexpr const char* kTestnetRestUrl = "https://testnet.binance.vision";

struct BinanceConfig {
  std::vector<std::string> symbols;  // upper case, as the exchange names them
  bool trades = true;
  bool book_ticker = true;
  bool depth = true;
  std::string rest_url = kLiveRestUrl;
  uint32_t snapshot_limit = 1000;       // GET /api/v3/depth limit
  uint32_t max_buffered_diffs = 10000;  // per symbol while waiting for a snapshot
  // ws_url (default kLiveWsUrl), backoff, timeouts, queue, record, capture,
  // depth_levels; Binance's defaults: a 23 h 50 min connection age (Binance
  // ends connections at 24 h), 300 connections / 5 min / IP.
  exchange::FeedOptions feed;
};

BinanceConfig parse_binance_config(const nlohmann::json& j);

}  // namespace binance

#endif
