// frame_parser.h: turns one Binance combined-stream frame
// ({"stream":"<name>","data":{...}}, web-socket-streams.md) or one REST depth
// snapshot (GET /api/v3/depth, rest-api.md) into plain values. simdjson's
// DOM parser (its kernel is picked at run time: AVX2 / SSE4.2 / fallback;
// On-Demand would be fixed at compile time to the build's -march); no
// allocation per frame once the parser and level vectors have grown.
// Errors are values: the result's type says malformed / unknown.
#ifndef SH_BINANCE_COMMON_FRAME_PARSER_H
#define SH_BINANCE_COMMON_FRAME_PARSER_H

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exchange/decimal.h"
#include "exchange/order_book.h"

namespace binance {

using exchange::parse_decimal;
using exchange::PriceLevel;

enum class MsgType : uint8_t {
  kTrade,           // <symbol>@trade
  kBookTicker,      // <symbol>@bookTicker
  kDepth,           // <symbol>@depth@100ms (diff)
  kServerShutdown,  // serverShutdown notice: a disconnect follows
  kResult,          // {"result":..., "id":...}: reply to a request
  kError,           // {"code":..,"msg":..} or {"error":{...}}: the server refused something
  kUnknown,         // well-formed JSON we do not know (counted, skipped)
  kMalformed        // not JSON, or a known message missing a field / out of range
};

struct ParsedFrame {
  MsgType type = MsgType::kUnknown;
  uint32_t symbol_index = 0;  // into the configured symbols
  int64_t event_ms = -1;      // "E", -1 when the payload has none (bookTicker)
  // trade
  uint64_t trade_id = 0;
  double price = 0, qty = 0;
  bool buyer_maker = false;
  // bookTicker
  double bid = 0, bid_qty = 0, ask = 0, ask_qty = 0;
  // depth diff: [first_update_id, final_update_id]; bookTicker: update_id in final
  uint64_t first_update_id = 0, final_update_id = 0;
  std::vector<PriceLevel> bids, asks;
  std::string detail;  // why malformed / unknown / the server's error text
};

struct ParsedSnapshot {
  bool ok = false;
  uint64_t last_update_id = 0;
  std::vector<PriceLevel> bids, asks;
  std::string detail;
};

class FrameParser {
 public:
  // symbols: upper case, as configured; stream names are their lower case.
  explicit FrameParser(const std::vector<std::string>& symbols);

  // data[0, len) is the frame; capacity >= len is how many bytes may be read
  // (simdjson reads up to SIMDJSON_PADDING past the end; a frame with less
  // room is copied first). The result is valid until the next call.
  const ParsedFrame& parse(const char* data, size_t len, size_t capacity);
  const ParsedSnapshot& parse_snapshot(const char* data, size_t len, size_t capacity);

  // "btcusdt@trade/btcusdt@bookTicker/..." for the /stream?streams= URL.
  std::string stream_list(bool trades, bool book_ticker, bool depth) const;

 private:
  struct StreamKey {
    std::string name;
    uint32_t symbol_index;
    MsgType type;
  };
  bool lookup(std::string_view name, uint32_t* symbol_index, MsgType* type) const;
  void parse_data(simdjson::dom::element data, MsgType type);
  void fail(const char* why);

  std::vector<std::string> lower_symbols_;
  std::vector<StreamKey> streams_;  // sorted by name
  simdjson::dom::parser parser_;
  std::string padded_;  // copy of a frame that came without padding
  ParsedFrame frame_;
  ParsedSnapshot snapshot_;
};

}  // namespace binance

#endif
