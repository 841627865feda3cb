// binance_config_schema.h: JSON Schema (draft 7) of the binance provider's
// config, published through the descriptor: the one source of its keys,
// types, ranges and defaults, which parse_binance_config (binance_config.cpp) reads
// through sh::config::Reader ("pattern"s are re-checked there in code).
#ifndef SH_BINANCE_COMMON_BINANCE_CONFIG_SCHEMA_H
#define SH_BINANCE_COMMON_BINANCE_CONFIG_SCHEMA_H

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
    "depth_levels": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
    "snapshot_limit": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 1000},
    "reconnect": {"type": "object", "additionalProperties": false, "properties": {
        "initial_ms": {"type": "integer", "minimum": 1, "default": 500},
        "max_ms": {"type": "integer", "minimum": 1, "default": 30000},
        "multiplier": {"type": "number", "minimum": 1, "default": 2},
        "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2}}},
    "stale_timeout_ms": {"type": "integer", "minimum": 10, "default": 10000},
    "connect_timeout_ms": {"type": "integer", "minimum": 10, "default": 5000},
    "max_connection_age_s": {"type": "integer", "minimum": 1, "default": 85800},
    "connects_per_5min": {"type": "integer", "minimum": 1, "default": 300},
    "tls_verify": {"type": "boolean", "default": true},
    "ca_file": {"type": "string", "format": "path", "description": "PEM CA file; default: the system store."},
    "queue_capacity": {"type": "integer", "minimum": 16, "default": 65536},
    "max_buffered_diffs": {"type": "integer", "minimum": 1, "default": 10000},
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

}  // namespace binance

#endif
