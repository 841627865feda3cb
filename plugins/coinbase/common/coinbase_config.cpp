// coinbase_config.cpp: parse_coinbase_config.
#include "common/coinbase_config.h"

#include "common/coinbase_config_schema.h"

#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace coinbase {

namespace {

// BASE-QUOTE, upper-case letters and digits, as Coinbase names products.
bool valid_product(const std::string& p) {
  const size_t dash = p.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 >= p.size() || p.find('-', dash + 1) != std::string::npos)
    return false;
  return std::all_of(p.begin(), p.end(), [](unsigned char c) {
    return c == '-' || std::isdigit(c) || (c >= 'A' && c <= 'Z');
  });
}

}  // namespace


CoinbaseConfig parse_coinbase_config(const nlohmann::json& j) {
  const sh::config::Reader r(j, kCoinbaseConfigSchema, "coinbase: ");
  CoinbaseConfig c;
  for (const std::string& name : r.string_list("symbols")) {  // required, non-empty, unique
    if (!valid_product(name))
      throw sh::ConfigError("coinbase: symbol '" + name + "' is not a product id like BTC-USD");
    c.products.push_back(name);
  }
  if (r.has("channels")) {
    c.market_trades = c.ticker = c.level2 = false;
    for (const std::string& s : r.string_list("channels")) {
      if (s == "market_trades") c.market_trades = true;
      else if (s == "ticker") c.ticker = true;
      else c.level2 = true;  // the schema's enum: market_trades, ticker, level2
    }
  }
  c.trade_side_is_maker = r.string("trade_side") == "maker";  // the schema's enum: maker, taker
  c.feed.ws_url = kLiveWsUrl;
  exchange::parse_feed_options(r, "coinbase", &c.feed);
  return c;
}

}  // namespace coinbase
