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
#include <cstring>
#include <utility>

#include "exchange/capture_file.h"
#include "exchange/decimal.h"

namespace coinbase {

namespace od = simdjson::ondemand;

static_assert(exchange::kFramePadding >= simdjson::SIMDJSON_PADDING, "frame padding too small for simdjson");

namespace {

// A string value's text between its quotes, as written (no copy, no
// unescaping: a decimal, a side, a time or a product id has no escapes, and
// one that had would not parse as one). False when the value is not a string.
simdjson_inline bool raw_string(od::value& v, std::string_view* out) {
  std::string_view t = v.raw_json_token();
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
  if (t.size() < 2 || t.front() != '"' || t.back() != '"') return false;
  *out = t.substr(1, t.size() - 2);
  return true;
}

// Is the key exactly `name`? A fixed-length compare the compiler inlines
// (simdjson's own raw_json_string == string_view calls memcmp): the key's
// text is inside the padded buffer, so reading N bytes from it is safe.
template <size_t N>
bool key_is(const od::raw_json_string& key, const char (&name)[N]) {
  const char* p = key.raw();
  return std::memcmp(p, name, N - 1) == 0 && p[N - 1] == '"';
}

// Calls on_field(key, value) for each field of o in document order (the
// On-Demand way: one pass, any key order). False when the JSON breaks or
// on_field says so.
template <typename F>
simdjson_inline bool each_field(od::object o, F&& on_field) {
  for (auto f : o) {
    od::field field;
    if (std::move(f).get(field) || !on_field(field.key(), field.value())) return false;
  }
  return true;
}

bool read_decimal(std::string_view s, double* out) { return !s.empty() && exchange::parse_decimal(s, out); }

Channel channel_kind(std::string_view c) {
  if (c == "market_trades") return Channel::kMarketTrades;
  if (c == "ticker") return Channel::kTicker;
  if (c == "l2_data") return Channel::kLevel2;
  if (c == "heartbeats") return Channel::kHeartbeats;
  if (c == "subscriptions") return Channel::kSubscriptions;
  return Channel::kUnknown;
}

bool carries_items(Channel c) {
  return c == Channel::kMarketTrades || c == Channel::kTicker || c == Channel::kLevel2;
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

namespace {

// "ss[.fffffffff](Z|+00:00)" from position 17 of an ISO-8601 time -> ns
// within its minute.
bool parse_seconds(std::string_view s, int64_t* ns) {
  unsigned sec;
  if (!digits(s, 17, 2, &sec) || sec > 60) return false;
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
  *ns = sec * 1000000000LL + frac;
  return true;
}

}  // namespace

bool parse_iso8601_ns(std::string_view s, int64_t* ns) {
  unsigned y, mo, d, h, mi;
  int64_t in_minute;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !parse_seconds(s, &in_minute))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return false;
  const int64_t days = days_from_civil(y, mo, d);
  *ns = (days * 86400 + h * 3600 + mi * 60) * 1000000000LL + in_minute;
  return true;
}

// Most times in a message, and in the messages that follow, share their
// minute: the date and "hh:mm:" are compared with the last one read and only
// the seconds are parsed when they match.
bool FrameParser::time_ns(std::string_view s, int64_t* ns) {
  int64_t in_minute;
  if (s.size() >= 19 && minute_ns_ != kNoMinute && std::memcmp(s.data(), minute_text_, sizeof minute_text_) == 0)
    return parse_seconds(s, &in_minute) && (*ns = minute_ns_ + in_minute, true);
  if (!parse_iso8601_ns(s, ns)) return false;
  parse_seconds(s, &in_minute);
  std::memcpy(minute_text_, s.data(), sizeof minute_text_);
  minute_ns_ = *ns - in_minute;
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

bool FrameParser::parse_trade(od::object o) {
  TradeItem item{};
  std::string_view product, id, side, price, size, time;
  bool id_number = false, has_id = false;
  const bool read = each_field(o, [&](const od::raw_json_string& k, od::value& v) {
    if (key_is(k, "trade_id")) {
      has_id = true;
      if (!raw_string(v, &id)) {
        if (v.get_uint64().get(item.trade_id)) return false;
        id_number = true;
      }
    } else if (key_is(k, "product_id")) {
      raw_string(v, &product);
    } else if (key_is(k, "price")) {
      raw_string(v, &price);
    } else if (key_is(k, "size")) {
      raw_string(v, &size);
    } else if (key_is(k, "side")) {
      raw_string(v, &side);
    } else if (key_is(k, "time")) {
      raw_string(v, &time);
    }
    return true;
  });
  if (!read) return false;
  if (!lookup(product, &item.product)) return ++msg_.unknown_products, true;
  if (!has_id) return false;
  if (!id_number) {
    const auto r = std::from_chars(id.data(), id.data() + id.size(), item.trade_id);
    if (id.empty() || r.ec != std::errc() || r.ptr != id.data() + id.size()) return false;
  }
  if (side != "BUY" && side != "SELL") return false;
  item.side_buy = side == "BUY";
  if (!read_decimal(price, &item.price) || !(item.price > 0) || !read_decimal(size, &item.size) ||
      !(item.size > 0) || !time_ns(time, &item.ts_ns))
    return false;
  msg_.trades.push_back(item);
  return true;
}

bool FrameParser::parse_ticker(od::object o) {
  QuoteItem q{};
  std::string_view product, bid, bid_qty, ask, ask_qty;
  const bool read = each_field(o, [&](const od::raw_json_string& k, od::value& v) {
    if (key_is(k, "product_id")) {
      raw_string(v, &product);
    } else if (key_is(k, "best_bid")) {
      raw_string(v, &bid);
    } else if (key_is(k, "best_bid_quantity")) {
      raw_string(v, &bid_qty);
    } else if (key_is(k, "best_ask")) {
      raw_string(v, &ask);
    } else if (key_is(k, "best_ask_quantity")) {
      raw_string(v, &ask_qty);
    }
    return true;
  });
  if (!read) return false;
  if (!lookup(product, &q.product)) return ++msg_.unknown_products, true;
  if (bid.empty() || ask.empty()) return ++msg_.quotes_without_bbo, true;  // e.g. ticker_batch's shape
  if (!read_decimal(bid, &q.bid) || !read_decimal(ask, &q.ask) || !read_decimal(bid_qty, &q.bid_qty) ||
      !read_decimal(ask_qty, &q.ask_qty))
    return false;
  msg_.quotes.push_back(q);
  return true;
}

bool FrameParser::parse_level(od::object o) {
  PriceLevel l{};
  std::string_view side, price, qty;
  const bool read = each_field(o, [&](const od::raw_json_string& k, od::value& v) {
    if (key_is(k, "side")) {
      raw_string(v, &side);
    } else if (key_is(k, "price_level")) {
      raw_string(v, &price);
    } else if (key_is(k, "new_quantity")) {
      raw_string(v, &qty);
    }
    return true;
  });
  if (!read) return false;
  if (!read_decimal(price, &l.price) || !(l.price > 0) || !read_decimal(qty, &l.qty)) return false;
  if (side == "bid") {
    msg_.bids.push_back(l);
  } else if (side == "offer" || side == "ask") {
    msg_.asks.push_back(l);
  } else {
    return false;
  }
  return true;
}

// One l2_data event. Levels go straight into bids / asks; an event for a
// product we did not configure takes them back out (or never reads them when
// its product_id comes first, as Coinbase writes it).
bool FrameParser::parse_book(od::object o) {
  BookItem item{};
  item.bid_begin = static_cast<uint32_t>(msg_.bids.size());
  item.ask_begin = static_cast<uint32_t>(msg_.asks.size());
  std::string_view type, product;
  bool has_updates = false, known = false;
  const bool read = each_field(o, [&](const od::raw_json_string& k, od::value& v) {
    if (key_is(k, "type")) {
      raw_string(v, &type);
    } else if (key_is(k, "product_id")) {
      raw_string(v, &product);
      known = lookup(product, &item.product);
    } else if (key_is(k, "updates")) {
      od::array updates;
      if (v.get_array().get(updates)) return false;
      has_updates = true;
      if (!product.empty() && !known) return true;
      for (auto u : updates) {
        od::object level;
        if (u.get_object().get(level) || !parse_level(level)) return false;
      }
    }
    return true;
  });
  if (!read) return false;
  if (!has_updates || (type != "snapshot" && type != "update")) return false;
  if (!known) {
    msg_.bids.resize(item.bid_begin);
    msg_.asks.resize(item.ask_begin);
    return ++msg_.unknown_products, true;
  }
  item.snapshot = type == "snapshot";
  item.bid_end = static_cast<uint32_t>(msg_.bids.size());
  item.ask_end = static_cast<uint32_t>(msg_.asks.size());
  msg_.books.push_back(item);
  return true;
}

// events[]: each an object whose "trades" / "tickers" array holds the items
// (market_trades, ticker), or an l2_data event itself.
bool FrameParser::parse_events(Channel channel, od::array events) {
  for (auto e : events) {
    od::object ev;
    if (e.get_object().get(ev)) return false;
    if (channel == Channel::kLevel2) {
      if (!parse_book(ev)) return false;
      continue;
    }
    bool has_list = false;
    const bool read = each_field(ev, [&](const od::raw_json_string& k, od::value& v) {
      if (!(channel == Channel::kMarketTrades ? key_is(k, "trades") : key_is(k, "tickers"))) return true;
      od::array items;
      if (v.get_array().get(items)) return false;
      has_list = true;
      for (auto it : items) {
        od::object o;
        if (it.get_object().get(o)) return false;
        if (!(channel == Channel::kMarketTrades ? parse_trade(o) : parse_ticker(o))) return false;
      }
      return true;
    });
    if (!read || !has_list) return false;
  }
  return true;
}

const ParsedMessage& FrameParser::parse(const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) {
    padded_.assign(data, len);
    padded_.resize(len + simdjson::SIMDJSON_PADDING, '\0');
    data = padded_.data();
    capacity = padded_.size();
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
  od::document doc;
  od::object obj;
  if (parser_.iterate(data, len, capacity).get(doc)) return fail("not JSON"), msg_;
  if (doc.get_object().get(obj)) return fail("not a JSON object"), msg_;
  std::string_view type, message, reason, channel, events_json;
  bool has_channel = false, channel_string = false, has_ts = false, has_events = false;
  bool events_read = false, events_ok = true;
  Channel kind = Channel::kUnknown;
  for (auto f : obj) {
    od::field field;
    if (std::move(f).get(field)) return fail("not JSON"), msg_;
    const od::raw_json_string k = field.key();
    od::value& v = field.value();
    if (key_is(k, "channel")) {
      has_channel = true;
      channel_string = !v.get_string().get(channel);
      if (channel_string) kind = channel_kind(channel);
    } else if (key_is(k, "timestamp")) {
      std::string_view ts;
      has_ts = raw_string(v, &ts) && time_ns(ts, &msg_.ts_ns);
    } else if (key_is(k, "sequence_num")) {
      msg_.has_sequence = !v.get_uint64().get(msg_.sequence_num);
    } else if (key_is(k, "events")) {
      od::array events;
      has_events = !v.get_array().get(events);
      if (!has_events) continue;
      if (carries_items(kind)) {  // the channel came first, as Coinbase writes it
        events_read = true;
        events_ok = parse_events(kind, events);
      } else if (events.raw_json().get(events_json)) {
        return fail("not JSON"), msg_;
      }
    } else if (key_is(k, "type")) {
      if (v.get_string().get(type)) type = {};
    } else if (key_is(k, "message")) {
      if (v.get_string().get(message)) message = {};
    } else if (key_is(k, "reason")) {
      if (v.get_string().get(reason)) reason = {};
    }
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return fail("not JSON (text after the object)"), msg_;
  if (type == "error") {
    msg_.channel = Channel::kError;
    msg_.detail = std::string(message.substr(0, 200));
    if (!reason.empty()) msg_.detail.append(": ").append(reason.substr(0, 200));
    return msg_;
  }
  if (!has_channel) return msg_.detail = "no channel or type field", msg_;
  if (!channel_string) return fail("channel is not a string"), msg_;
  if (!msg_.has_sequence) return fail("sequence_num missing or not an integer"), msg_;
  if (!has_ts) return fail("timestamp missing or not ISO-8601"), msg_;
  if (!has_events) return fail("events missing or not an array"), msg_;
  if (carries_items(kind) && !events_read) {  // events came before the channel: read them now
    od::document events_doc;
    od::array events;
    const size_t room = capacity - static_cast<size_t>(events_json.data() - data);
    events_ok = !events_parser_.iterate(events_json.data(), events_json.size(), room).get(events_doc) &&
                !events_doc.get_array().get(events) && parse_events(kind, events);
  }
  msg_.channel = kind;
  if (kind == Channel::kSubscriptions) msg_.detail = std::string(events_json.substr(0, 200));
  if (kind == Channel::kUnknown) msg_.detail.assign("unknown channel ").append(channel.substr(0, 64));
  if (!events_ok) fail("a field of the wrong type, out of range or missing in an event");
  return msg_;
}

}  // namespace coinbase
