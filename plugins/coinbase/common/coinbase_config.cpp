// coinbase_config.cpp: parse_coinbase_config.
#include "common/coinbase_config.h"

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

void parse_channels(const nlohmann::json& j, CoinbaseConfig* c) {
  const auto ch = j.find("channels");
  if (ch == j.end()) return;
  if (!ch->is_array() || ch->empty()) throw sh::ConfigError("coinbase: 'channels' must be a non-empty array");
  c->market_trades = c->ticker = c->level2 = false;
  for (const auto& s : *ch) {
    const std::string v = s.is_string() ? s.get<std::string>() : "";
    if (v == "market_trades") c->market_trades = true;
    else if (v == "ticker") c->ticker = true;
    else if (v == "level2") c->level2 = true;
    else throw sh::ConfigError("coinbase: unknown channel '" + s.dump() + "' (market_trades, ticker, level2)");
  }
}

}  // namespace

CoinbaseConfig parse_coinbase_config(const nlohmann::json& j) {
  if (!j.is_object()) throw sh::ConfigError("coinbase: config must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (!exchange::is_feed_option_key(k) && k != "symbols" && k != "channels" && k != "trade_side")
      throw sh::ConfigError("coinbase: unknown key '" + k + "'");
  }
  CoinbaseConfig c;
  const auto syms = j.find("symbols");
  if (syms == j.end() || !syms->is_array() || syms->empty())
    throw sh::ConfigError("coinbase: 'symbols' must be a non-empty array of product ids (BTC-USD)");
  for (const auto& s : *syms) {
    const std::string name = s.is_string() ? s.get<std::string>() : "";
    if (!valid_product(name))
      throw sh::ConfigError("coinbase: symbol " + s.dump() + " is not a product id like BTC-USD");
    if (std::find(c.products.begin(), c.products.end(), name) != c.products.end())
      throw sh::ConfigError("coinbase: symbol '" + name + "' listed twice");
    c.products.push_back(name);
  }
  parse_channels(j, &c);
  const std::string side = exchange::config_get<std::string>(j, "coinbase", "trade_side", "maker");
  if (side != "maker" && side != "taker") throw sh::ConfigError("coinbase: 'trade_side' is maker or taker");
  c.trade_side_is_maker = side == "maker";
  c.feed.ws_url = kLiveWsUrl;
  c.feed.stale_timeout_ms = 5000;
  c.feed.max_connection_age_s = 86400;
  c.feed.connects_per_5min = 300;
  exchange::parse_feed_options(j, "coinbase", &c.feed);
  return c;
}

}  // namespace coinbase
