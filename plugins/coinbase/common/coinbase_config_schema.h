// coinbase_config_schema.h: JSON Schema (draft 7) of the coinbase provider's
// config, published through the descriptor: the one source of its keys,
// types, ranges and defaults, which parse_coinbase_config (coinbase_config.cpp) reads
// through sh::config::Reader ("pattern"s are re-checked there in code).
#ifndef SH_COINBASE_COMMON_COINBASE_CONFIG_SCHEMA_H
#define SH_COINBASE_COMMON_COINBASE_CONFIG_SCHEMA_H

#include "exchange/feed_options_schema.h"

namespace coinbase {

inline constexpr const char* kCoinbaseConfigSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "coinbase provider",
  "type": "object",
  "properties": {
    "symbols": {"type": "array", "minItems": 1, "maxItems": 500, "uniqueItems": true,
                "items": {"type": "string", "pattern": "^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$"},
                "description": "Coinbase product ids, e.g. BTC-USD; also the host's symbol names."},
    "channels": {"type": "array", "items": {"enum": ["market_trades", "ticker", "level2"]},
                 "uniqueItems": true, "minItems": 1,
                 "description": "Default: all three; heartbeats are always subscribed."},
    "ws_url": {"type": "string", "pattern": "^wss?://",
               "description": "Default wss://advanced-trade-ws.coinbase.com (Advanced Trade has no WebSocket sandbox)."},
    "trade_side": {"enum": ["maker", "taker"], "default": "maker",
                   "description": "What market_trades' side names: the maker's side (the aggressor is the other) or the taker's."},
    "stale_timeout_ms": {"type": "integer", "minimum": 10, "default": 5000},
    "max_connection_age_s": {"type": "integer", "minimum": 1, "default": 86400},
)" SH_EXCHANGE_FEED_OPTIONS_SCHEMA R"(
  },
  "required": ["symbols"],
  "additionalProperties": false
})";

}  // namespace coinbase

#endif
