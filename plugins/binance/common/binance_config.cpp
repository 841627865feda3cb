// binance_config.cpp: parse_binance_config and parse_url.
#include "common/binance_config.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace binance {

namespace {

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    throw sh::ConfigError(std::string("binance: '") + key + "' has the wrong type");
  }
}

int64_t positive(const nlohmann::json& j, const char* key, int64_t fallback, int64_t min = 1) {
  const int64_t v = get_or<int64_t>(j, key, fallback);
  if (v < min)
    throw sh::ConfigError(std::string("binance: '") + key + "' must be >= " + std::to_string(min));
  return v;
}

}  // namespace

Url parse_url(const std::string& text) {
  Url u;
  size_t rest = 0;
  if (text.rfind("wss://", 0) == 0 || text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.find("://") + 3;
  } else if (text.rfind("ws://", 0) == 0 || text.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = text.find("://") + 3;
  } else {
    throw std::invalid_argument("unsupported URL scheme: " + text);
  }
  const size_t slash = text.find('/', rest);
  const std::string authority = text.substr(rest, slash == std::string::npos ? std::string::npos : slash - rest);
  u.path = slash == std::string::npos ? "" : text.substr(slash);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty() || u.port.empty() ||
      !std::all_of(u.port.begin(), u.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw std::invalid_argument("malformed URL: " + text);
  return u;
}

BinanceConfig parse_binance_config(const nlohmann::json& j) {
  if (!j.is_object()) throw sh::ConfigError("binance: config must be an object");
  static const char* kKeys[] = {"symbols", "streams", "ws_url", "rest_url", "depth_levels",
                                "snapshot_limit", "reconnect", "stale_timeout_ms",
                                "connect_timeout_ms", "max_connection_age_s", "connects_per_5min",
                                "tls_verify", "ca_file", "queue_capacity", "max_buffered_diffs",
                                "stop_after_frames", "stop_after_disconnects", "record",
                                "record_rotate_frames", "capture", "log_limit_per_reason"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find_if(std::begin(kKeys), std::end(kKeys),
                     [&](const char* k) { return it.key() == k; }) == std::end(kKeys))
      throw sh::ConfigError("binance: unknown key '" + it.key() + "'");
  }
  BinanceConfig c;
  const auto syms = j.find("symbols");
  if (syms == j.end() || !syms->is_array() || syms->empty())
    throw sh::ConfigError("binance: 'symbols' must be a non-empty array of symbol names");
  for (const auto& s : *syms) {
    if (!s.is_string() || s.get<std::string>().empty())
      throw sh::ConfigError("binance: 'symbols' entries must be non-empty strings");
    std::string name = s.get<std::string>();
    for (char& ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch)))
        throw sh::ConfigError("binance: symbol '" + s.get<std::string>() + "' is not alphanumeric");
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    if (std::find(c.symbols.begin(), c.symbols.end(), name) != c.symbols.end())
      throw sh::ConfigError("binance: symbol '" + name + "' listed twice");
    c.symbols.push_back(name);
  }
  if (const auto st = j.find("streams"); st != j.end()) {
    if (!st->is_array() || st->empty()) throw sh::ConfigError("binance: 'streams' must be a non-empty array");
    c.trades = c.book_ticker = c.depth = false;
    for (const auto& s : *st) {
      const std::string v = s.is_string() ? s.get<std::string>() : "";
      if (v == "trade") c.trades = true;
      else if (v == "bookTicker") c.book_ticker = true;
      else if (v == "depth") c.depth = true;
      else throw sh::ConfigError("binance: unknown stream '" + s.dump() + "' (trade, bookTicker, depth)");
    }
  }
  const size_t streams = c.symbols.size() * ((c.trades ? 1 : 0) + (c.book_ticker ? 1 : 0) + (c.depth ? 1 : 0));
  if (streams > 1024)
    throw sh::ConfigError("binance: " + std::to_string(streams) +
                          " streams; Binance allows 1024 per connection");
  c.ws_url = get_or<std::string>(j, "ws_url", c.ws_url);
  c.rest_url = get_or<std::string>(j, "rest_url", c.rest_url);
  try {
    parse_url(c.ws_url);
    parse_url(c.rest_url);
  } catch (const std::exception& e) {
    throw sh::ConfigError(std::string("binance: ") + e.what());
  }
  c.depth_levels = static_cast<uint32_t>(positive(j, "depth_levels", c.depth_levels));
  c.snapshot_limit = static_cast<uint32_t>(positive(j, "snapshot_limit", c.snapshot_limit));
  if (c.snapshot_limit > 5000) throw sh::ConfigError("binance: 'snapshot_limit' is at most 5000");
  if (const auto r = j.find("reconnect"); r != j.end()) {
    if (!r->is_object()) throw sh::ConfigError("binance: 'reconnect' must be an object");
    c.backoff.initial_ms = positive(*r, "initial_ms", c.backoff.initial_ms);
    c.backoff.max_ms = positive(*r, "max_ms", c.backoff.max_ms);
    c.backoff.multiplier = get_or<double>(*r, "multiplier", c.backoff.multiplier);
    c.backoff.jitter = get_or<double>(*r, "jitter", c.backoff.jitter);
    if (c.backoff.multiplier < 1.0) throw sh::ConfigError("binance: reconnect.multiplier must be >= 1");
    if (c.backoff.jitter < 0.0 || c.backoff.jitter > 1.0)
      throw sh::ConfigError("binance: reconnect.jitter must be within 0..1");
    if (c.backoff.max_ms < c.backoff.initial_ms)
      throw sh::ConfigError("binance: reconnect.max_ms must be >= reconnect.initial_ms");
  }
  c.stale_timeout_ms = positive(j, "stale_timeout_ms", c.stale_timeout_ms, 10);
  c.connect_timeout_ms = positive(j, "connect_timeout_ms", c.connect_timeout_ms, 10);
  c.max_connection_age_s = positive(j, "max_connection_age_s", c.max_connection_age_s);
  c.connects_per_5min = positive(j, "connects_per_5min", c.connects_per_5min);
  c.tls_verify = get_or<bool>(j, "tls_verify", c.tls_verify);
  c.ca_file = get_or<std::string>(j, "ca_file", c.ca_file);
  c.queue_capacity = static_cast<uint32_t>(positive(j, "queue_capacity", c.queue_capacity, 16));
  c.max_buffered_diffs = static_cast<uint32_t>(positive(j, "max_buffered_diffs", c.max_buffered_diffs));
  c.stop_after_frames = static_cast<uint64_t>(positive(j, "stop_after_frames", 0, 0));
  c.stop_after_disconnects = static_cast<uint64_t>(positive(j, "stop_after_disconnects", 0, 0));
  c.record_dir = get_or<std::string>(j, "record", "");
  c.record_rotate_frames = static_cast<uint64_t>(positive(j, "record_rotate_frames", 1000000));
  c.capture = get_or<std::string>(j, "capture", "");
  c.log_limit_per_reason = static_cast<uint32_t>(positive(j, "log_limit_per_reason", 20, 0));
  return c;
}

}  // namespace binance
