// stream_config.h: the redis_stream provider's config, parsed from the JSON
// the host validated against kStreamConfigSchema. parse_stream_config reads
// it through the same schema (sh::config::Reader), so a host that skips
// validation still gets clear errors, and throws sh::ConfigError.
#ifndef SH_REDIS_STREAM_CONFIG_H
#define SH_REDIS_STREAM_CONFIG_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace redis_stream {

struct BackoffConfig {
  int64_t initial_ms = 100;
  int64_t max_ms = 10000;
  double multiplier = 2.0;
  double jitter = 0.2;  // delay *= 1 + jitter * U(-1, 1)
};

struct StreamConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // from the URL; "" = AUTH with the password alone
  std::string password;  // from the URL; "" = no AUTH
  int db = 0;            // from the URL's path; 0 = no SELECT
  std::string stream;
  std::string group;     // "" = plain XREAD
  std::string consumer;
  std::string start_id = "$";
  int64_t block_ms = 100;
  uint32_t count = 1000;
  std::vector<std::string> symbols;  // empty = every symbol
  int64_t ts_unit_ns = 1;            // unit of an integer ts
  uint64_t stop_after_entries = 0;   // 0 = never
  int64_t stop_when_idle_ms = 0;     // 0 = never
  int64_t connect_timeout_ms = 2000;
  BackoffConfig backoff;
  uint32_t queue_capacity = 65536;
  uint32_t log_limit_per_reason = 20;

  bool uses_group() const { return !group.empty(); }
  std::string endpoint() const { return host + ":" + std::to_string(port); }
};

StreamConfig parse_stream_config(const nlohmann::json& j);

}  // namespace redis_stream

#endif
