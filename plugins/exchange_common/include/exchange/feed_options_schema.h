// feed_options_schema.h: the JSON Schema properties of the feed options every
// exchange venue shares (exchange::parse_feed_options reads them), as text to
// splice into a venue's schema between its own properties:
//
//   R"({ ... "properties": { "symbols": {...}, "stale_timeout_ms": {...},
//   )" SH_EXCHANGE_FEED_OPTIONS_SCHEMA R"( }, ... })"
//
// (One raw string a line: a macro cannot hold a raw string across lines.)
// A venue keeps the keys whose defaults it sets itself (ws_url,
// stale_timeout_ms, max_connection_age_s) in its own schema.
#ifndef SH_EXCHANGE_FEED_OPTIONS_SCHEMA_H
#define SH_EXCHANGE_FEED_OPTIONS_SCHEMA_H

#define SH_EXCHANGE_FEED_OPTIONS_SCHEMA \
  R"(    "depth_levels": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},)" \
  R"(    "reconnect": {"type": "object", "additionalProperties": false, "properties": {)" \
  R"(        "initial_ms": {"type": "integer", "minimum": 1, "default": 500},)" \
  R"(        "max_ms": {"type": "integer", "minimum": 1, "default": 30000},)" \
  R"(        "multiplier": {"type": "number", "minimum": 1, "default": 2},)" \
  R"(        "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2}}},)" \
  R"(    "connect_timeout_ms": {"type": "integer", "minimum": 10, "default": 5000},)" \
  R"(    "connects_per_5min": {"type": "integer", "minimum": 1, "default": 300},)" \
  R"(    "tls_verify": {"type": "boolean", "default": true},)" \
  R"(    "ca_file": {"type": "string", "format": "path", "description": "PEM CA file; default: the system store."},)" \
  R"(    "queue_capacity": {"type": "integer", "minimum": 16, "default": 65536},)" \
  R"(    "stop_after_frames": {"type": "integer", "minimum": 0, "default": 0},)" \
  R"(    "stop_after_disconnects": {"type": "integer", "minimum": 0, "default": 0},)" \
  R"(    "record": {"type": "string", "format": "path", "minLength": 1,)" \
  R"(               "description": "Directory for rotating gzip capture files of every raw frame."},)" \
  R"(    "record_rotate_frames": {"type": "integer", "minimum": 1, "default": 1000000},)" \
  R"(    "capture": {"type": "string", "format": "path", "minLength": 1,)" \
  R"(                "description": "Replay a capture file, or every *.cap.gz of a directory in name order, instead of the network."},)" \
  R"(    "log_limit_per_reason": {"type": "integer", "minimum": 0, "default": 20})"

#endif
