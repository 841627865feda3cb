// feed_options.h: the config keys every exchange feed shares (connection,
// backoff, queue, recording, capture replay), read the same way for each
// venue. A venue's schema holds its own defaults (stale timeout, connection
// age); its endpoint is set in code before parse_feed_options reads the keys.
#ifndef SH_EXCHANGE_FEED_OPTIONS_H
#define SH_EXCHANGE_FEED_OPTIONS_H

#include <strategy_host/config.hpp>

#include <cstdint>
#include <string>

#include "exchange/backoff.h"

namespace exchange {

struct FeedOptions {
  std::string ws_url;
  uint32_t depth_levels = 10;           // L2 levels emitted per side (level 0 = top)
  BackoffConfig backoff;
  int64_t stale_timeout_ms = 10000;     // no data frame for this long: reconnect
  int64_t connect_timeout_ms = 5000;    // TCP + TLS + WebSocket handshake
  int64_t max_connection_age_s = 85800; // planned reconnect
  int64_t connects_per_5min = 300;      // connection attempts per 5 minutes
  bool tls_verify = true;
  std::string ca_file;                  // PEM CA bundle; "" = system default
  uint32_t queue_capacity = 65536;      // frames between the I/O thread and poll()
  uint64_t stop_after_frames = 0;       // 0 = never; then poll() ends the stream
  uint64_t stop_after_disconnects = 0;  // 0 = never
  std::string record_dir;               // "" = no recording
  uint64_t record_rotate_frames = 1000000;
  std::string capture;                  // file or dir: replay instead of network
  uint32_t log_limit_per_reason = 20;
};

// Reads the shared keys into *o through the venue's schema (its defaults;
// *o holds the venue's ws_url for when the config gives none). The Reader
// has already refused unknown keys, wrong types and out-of-range values.
// Throws sh::ConfigError("<plugin>: ...") for what the schema cannot say.
void parse_feed_options(const sh::config::Reader& r, const std::string& plugin, FeedOptions* o);

}  // namespace exchange

#endif
