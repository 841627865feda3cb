// row_schema.h: the columns the replay provider understands, how header names
// map to them, and which are required for each row type.
#ifndef SH_REPLAY_ROW_SCHEMA_H
#define SH_REPLAY_ROW_SCHEMA_H

#include <cstdint>
#include <string>
#include <string_view>

namespace replay {

enum class RowType : uint8_t { kTrades, kQuotes, kL2, kBars };
enum class Format : uint8_t { kCsv, kJsonl };

// One logical column. Values index the per-row field array.
enum Field : uint8_t {
  kTs,
  kSymbol,
  kPrice,
  kSize,
  kSide,
  kTradeId,
  kRecvTs,
  kBid,
  kBidSize,
  kAsk,
  kAskSize,
  kLevel,
  kOpen,
  kHigh,
  kLow,
  kClose,
  kVolume,
  kSnapshot,
  kFieldCount
};
constexpr int kNoField = -1;

// Canonical name of a field, as used in bad-row messages ("price").
const char* field_name(Field f);
const char* row_type_name(RowType t);
// Parses "trades" | "quotes" | "l2" | "bars"; false if none.
bool parse_row_type(std::string_view s, RowType& out);

// Field a column header (or JSON key) names, or kNoField for a column this
// provider ignores (e.g. "Adj Close"). Case-insensitive; surrounding blanks,
// quotes and a UTF-8 byte-order mark are ignored. Aliases: ts = timestamp =
// time = date = datetime; symbol = ticker = sym; size = qty = quantity;
// trade_id = tradeid = id; bid_size = bid_qty = bidsize; ask = offer; ...
int field_for_header(std::string_view header);

// Bit mask (1 << Field) of the fields a row of this type must have. The
// symbol is never required in a file: it may come from the file's name.
uint32_t required_fields(RowType t);

// Infers a file's row type from the fields its header (or first JSON object)
// names: OHLC -> bars, a level -> l2, bid and ask -> quotes, price and
// size -> trades. False when none match.
bool infer_row_type(uint32_t present_mask, RowType& out);

// Comma-separated canonical names of the fields in mask, for messages.
std::string field_list(uint32_t mask);

}  // namespace replay

#endif  // SH_REPLAY_ROW_SCHEMA_H
