// coinbase_config_schema.h: JSON Schema (draft 7) of the coinbase provider's
// config, published through the descriptor: the one source of its keys,
// types, ranges and defaults, which parse_coinbase_config (coinbase_config.cpp) reads
// through sh::config::Reader ("pattern"s are re-checked there in code).
#ifndef SH_COINBASE_COMMON_COINBASE_CONFIG_SCHEMA_H
#define SH_COINBASE_COMMON_COINBASE_CONFIG_SCHEMA_H

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
    "depth_levels": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
    "reconnect": {"type": "object", "additionalProperties": false, "properties": {
        "initial_ms": {"type": "integer", "minimum": 1, "default": 500},
        "max_ms": {"type": "integer", "minimum": 1, "default": 30000},
        "multiplier": {"type": "number", "minimum": 1, "default": 2},
        "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2}}},
    "stale_timeout_ms": {"type": "integer", "minimum": 10, "default": 5000},
    "connect_timeout_ms": {"type": "integer", "minimum": 10, "default": 5000},
    "max_connection_age_s": {"type": "integer", "minimum": 1, "default": 86400},
    "connects_per_5min": {"type": "integer", "minimum": 1, "default": 300},
    "tls_verify": {"type": "boolean", "default": true},
    "ca_file": {"type": "string", "format": "path", "description": "PEM CA file; default: the system store."},
    "queue_capacity": {"type": "integer", "minimum": 16, "default": 65536},
    "stop_after_frames": {"type": "integer", "minimum": 0, "default": 0},
    "stop_after_disconnects": {"type": "integer", "minimum": 0, "default": 0},
    "record": {"type": "string", "format": "path", "minLength": 1,
               "description": "Directory for rotating gzip capture files of every raw frame."},
    "record_rotate_frames": {"type": "integer", "minimum": 1, "default": 1000000},
    "capture": {"type": "string", "format": "path", "minLength": 1,
                "description": "Replay a capture file, or every *.cap.gz of a directory in name order, instead of the network."},
    "log_limit_per_reason": {"type": "integer", "minimum": 0, "default": 20}
  },
  "required": ["symbols"],
  "additionalProperties": false
})";

}  // namespace coinbase

#endif
