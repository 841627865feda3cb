// frame_parser.cpp: FrameParser. Field names and shapes follow Binance's
// web-socket-streams.md (Trade Streams, Individual Symbol Book Ticker
// Streams, Diff. Depth Stream, Server Shutdown) and rest-api.md (Order book).
#include "common/frame_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "exchange/capture_file.h"

namespace binance {

// Frames are made with room for the parser to read past their end.
static_assert(exchange::kFramePadding >= simdjson::SIMDJSON_PADDING, "frame padding too small for simdjson");

namespace dom = simdjson::dom;

namespace {

const std::string_view kSuffixTrade = "@trade";
const std::string_view kSuffixBook = "@bookTicker";
const std::string_view kSuffixDepth = "@depth@100ms";

// [[price, qty], ...] with decimal strings. False on any other shape.
bool read_levels(dom::element v, std::vector<PriceLevel>* out) {
  out->clear();
  dom::array arr;
  if (v.get_array().get(arr)) return false;
  for (dom::element item : arr) {
    dom::array pair;
    if (item.get_array().get(pair) || pair.size() != 2) return false;
    std::string_view p, q;
    if (pair.at(0).get_string().get(p) || pair.at(1).get_string().get(q)) return false;
    PriceLevel l{};
    if (!parse_decimal(p, &l.price) || !parse_decimal(q, &l.qty) || !(l.price > 0.0)) return false;
    out->push_back(l);
  }
  return true;
}

bool read_decimal(dom::element v, double* out) {
  std::string_view s;
  return !v.get_string().get(s) && parse_decimal(s, out);
}

}  // namespace

FrameParser::FrameParser(const std::vector<std::string>& symbols) {
  for (uint32_t i = 0; i < symbols.size(); ++i) {
    std::string lower = symbols[i];
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    lower_symbols_.push_back(lower);
    streams_.push_back({lower + std::string(kSuffixTrade), i, MsgType::kTrade});
    streams_.push_back({lower + std::string(kSuffixBook), i, MsgType::kBookTicker});
    streams_.push_back({lower + std::string(kSuffixDepth), i, MsgType::kDepth});
  }
  streams_.push_back({"!serverShutdown", 0, MsgType::kServerShutdown});
  std::sort(streams_.begin(), streams_.end(),
            [](const StreamKey& a, const StreamKey& b) { return a.name < b.name; });
}

std::string FrameParser::stream_list(bool trades, bool book_ticker, bool depth) const {
  std::string out;
  for (const std::string& s : lower_symbols_) {
    auto add = [&](std::string_view suffix) {
      if (!out.empty()) out += '/';
      out += s;
      out += suffix;
    };
    if (trades) add(kSuffixTrade);
    if (book_ticker) add(kSuffixBook);
    if (depth) add(kSuffixDepth);
  }
  return out;
}

bool FrameParser::lookup(std::string_view name, uint32_t* symbol_index, MsgType* type) const {
  const auto it = std::lower_bound(streams_.begin(), streams_.end(), name,
                                   [](const StreamKey& k, std::string_view n) { return k.name < n; });
  if (it == streams_.end() || it->name != name) return false;
  *symbol_index = it->symbol_index;
  *type = it->type;
  return true;
}

void FrameParser::fail(const char* why) {
  frame_.type = MsgType::kMalformed;
  frame_.detail = why;
}

void FrameParser::parse_data(dom::element data, MsgType type) {
  dom::object obj;
  if (data.get_object().get(obj)) return fail("data is not an object");
  frame_.type = type;
  // Bit per required field; a known message missing one is malformed.
  unsigned have = 0;
  for (dom::key_value_pair field : obj) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    if (key.size() != 1) continue;
    const char k = key[0];
    bool ok = true;
    switch (type) {
      case MsgType::kTrade:
        switch (k) {
          case 'e': { std::string_view e; ok = !v.get_string().get(e) && e == "trade"; have |= 1; break; }
          case 'E': ok = !v.get_int64().get(frame_.event_ms); have |= 2; break;
          case 't': ok = !v.get_uint64().get(frame_.trade_id); have |= 4; break;
          case 'p': ok = read_decimal(v, &frame_.price) && frame_.price > 0; have |= 8; break;
          case 'q': ok = read_decimal(v, &frame_.qty) && frame_.qty > 0; have |= 16; break;
          case 'm': ok = !v.get_bool().get(frame_.buyer_maker); have |= 32; break;
          default: break;
        }
        break;
      case MsgType::kBookTicker:
        switch (k) {
          case 'u': ok = !v.get_uint64().get(frame_.final_update_id); have |= 1; break;
          case 'b': ok = read_decimal(v, &frame_.bid); have |= 2; break;
          case 'B': ok = read_decimal(v, &frame_.bid_qty); have |= 4; break;
          case 'a': ok = read_decimal(v, &frame_.ask); have |= 8; break;
          case 'A': ok = read_decimal(v, &frame_.ask_qty); have |= 16; break;
          case 'E': ok = !v.get_int64().get(frame_.event_ms); have |= 32; break;  // not documented; used when present
          default: break;
        }
        break;
      case MsgType::kDepth:
        switch (k) {
          case 'e': { std::string_view e; ok = !v.get_string().get(e) && e == "depthUpdate"; have |= 1; break; }
          case 'E': ok = !v.get_int64().get(frame_.event_ms); have |= 2; break;
          case 'U': ok = !v.get_uint64().get(frame_.first_update_id); have |= 4; break;
          case 'u': ok = !v.get_uint64().get(frame_.final_update_id); have |= 8; break;
          case 'b': ok = read_levels(v, &frame_.bids); have |= 16; break;
          case 'a': ok = read_levels(v, &frame_.asks); have |= 32; break;
          default: break;
        }
        break;
      case MsgType::kServerShutdown:
        if (k == 'E') ok = !v.get_int64().get(frame_.event_ms);
        have = 0x3f;
        break;
      default:
        break;
    }
    if (!ok) return fail(type == MsgType::kTrade        ? "trade field of the wrong type or out of range"
                         : type == MsgType::kBookTicker ? "bookTicker field of the wrong type or out of range"
                                                        : "depthUpdate field of the wrong type or out of range");
  }
  const unsigned need = type == MsgType::kBookTicker ? 0x1f : 0x3f;
  if ((have & need) != need) return fail("a required field is missing");
  if (type == MsgType::kDepth && frame_.first_update_id > frame_.final_update_id)
    return fail("depthUpdate with U > u");
}

const ParsedFrame& FrameParser::parse(const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) {
    padded_.assign(data, len);
    padded_.resize(len + simdjson::SIMDJSON_PADDING, '\0');
    data = padded_.data();
    capacity = padded_.size();
  }
  frame_.type = MsgType::kUnknown;
  frame_.event_ms = -1;
  frame_.bids.clear();
  frame_.asks.clear();
  frame_.detail.clear();

  dom::element doc;
  if (parser_.parse(data, len, false).get(doc)) {
    fail("not JSON");
    return frame_;
  }
  dom::object obj;
  if (doc.get_object().get(obj)) {
    fail("not a JSON object");
    return frame_;
  }
  bool stream_known = false, stream_seen = false, has_result = false, has_error = false;
  MsgType stream_type = MsgType::kUnknown;
  for (dom::key_value_pair field : obj) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    if (key == "stream") {
      std::string_view name;
      if (v.get_string().get(name)) {
        fail("stream is not a string");
        return frame_;
      }
      stream_seen = true;
      stream_known = lookup(name, &frame_.symbol_index, &stream_type);
      if (!stream_known) frame_.detail.assign("unknown stream ").append(name.substr(0, 64));
    } else if (key == "data") {
      if (!stream_seen) {
        frame_.detail = "data before stream";
        continue;
      }
      if (!stream_known) continue;
      parse_data(v, stream_type);
      if (frame_.type == MsgType::kMalformed) return frame_;
    } else if (key == "result") {
      has_result = true;
    } else if (key == "code" || key == "msg" || key == "error") {
      has_error = true;
      if (!frame_.detail.empty()) frame_.detail += ' ';
      frame_.detail.append(key).append("=").append(simdjson::minify(v).substr(0, 200));
    } else if (key == "e") {
      std::string_view e;
      if (!v.get_string().get(e) && e == "serverShutdown") stream_type = MsgType::kServerShutdown;
    } else if (key == "E") {
      if (v.get_int64().get(frame_.event_ms)) frame_.event_ms = -1;
    }
  }
  if (stream_known && frame_.type == stream_type) return frame_;
  if (stream_known && frame_.type == MsgType::kUnknown) {
    fail("stream without data");
    return frame_;
  }
  if (stream_type == MsgType::kServerShutdown) {
    frame_.type = MsgType::kServerShutdown;
  } else if (has_error) {
    frame_.type = MsgType::kError;
  } else if (has_result) {
    frame_.type = MsgType::kResult;
  } else {
    frame_.type = MsgType::kUnknown;
    if (frame_.detail.empty()) frame_.detail = "no stream / result / error field";
  }
  return frame_;
}

const ParsedSnapshot& FrameParser::parse_snapshot(const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) {
    padded_.assign(data, len);
    padded_.resize(len + simdjson::SIMDJSON_PADDING, '\0');
    data = padded_.data();
    capacity = padded_.size();
  }
  snapshot_.ok = false;
  snapshot_.bids.clear();
  snapshot_.asks.clear();
  snapshot_.detail.clear();
  dom::element doc;
  dom::object obj;
  if (parser_.parse(data, len, false).get(doc) || doc.get_object().get(obj)) {
    snapshot_.detail = "snapshot is not a JSON object";
    return snapshot_;
  }
  unsigned have = 0;
  for (dom::key_value_pair field : obj) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    bool ok = true;
    if (key == "lastUpdateId") {
      ok = !v.get_uint64().get(snapshot_.last_update_id);
      have |= 1;
    } else if (key == "bids") {
      ok = read_levels(v, &snapshot_.bids);
      have |= 2;
    } else if (key == "asks") {
      ok = read_levels(v, &snapshot_.asks);
      have |= 4;
    } else if (key == "code" || key == "msg") {
      snapshot_.detail.append(key).append("=").append(simdjson::minify(v).substr(0, 200)).append(" ");
    }
    if (!ok) {
      snapshot_.detail = "snapshot field '" + std::string(key) + "' malformed";
      return snapshot_;
    }
  }
  if (have != 7) {
    if (snapshot_.detail.empty()) snapshot_.detail = "snapshot lacks lastUpdateId, bids or asks";
    return snapshot_;
  }
  snapshot_.ok = true;
  return snapshot_;
}

}  // namespace binance
