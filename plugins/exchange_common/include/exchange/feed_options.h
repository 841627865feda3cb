// feed_options.h: the config keys every exchange feed shares (connection,
// backoff, queue, recording, capture replay), parsed the same way for each
// venue. A venue sets its own defaults (endpoint, stale timeout, connection
// age) before parse_feed_options reads the keys the user gave.
#ifndef SH_EXCHANGE_FEED_OPTIONS_H
#define SH_EXCHANGE_FEED_OPTIONS_H

#include <nlohmann/json.hpp>

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

// True for the keys parse_feed_options reads.
bool is_feed_option_key(const std::string& key);

// Reads the shared keys present in j into *o (which holds the defaults).
// Throws sh::ConfigError("<plugin>: ...").
void parse_feed_options(const nlohmann::json& j, const std::string& plugin, FeedOptions* o);

// j[key] as T, or fallback when absent; sh::ConfigError on a wrong type.
template <typename T>
T config_get(const nlohmann::json& j, const std::string& plugin, const char* key, T fallback);
// An integer >= min (default 1), or fallback when absent.
int64_t config_int(const nlohmann::json& j, const std::string& plugin, const char* key,
                   int64_t fallback, int64_t min = 1);

}  // namespace exchange

#endif
