// binance_config_schema.h: JSON Schema (draft 7) of the binance provider's
// config, published through the descriptor: the one source of its keys,
// types, ranges and defaults, which parse_binance_config (binance_config.cpp) reads
// through sh::config::Reader ("pattern"s are re-checked there in code).
#ifndef SH_BINANCE_COMMON_BINANCE_CONFIG_SCHEMA_H
#define SH_BINANCE_COMMON_BINANCE_CONFIG_SCHEMA_H

#include "exchange/feed_options_schema.h"

namespace binance {

inline constexpr const char* kBinanceConfigSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "binance provider",
  "type": "object",
  "properties": {
    "symbols": {"type": "array", "minItems": 1, "maxItems": 341, "uniqueItems": true,
                "items": {"type": "string", "pattern": "^[A-Za-z0-9]{2,20}$"},
                "description": "Spot symbols, e.g. BTCUSDT (3 streams each; 1024 streams per connection at most)."},
    "streams": {"type": "array", "items": {"enum": ["trade", "bookTicker", "depth"]},
                "uniqueItems": true, "minItems": 1,
                "description": "Default: all three."},
    "ws_url": {"type": "string", "pattern": "^wss?://",
               "description": "Default wss://stream.binance.com:9443; testnet wss://stream.testnet.binance.vision."},
    "rest_url": {"type": "string", "pattern": "^https?://",
                 "description": "Default https://api.binance.com; testnet https://testnet.binance.vision."},
    "snapshot_limit": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 1000},
    "stale_timeout_ms": {"type": "integer", "minimum": 10, "default": 10000},
    "max_connection_age_s": {"type": "integer", "minimum": 1, "default": 85800},
    "max_buffered_diffs": {"type": "integer", "minimum": 1, "default": 10000},
)" SH_EXCHANGE_FEED_OPTIONS_SCHEMA R"(
  },
  "required": ["symbols"],
  "additionalProperties": false
})";

}  // namespace binance

#endif
