// binance_config.h: the binance provider's config, parsed from the JSON the
// host validated against kBinanceConfigSchema. parse_binance_config re-checks
// every rule (a host that skips validation still gets clear errors) and throws
// sh::ConfigError.
#ifndef SH_BINANCE_COMMON_BINANCE_CONFIG_H
#define SH_BINANCE_COMMON_BINANCE_CONFIG_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace binance {

// Base URLs per environment (Binance's published endpoints).
inline constexpr const char* kLiveWsUrl = "wss://stream.binance.com:9443";
inline constexpr const char* kLiveRestUrl = "https://api.binance.com";
inline constexpr const char* kTestnetWsUrl = "wss://stream.testnet.binance.vision";
inline constexpr const char* kTestnetRestUrl = "https://testnet.binance.vision";

// A parsed ws(s):// or http(s):// URL.
struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // "" or "/prefix", never with a trailing '/'
};
// Throws std::invalid_argument naming the URL.
Url parse_url(const std::string& text);

struct BackoffConfig {
  int64_t initial_ms = 500;
  int64_t max_ms = 30000;
  double multiplier = 2.0;
  double jitter = 0.2;  // delay *= 1 + jitter * U(-1, 1)
};

struct BinanceConfig {
  std::vector<std::string> symbols;  // upper case, as the exchange names them
  bool trades = true;
  bool book_ticker = true;
  bool depth = true;
  std::string ws_url = kLiveWsUrl;
  std::string rest_url = kLiveRestUrl;
  uint32_t depth_levels = 10;       // L2 levels emitted per side (level 0 = top)
  uint32_t snapshot_limit = 1000;   // GET /api/v3/depth limit
  BackoffConfig backoff;
  int64_t stale_timeout_ms = 10000;     // no data frame for this long: reconnect
  int64_t connect_timeout_ms = 5000;    // TCP + TLS + WebSocket handshake
  int64_t max_connection_age_s = 85800; // reconnect before Binance's 24 h cut
  int64_t connects_per_5min = 300;      // Binance: 300 connections / 5 min / IP
  bool tls_verify = true;
  std::string ca_file;                  // PEM CA bundle; "" = system default
  uint32_t queue_capacity = 65536;      // frames between the I/O thread and poll()
  uint32_t max_buffered_diffs = 10000;  // per symbol while waiting for a snapshot
  uint64_t stop_after_frames = 0;       // 0 = never; then poll() ends the stream
  uint64_t stop_after_disconnects = 0;  // 0 = never
  std::string record_dir;               // "" = no recording
  uint64_t record_rotate_frames = 1000000;
  std::string capture;                  // file or dir: replay instead of network
  uint32_t log_limit_per_reason = 20;
};

BinanceConfig parse_binance_config(const nlohmann::json& j);

}  // namespace binance

#endif
