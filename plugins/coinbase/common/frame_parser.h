// frame_parser.h: turns one Coinbase Advanced Trade WebSocket message into
// plain values. Every market-data message is an envelope {"channel",
// "client_id", "timestamp", "sequence_num", "events": [...]} (Advanced Trade
// WebSocket Channels: market_trades, ticker, l2_data, heartbeats,
// subscriptions); a refusal is {"type": "error", "message": ...}. simdjson's
// On-Demand API: one pass over each object's fields in document order (any
// key order is accepted), decimals read from the raw token without copying;
// no allocation per message once the vectors have grown. Errors are values:
// the result's channel says malformed / unknown.
#ifndef SH_COINBASE_COMMON_FRAME_PARSER_H
#define SH_COINBASE_COMMON_FRAME_PARSER_H

#include <simdjson.h>

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exchange/order_book.h"

namespace coinbase {

using exchange::PriceLevel;

enum class Channel : uint8_t {
  kMarketTrades,   // "market_trades"
  kTicker,         // "ticker"
  kLevel2,         // "l2_data" (the reply channel of a level2 subscription)
  kHeartbeats,     // "heartbeats"
  kSubscriptions,  // "subscriptions": the server's view of what we subscribed
  kError,          // {"type":"error",...}: the server refused something
  kUnknown,        // well-formed JSON we do not know (counted, skipped)
  kMalformed       // not JSON, or a known message missing a field / out of range
};

struct TradeItem {
  uint32_t product;  // index into the configured products
  uint64_t trade_id;
  double price, size;
  bool side_buy;     // "side": "BUY"
  int64_t ts_ns;     // "time"
};
struct QuoteItem {
  uint32_t product;
  double bid, bid_qty, ask, ask_qty;
};
// One l2_data event: levels [bid_begin, bid_end) of bids, [ask_begin,
// ask_end) of asks.
struct BookItem {
  uint32_t product;
  bool snapshot;
  uint32_t bid_begin, bid_end, ask_begin, ask_end;
};

struct ParsedMessage {
  Channel channel = Channel::kUnknown;
  bool has_sequence = false;
  uint64_t sequence_num = 0;  // per connection, across channels
  int64_t ts_ns = 0;          // the envelope's "timestamp"
  std::vector<TradeItem> trades;
  std::vector<QuoteItem> quotes;
  std::vector<BookItem> books;
  std::vector<PriceLevel> bids, asks;
  uint32_t unknown_products = 0;    // items for products we did not configure
  uint32_t quotes_without_bbo = 0;  // ticker items without best bid/ask
  std::string detail;               // why malformed / unknown / the server's error
};

class FrameParser {
 public:
  explicit FrameParser(const std::vector<std::string>& products);

  // data[0, len) is the message; capacity >= len is how many bytes may be
  // read (a message with less room than SIMDJSON_PADDING is copied first).
  // The result is valid until the next call.
  const ParsedMessage& parse(const char* data, size_t len, size_t capacity);

 private:
  bool lookup(std::string_view product, uint32_t* index) const;
  bool parse_events(Channel channel, simdjson::ondemand::array events);
  bool parse_trade(simdjson::ondemand::object trade);
  bool parse_ticker(simdjson::ondemand::object ticker);
  bool parse_book(simdjson::ondemand::object event);
  bool parse_level(simdjson::ondemand::object update);
  void fail(const char* why);
  bool time_ns(std::string_view s, int64_t* ns);

  std::vector<std::pair<std::string, uint32_t>> products_;  // sorted by id
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::parser events_parser_;  // events that came before the channel
  std::string padded_;
  ParsedMessage msg_;
  static constexpr int64_t kNoMinute = INT64_MIN;
  char minute_text_[17] = {};  // "YYYY-MM-DDThh:mm:" of the last time read
  int64_t minute_ns_ = kNoMinute;
};

// "2023-02-09T20:32:50.714964855Z" (fraction optional, up to 9 digits; "Z"
// or "+00:00") -> ns since the epoch. False on anything else.
bool parse_iso8601_ns(std::string_view s, int64_t* ns);

}  // namespace coinbase

#endif
