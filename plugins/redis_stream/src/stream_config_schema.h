// stream_config_schema.h: JSON Schema (draft 7) of the redis_stream
// provider's config, published through the descriptor: the one source of its
// keys, types, ranges and defaults, which parse_stream_config
// (stream_config.cpp) reads through sh::config::Reader. The "pattern"s are
// re-checked there in code (the Reader does not check patterns).
#ifndef SH_REDIS_STREAM_CONFIG_SCHEMA_H
#define SH_REDIS_STREAM_CONFIG_SCHEMA_H

namespace redis_stream {

inline constexpr const char* kStreamConfigSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "redis_stream provider",
  "type": "object",
  "properties": {
    "url": {"type": "string", "pattern": "^redis://",
            "description": "redis://[[user]:password@]host[:port][/db]; instead of host/port."},
    "host": {"type": "string", "minLength": 1, "default": "127.0.0.1"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 6379},
    "stream": {"type": "string", "minLength": 1, "description": "The stream key to read."},
    "group": {"type": "string", "minLength": 1,
              "description": "Consumer group (with consumer): XREADGROUP + XACK after the host took the events."},
    "consumer": {"type": "string", "minLength": 1},
    "start_id": {"type": "string", "pattern": "^(\\$|[0-9]+(-[0-9]+)?)$", "default": "$",
                 "description": "$ = only new entries, 0 = the whole history, or an entry id to read after. With a group: where a group that does not exist yet starts."},
    "block_ms": {"type": "integer", "minimum": 1, "maximum": 60000, "default": 100},
    "count": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1000},
    "symbols": {"type": "array", "uniqueItems": true, "items": {"type": "string", "minLength": 1},
                "description": "Allow-list; entries of other symbols are skipped (and acked)."},
    "ts_unit": {"enum": ["ns", "us", "ms", "s"], "default": "ns",
                "description": "Unit of an integer ts field (ISO-8601 text is always accepted)."},
    "stop_after_entries": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807, "default": 0},
    "stop_when_idle_ms": {"type": "integer", "minimum": 0, "maximum": 9223372036854, "default": 0},
    "connect_timeout_ms": {"type": "integer", "minimum": 10, "maximum": 600000, "default": 2000},
    "reconnect": {"type": "object", "additionalProperties": false, "properties": {
        "initial_ms": {"type": "integer", "minimum": 1, "maximum": 3600000, "default": 100},
        "max_ms": {"type": "integer", "minimum": 1, "maximum": 3600000, "default": 10000},
        "multiplier": {"type": "number", "minimum": 1, "default": 2},
        "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2}}},
    "queue_capacity": {"type": "integer", "minimum": 16, "maximum": 16777216, "default": 65536,
                       "description": "Entries read and not yet polled; the reader waits when full."},
    "log_limit_per_reason": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 20}
  },
  "required": ["stream"],
  "additionalProperties": false
})";

}  // namespace redis_stream

#endif
