// binance_config.cpp: parse_binance_config.
#include "common/binance_config.h"

#include "common/binance_config_schema.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "exchange/url.h"

namespace binance {

BinanceConfig parse_binance_config(const nlohmann::json& j) {
  const sh::config::Reader r(j, kBinanceConfigSchema, "binance: ");
  BinanceConfig c;
  for (const std::string& s : r.string_list("symbols")) {  // required, non-empty
    std::string name = s;
    for (char& ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch)))
        throw sh::ConfigError("binance: symbol '" + s + "' is not alphanumeric");
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    if (std::find(c.symbols.begin(), c.symbols.end(), name) != c.symbols.end())
      throw sh::ConfigError("binance: symbol '" + name + "' listed twice");
    c.symbols.push_back(name);
  }
  if (r.has("streams")) {
    c.trades = c.book_ticker = c.depth = false;
    for (const std::string& s : r.string_list("streams")) {
      if (s == "trade") c.trades = true;
      else if (s == "bookTicker") c.book_ticker = true;
      else c.depth = true;  // the schema's enum: trade, bookTicker, depth
    }
  }
  const size_t streams = c.symbols.size() * ((c.trades ? 1 : 0) + (c.book_ticker ? 1 : 0) + (c.depth ? 1 : 0));
  if (streams > 1024)
    throw sh::ConfigError("binance: " + std::to_string(streams) +
                          " streams; Binance allows 1024 per connection");
  c.feed.ws_url = kLiveWsUrl;
  exchange::parse_feed_options(r, "binance", &c.feed);
  if (r.has("rest_url")) c.rest_url = r.string("rest_url");
  try {
    exchange::parse_url(c.rest_url);
  } catch (const std::exception& e) {
    throw sh::ConfigError(std::string("binance: ") + e.what());
  }
  c.snapshot_limit = static_cast<uint32_t>(r.integer("snapshot_limit"));
  c.max_buffered_diffs = static_cast<uint32_t>(r.integer("max_buffered_diffs"));
  return c;
}

}  // namespace binance
