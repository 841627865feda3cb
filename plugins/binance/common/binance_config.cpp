// binance_config.cpp: parse_binance_config.
#include "common/binance_config.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "exchange/url.h"

namespace binance {

BinanceConfig parse_binance_config(const nlohmann::json& j) {
  if (!j.is_object()) throw sh::ConfigError("binance: config must be an object");
  static const char* kKeys[] = {"symbols", "streams", "rest_url", "snapshot_limit", "max_buffered_diffs"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!exchange::is_feed_option_key(it.key()) &&
        std::find_if(std::begin(kKeys), std::end(kKeys),
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
  c.feed.ws_url = kLiveWsUrl;
  c.feed.stale_timeout_ms = 10000;
  c.feed.max_connection_age_s = 85800;
  c.feed.connects_per_5min = 300;
  exchange::parse_feed_options(j, "binance", &c.feed);
  c.rest_url = exchange::config_get<std::string>(j, "binance", "rest_url", c.rest_url);
  try {
    exchange::parse_url(c.rest_url);
  } catch (const std::exception& e) {
    throw sh::ConfigError(std::string("binance: ") + e.what());
  }
  c.snapshot_limit = static_cast<uint32_t>(exchange::config_int(j, "binance", "snapshot_limit", c.snapshot_limit));
  if (c.snapshot_limit > 5000) throw sh::ConfigError("binance: 'snapshot_limit' is at most 5000");
  c.max_buffered_diffs =
      static_cast<uint32_t>(exchange::config_int(j, "binance", "max_buffered_diffs", c.max_buffered_diffs));
  return c;
}

}  // namespace binance
