// frame_parser.cpp: FrameParser. Field names and shapes follow Coinbase's
// Advanced Trade WebSocket Channels page and its AsyncAPI description
// (docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/):
// market_trades events[].trades[] {trade_id, product_id, price, size, side,
// time}; ticker events[].tickers[] {product_id, price, best_bid,
// best_bid_quantity, best_ask, best_ask_quantity, ...}; l2_data events[]
// {type: snapshot|update, product_id, updates[] {side: bid|offer,
// event_time, price_level, new_quantity}}; heartbeats; subscriptions.
#include "common/frame_parser.h"

#include <algorithm>
#include <charconv>

#include "exchange/capture_file.h"
#include "exchange/decimal.h"

namespace coinbase {

namespace dom = simdjson::dom;

static_assert(exchange::kFramePadding >= simdjson::SIMDJSON_PADDING, "frame padding too small for simdjson");

namespace {

// A missing key is an error result here, never an exception.
bool read_decimal(simdjson::simdjson_result<dom::element> v, double* out) {
  std::string_view s;
  return !v.get_string().get(s) && exchange::parse_decimal(s, out);
}

// A string field of obj, or "" when absent / not a string.
std::string_view str_field(dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s)) return {};
  return s;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool parse_iso8601_ns(std::string_view s, int64_t* ns) {
  unsigned y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  size_t p = 19;
  int64_t frac = 0;
  if (p < s.size() && s[p] == '.') {
    size_t n = 0;
    for (++p; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++n)
      if (n < 9) frac = frac * 10 + (s[p] - '0');
    if (n == 0) return false;
    for (; n < 9; ++n) frac *= 10;
  }
  const std::string_view zone = s.substr(p);
  if (zone != "Z" && zone != "+00:00") return false;
  const int64_t days = days_from_civil(y, mo, d);
  *ns = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000000LL) + frac;
  return true;
}

FrameParser::FrameParser(const std::vector<std::string>& products) {
  for (uint32_t i = 0; i < products.size(); ++i) products_.emplace_back(products[i], i);
  std::sort(products_.begin(), products_.end());
}

bool FrameParser::lookup(std::string_view product, uint32_t* index) const {
  const auto it = std::lower_bound(products_.begin(), products_.end(), product,
                                   [](const auto& p, std::string_view n) { return p.first < n; });
  if (it == products_.end() || it->first != product) return false;
  *index = it->second;
  return true;
}

void FrameParser::fail(const char* why) {
  msg_.channel = Channel::kMalformed;
  msg_.detail = why;
}

bool FrameParser::parse_trades(dom::array events) {
  for (dom::element ev : events) {
    dom::array trades;
    if (ev.at_key("trades").get_array().get(trades)) return false;
    for (dom::element t : trades) {
      dom::object o;
      if (t.get_object().get(o)) return false;
      TradeItem item{};
      if (!lookup(str_field(o, "product_id"), &item.product)) {
        ++msg_.unknown_products;
        continue;
      }
      const simdjson::simdjson_result<dom::element> id = o.at_key("trade_id");
      std::string_view ids;
      if (!id.get_string().get(ids)) {
        const auto r = std::from_chars(ids.data(), ids.data() + ids.size(), item.trade_id);
        if (r.ec != std::errc() || r.ptr != ids.data() + ids.size()) return false;
      } else if (id.get_uint64().get(item.trade_id)) {
        return false;
      }
      const std::string_view side = str_field(o, "side");
      if (side != "BUY" && side != "SELL") return false;
      item.side_buy = side == "BUY";
      if (!read_decimal(o.at_key("price"), &item.price) || !(item.price > 0) ||
          !read_decimal(o.at_key("size"), &item.size) || !(item.size > 0) ||
          !parse_iso8601_ns(str_field(o, "time"), &item.ts_ns))
        return false;
      msg_.trades.push_back(item);
    }
  }
  return true;
}

bool FrameParser::parse_tickers(dom::array events) {
  for (dom::element ev : events) {
    dom::array tickers;
    if (ev.at_key("tickers").get_array().get(tickers)) return false;
    for (dom::element t : tickers) {
      dom::object o;
      if (t.get_object().get(o)) return false;
      QuoteItem q{};
      if (!lookup(str_field(o, "product_id"), &q.product)) {
        ++msg_.unknown_products;
        continue;
      }
      if (str_field(o, "best_bid").empty() || str_field(o, "best_ask").empty()) {
        ++msg_.quotes_without_bbo;  // e.g. ticker_batch's shape
        continue;
      }
      if (!read_decimal(o.at_key("best_bid"), &q.bid) || !read_decimal(o.at_key("best_ask"), &q.ask) ||
          !read_decimal(o.at_key("best_bid_quantity"), &q.bid_qty) ||
          !read_decimal(o.at_key("best_ask_quantity"), &q.ask_qty))
        return false;
      msg_.quotes.push_back(q);
    }
  }
  return true;
}

bool FrameParser::parse_levels(dom::array updates, BookItem* item) {
  item->bid_begin = item->bid_end = static_cast<uint32_t>(msg_.bids.size());
  item->ask_begin = item->ask_end = static_cast<uint32_t>(msg_.asks.size());
  for (dom::element u : updates) {
    dom::object o;
    if (u.get_object().get(o)) return false;
    PriceLevel l{};
    if (!read_decimal(o.at_key("price_level"), &l.price) || !(l.price > 0) ||
        !read_decimal(o.at_key("new_quantity"), &l.qty))
      return false;
    const std::string_view side = str_field(o, "side");
    if (side == "bid") {
      msg_.bids.push_back(l);
    } else if (side == "offer" || side == "ask") {
      msg_.asks.push_back(l);
    } else {
      return false;
    }
  }
  item->bid_end = static_cast<uint32_t>(msg_.bids.size());
  item->ask_end = static_cast<uint32_t>(msg_.asks.size());
  return true;
}

bool FrameParser::parse_level2(dom::array events) {
  for (dom::element ev : events) {
    dom::object o;
    dom::array updates;
    if (ev.get_object().get(o) || o.at_key("updates").get_array().get(updates)) return false;
    const std::string_view type = str_field(o, "type");
    if (type != "snapshot" && type != "update") return false;
    BookItem item{};
    item.snapshot = type == "snapshot";
    if (!lookup(str_field(o, "product_id"), &item.product)) {
      ++msg_.unknown_products;
      continue;
    }
    if (!parse_levels(updates, &item)) return false;
    msg_.books.push_back(item);
  }
  return true;
}

const ParsedMessage& FrameParser::parse(const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) {
    padded_.assign(data, len);
    padded_.resize(len + simdjson::SIMDJSON_PADDING, '\0');
    data = padded_.data();
  }
  msg_.channel = Channel::kUnknown;
  msg_.has_sequence = false;
  msg_.ts_ns = 0;
  msg_.trades.clear();
  msg_.quotes.clear();
  msg_.books.clear();
  msg_.bids.clear();
  msg_.asks.clear();
  msg_.unknown_products = msg_.quotes_without_bbo = 0;
  msg_.detail.clear();
  dom::element doc;
  dom::object obj;
  if (parser_.parse(data, len, false).get(doc)) return fail("not JSON"), msg_;
  if (doc.get_object().get(obj)) return fail("not a JSON object"), msg_;
  if (str_field(obj, "type") == "error") {
    msg_.channel = Channel::kError;
    msg_.detail = std::string(str_field(obj, "message").substr(0, 200));
    const std::string_view reason = str_field(obj, "reason");
    if (!reason.empty()) msg_.detail.append(": ").append(reason.substr(0, 200));
    return msg_;
  }
  const simdjson::simdjson_result<dom::element> channel_el = obj.at_key("channel");
  std::string_view channel;
  if (channel_el.error() == simdjson::NO_SUCH_FIELD) return msg_.detail = "no channel or type field", msg_;
  if (channel_el.get_string().get(channel)) return fail("channel is not a string"), msg_;
  dom::array events;
  if (obj.at_key("sequence_num").get_uint64().get(msg_.sequence_num)) return fail("sequence_num missing or not an integer"), msg_;
  msg_.has_sequence = true;
  if (!parse_iso8601_ns(str_field(obj, "timestamp"), &msg_.ts_ns)) return fail("timestamp missing or not ISO-8601"), msg_;
  if (obj.at_key("events").get_array().get(events)) return fail("events missing or not an array"), msg_;
  bool ok = true;
  if (channel == "market_trades") {
    msg_.channel = Channel::kMarketTrades;
    ok = parse_trades(events);
  } else if (channel == "ticker") {
    msg_.channel = Channel::kTicker;
    ok = parse_tickers(events);
  } else if (channel == "l2_data") {
    msg_.channel = Channel::kLevel2;
    ok = parse_level2(events);
  } else if (channel == "heartbeats") {
    msg_.channel = Channel::kHeartbeats;
  } else if (channel == "subscriptions") {
    msg_.channel = Channel::kSubscriptions;
    msg_.detail = simdjson::minify(events).substr(0, 200);
  } else {
    msg_.detail.assign("unknown channel ").append(channel.substr(0, 64));
  }
  if (!ok) fail("a field of the wrong type, out of range or missing in an event");
  return msg_;
}

}  // namespace coinbase
