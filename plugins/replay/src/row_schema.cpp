#include "row_schema.h"

#include <cctype>

namespace replay {
namespace {

struct Alias {
  const char* name;  // lower case
  Field field;
};

// Lower-case aliases of each field. A header may use any of them.
constexpr Alias kAliases[] = {
    {"ts", kTs},
    {"timestamp", kTs},
    {"time", kTs},
    {"date", kTs},
    {"datetime", kTs},
    {"symbol", kSymbol},
    {"ticker", kSymbol},
    {"sym", kSymbol},
    {"price", kPrice},
    {"px", kPrice},
    {"size", kSize},
    {"qty", kSize},
    {"quantity", kSize},
    {"side", kSide},
    {"trade_id", kTradeId},
    {"tradeid", kTradeId},
    {"id", kTradeId},
    {"recv_ts", kRecvTs},
    {"receive_ts", kRecvTs},
    {"recv_time", kRecvTs},
    {"bid", kBid},
    {"bid_price", kBid},
    {"bid_px", kBid},
    {"bid_size", kBidSize},
    {"bid_qty", kBidSize},
    {"bidsize", kBidSize},
    {"ask", kAsk},
    {"ask_price", kAsk},
    {"ask_px", kAsk},
    {"offer", kAsk},
    {"ask_size", kAskSize},
    {"ask_qty", kAskSize},
    {"asksize", kAskSize},
    {"level", kLevel},
    {"open", kOpen},
    {"high", kHigh},
    {"low", kLow},
    {"close", kClose},
    {"volume", kVolume},
    {"vol", kVolume},
    {"snapshot", kSnapshot},
};

constexpr const char* kFieldNames[kFieldCount] = {
    "ts",   "symbol",   "price", "size", "side", "trade_id", "recv_ts", "bid",   "bid_size",
    "ask",  "ask_size", "level", "open", "high", "low",      "close",   "volume", "snapshot"};

constexpr uint32_t bit(Field f) { return 1u << f; }

bool iequals(std::string_view a, const char* lower) {
  size_t i = 0;
  for (; i < a.size() && lower[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return i == a.size() && lower[i] == '\0';
}

}  // namespace

const char* field_name(Field f) { return f < kFieldCount ? kFieldNames[f] : "?"; }

const char* row_type_name(RowType t) {
  switch (t) {
    case RowType::kTrades: return "trades";
    case RowType::kQuotes: return "quotes";
    case RowType::kL2: return "l2";
    case RowType::kBars: return "bars";
  }
  return "?";
}

bool parse_row_type(std::string_view s, RowType& out) {
  if (s == "trades") out = RowType::kTrades;
  else if (s == "quotes") out = RowType::kQuotes;
  else if (s == "l2") out = RowType::kL2;
  else if (s == "bars") out = RowType::kBars;
  else return false;
  return true;
}

int field_for_header(std::string_view h) {
  if (h.size() >= 3 && h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t' || h.front() == '"')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t' || h.back() == '"')) h.remove_suffix(1);
  for (const Alias& a : kAliases) {
    if (iequals(h, a.name)) return a.field;
  }
  return kNoField;
}

uint32_t required_fields(RowType t) {
  switch (t) {
    case RowType::kTrades: return bit(kTs) | bit(kPrice) | bit(kSize);
    case RowType::kQuotes: return bit(kTs) | bit(kBid) | bit(kBidSize) | bit(kAsk) | bit(kAskSize);
    case RowType::kL2: return bit(kTs) | bit(kSide) | bit(kLevel) | bit(kPrice) | bit(kSize);
    case RowType::kBars: return bit(kTs) | bit(kOpen) | bit(kHigh) | bit(kLow) | bit(kClose);
  }
  return 0;
}

bool infer_row_type(uint32_t m, RowType& out) {
  auto has = [m](uint32_t need) { return (m & need) == need; };
  if (has(bit(kOpen) | bit(kHigh) | bit(kLow) | bit(kClose))) out = RowType::kBars;
  else if (has(bit(kLevel))) out = RowType::kL2;
  else if (has(bit(kBid) | bit(kAsk))) out = RowType::kQuotes;
  else if (has(bit(kPrice) | bit(kSize))) out = RowType::kTrades;
  else return false;
  return true;
}

std::string field_list(uint32_t mask) {
  std::string s;
  for (int f = 0; f < kFieldCount; ++f) {
    if (mask & (1u << f)) {
      if (!s.empty()) s += ',';
      s += kFieldNames[f];
    }
  }
  return s;
}

}  // namespace replay
