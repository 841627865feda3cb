// feed_options.cpp: parse_feed_options and the typed getters.
#include "exchange/feed_options.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <iterator>

#include "exchange/url.h"

namespace exchange {

namespace {
const char* const kKeys[] = {"ws_url", "depth_levels", "reconnect", "stale_timeout_ms",
                             "connect_timeout_ms", "max_connection_age_s", "connects_per_5min",
                             "tls_verify", "ca_file", "queue_capacity", "stop_after_frames",
                             "stop_after_disconnects", "record", "record_rotate_frames", "capture",
                             "log_limit_per_reason"};
}  // namespace

bool is_feed_option_key(const std::string& key) {
  return std::find_if(std::begin(kKeys), std::end(kKeys),
                      [&](const char* k) { return key == k; }) != std::end(kKeys);
}

template <typename T>
T config_get(const nlohmann::json& j, const std::string& plugin, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    throw sh::ConfigError(plugin + ": '" + key + "' has the wrong type");
  }
}
template std::string config_get<std::string>(const nlohmann::json&, const std::string&, const char*, std::string);
template bool config_get<bool>(const nlohmann::json&, const std::string&, const char*, bool);
template double config_get<double>(const nlohmann::json&, const std::string&, const char*, double);
template int64_t config_get<int64_t>(const nlohmann::json&, const std::string&, const char*, int64_t);

int64_t config_int(const nlohmann::json& j, const std::string& plugin, const char* key,
                   int64_t fallback, int64_t min) {
  const int64_t v = config_get<int64_t>(j, plugin, key, fallback);
  if (v < min) throw sh::ConfigError(plugin + ": '" + key + "' must be >= " + std::to_string(min));
  return v;
}

void parse_feed_options(const nlohmann::json& j, const std::string& plugin, FeedOptions* o) {
  o->ws_url = config_get<std::string>(j, plugin, "ws_url", o->ws_url);
  try {
    parse_url(o->ws_url);
  } catch (const std::exception& e) {
    throw sh::ConfigError(plugin + ": " + e.what());
  }
  o->depth_levels = static_cast<uint32_t>(config_int(j, plugin, "depth_levels", o->depth_levels));
  if (const auto r = j.find("reconnect"); r != j.end()) {
    if (!r->is_object()) throw sh::ConfigError(plugin + ": 'reconnect' must be an object");
    BackoffConfig& b = o->backoff;
    b.initial_ms = config_int(*r, plugin, "initial_ms", b.initial_ms);
    b.max_ms = config_int(*r, plugin, "max_ms", b.max_ms);
    b.multiplier = config_get<double>(*r, plugin, "multiplier", b.multiplier);
    b.jitter = config_get<double>(*r, plugin, "jitter", b.jitter);
    if (b.multiplier < 1.0) throw sh::ConfigError(plugin + ": reconnect.multiplier must be >= 1");
    if (b.jitter < 0.0 || b.jitter > 1.0)
      throw sh::ConfigError(plugin + ": reconnect.jitter must be within 0..1");
    if (b.max_ms < b.initial_ms)
      throw sh::ConfigError(plugin + ": reconnect.max_ms must be >= reconnect.initial_ms");
  }
  o->stale_timeout_ms = config_int(j, plugin, "stale_timeout_ms", o->stale_timeout_ms, 10);
  o->connect_timeout_ms = config_int(j, plugin, "connect_timeout_ms", o->connect_timeout_ms, 10);
  o->max_connection_age_s = config_int(j, plugin, "max_connection_age_s", o->max_connection_age_s);
  o->connects_per_5min = config_int(j, plugin, "connects_per_5min", o->connects_per_5min);
  o->tls_verify = config_get<bool>(j, plugin, "tls_verify", o->tls_verify);
  o->ca_file = config_get<std::string>(j, plugin, "ca_file", o->ca_file);
  o->queue_capacity = static_cast<uint32_t>(config_int(j, plugin, "queue_capacity", o->queue_capacity, 16));
  o->stop_after_frames = static_cast<uint64_t>(config_int(j, plugin, "stop_after_frames", 0, 0));
  o->stop_after_disconnects = static_cast<uint64_t>(config_int(j, plugin, "stop_after_disconnects", 0, 0));
  o->record_dir = config_get<std::string>(j, plugin, "record", "");
  o->record_rotate_frames = static_cast<uint64_t>(config_int(j, plugin, "record_rotate_frames", 1000000));
  o->capture = config_get<std::string>(j, plugin, "capture", "");
  o->log_limit_per_reason = static_cast<uint32_t>(config_int(j, plugin, "log_limit_per_reason", 20, 0));
}

}  // namespace exchange
