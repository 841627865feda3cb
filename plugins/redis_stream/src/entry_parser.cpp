// entry_parser.cpp: EntryParser, StreamId and parse_timestamp.
#include "entry_parser.h"

#include <charconv>
#include <cmath>

namespace redis_stream {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool parse_u64(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

// Days from 1970-01-01 (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  return era * 146097 + static_cast<int64_t>(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

// YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM]; no zone = UTC.
bool parse_iso8601(std::string_view s, int64_t& ts_ns) {
  unsigned y, mo, d, hh, mm, ss;
  if (s.size() < 19 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, hh) ||
      s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' || !digits(s, 17, 2, ss))
    return false;
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || hh > 23 || mm > 59 || ss > 59) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if ((mo == 2 && d == 29 && !leap) || y < 1678 || y > 2261) return false;
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100000000;
    const size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) {
      if (pos - start >= 9) return false;
      frac_ns += (s[pos++] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return false;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    unsigned oh, om;
    size_t p = pos + 3;
    if (!digits(s, pos + 1, 2, oh)) return false;
    if (p < s.size() && s[p] == ':') ++p;
    if (!digits(s, p, 2, om) || oh > 23 || om > 59) return false;
    offset_s = (s[pos] == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
    pos = p + 2;
  }
  if (pos != s.size()) return false;
  const int64_t secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  ts_ns = secs * 1000000000LL + frac_ns;
  return true;
}

bool valid_symbol(std::string_view s) {
  if (s.empty() || s.size() > kMaxSymbolBytes) return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' ||
                    c == '_' || c == '-' || c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Reads the fields of one entry by name; the first bad field stops it.
class Fields {
 public:
  Fields(const FieldList& f, ParsedEntry& out) : f_(f), out_(out) {}
  bool failed() const { return failed_; }

  const std::string_view* find(std::string_view name) const {
    for (const auto& kv : f_)
      if (kv.first == name) return &kv.second;
    return nullptr;
  }
  double number(std::string_view name, bool required = true, double fallback = 0.0) {
    if (failed_) return 0.0;
    const std::string_view* v = find(name);
    if (v == nullptr) {
      if (required) fail("missing field", "field '" + std::string(name) + "' is missing");
      return fallback;
    }
    double d = 0.0;
    if (!parse_double(*v, d))
      fail("bad number", "field '" + std::string(name) + "' is not a finite number: '" + clip(*v) + "'");
    return d;
  }
  uint64_t unsigned_int(std::string_view name, bool required, uint64_t fallback = 0) {
    if (failed_) return 0;
    const std::string_view* v = find(name);
    if (v == nullptr) {
      if (required) fail("missing field", "field '" + std::string(name) + "' is missing");
      return fallback;
    }
    uint64_t u = 0;
    if (!parse_u64(*v, u))
      fail("bad integer", "field '" + std::string(name) + "' is not an unsigned integer: '" + clip(*v) + "'");
    return u;
  }
  void fail(const char* reason, std::string detail) {
    if (failed_) return;
    failed_ = true;
    out_.status = EntryStatus::kMalformed;
    out_.reason = reason;
    out_.detail = std::move(detail);
  }
  static std::string clip(std::string_view v) {
    return v.size() <= 40 ? std::string(v) : std::string(v.substr(0, 40)) + "...";
  }

 private:
  const FieldList& f_;
  ParsedEntry& out_;
  bool failed_ = false;
};

}  // namespace

bool StreamId::parse(std::string_view s, StreamId& out) {
  const size_t dash = s.find('-');
  StreamId id;
  if (!parse_u64(s.substr(0, dash), id.ms)) return false;
  if (dash != std::string_view::npos && !parse_u64(s.substr(dash + 1), id.seq)) return false;
  out = id;
  return true;
}

bool parse_timestamp(std::string_view s, int64_t unit_ns, int64_t& ts_ns) {
  if (s.size() >= 19 && s[4] == '-') return parse_iso8601(s, ts_ns);
  uint64_t v = 0;
  if (!parse_u64(s, v) || v > static_cast<uint64_t>(INT64_MAX)) return false;
  return !__builtin_mul_overflow(static_cast<int64_t>(v), unit_ns, &ts_ns);
}

EntryParser::EntryParser(const StreamConfig& config)
    : ts_unit_ns_(config.ts_unit_ns), allowed_(config.symbols.begin(), config.symbols.end()) {}

void EntryParser::parse(const FieldList& fields, ParsedEntry& out) const {
  out.status = EntryStatus::kOk;
  out.symbol.clear();
  out.reason.clear();
  out.detail.clear();
  sh_market_event& ev = out.event;
  ev = sh_market_event{};
  ev.struct_size = sizeof(sh_market_event);
  ev.recv_ts_ns = out.recv_ts_ns;
  Fields f(fields, out);

  const std::string_view* type = f.find("type");
  if (type == nullptr) return f.fail("missing field", "field 'type' is missing");
  if (*type == "trade") ev.type = SH_EVENT_TRADE;
  else if (*type == "quote") ev.type = SH_EVENT_QUOTE;
  else if (*type == "l2") ev.type = SH_EVENT_L2;
  else if (*type == "bar") ev.type = SH_EVENT_BAR;
  else {
    f.fail("unknown type", "unknown type '" + Fields::clip(*type) + "' (trade, quote, l2, bar)");
    out.status = EntryStatus::kUnknownType;
    return;
  }

  const std::string_view* symbol = f.find("symbol");
  if (symbol == nullptr) return f.fail("missing field", "field 'symbol' is missing");
  if (!valid_symbol(*symbol))
    return f.fail("bad symbol", "symbol '" + Fields::clip(*symbol) +
                                    "' is not 1-64 characters of A-Z a-z 0-9 . _ - : /");
  const std::string_view* ts = f.find("ts");
  if (ts == nullptr) return f.fail("missing field", "field 'ts' is missing");
  if (!parse_timestamp(*ts, ts_unit_ns_, ev.ts_ns))
    return f.fail("bad timestamp", "field 'ts' is neither an integer nor ISO-8601 UTC: '" +
                                       Fields::clip(*ts) + "'");

  switch (ev.type) {
    case SH_EVENT_TRADE: {
      ev.data.trade.price = f.number("price");
      ev.data.trade.size = f.number("size");
      ev.data.trade.trade_id = f.unsigned_int("trade_id", false);
      if (const std::string_view* side = f.find("side"); side != nullptr && !f.failed()) {
        if (iequals(*side, "buy")) ev.data.trade.side = SH_SIDE_BUY;
        else if (iequals(*side, "sell")) ev.data.trade.side = SH_SIDE_SELL;
        else f.fail("bad side", "trade side '" + Fields::clip(*side) + "' is not buy or sell");
      }
      break;
    }
    case SH_EVENT_QUOTE:
      ev.data.quote.bid = f.number("bid");
      ev.data.quote.bid_size = f.number("bid_size");
      ev.data.quote.ask = f.number("ask");
      ev.data.quote.ask_size = f.number("ask_size");
      break;
    case SH_EVENT_L2: {
      const std::string_view* side = f.find("side");
      if (side == nullptr) {
        f.fail("missing field", "field 'side' is missing");
      } else if (iequals(*side, "bid") || iequals(*side, "buy")) {
        ev.data.l2.side = SH_SIDE_BUY;
      } else if (iequals(*side, "ask") || iequals(*side, "sell")) {
        ev.data.l2.side = SH_SIDE_SELL;
      } else {
        f.fail("bad side", "l2 side '" + Fields::clip(*side) + "' is not bid/buy or ask/sell");
      }
      const uint64_t level = f.unsigned_int("level", true);
      if (!f.failed() && level > 100000) f.fail("bad integer", "l2 level " + std::to_string(level) + " > 100000");
      ev.data.l2.level = static_cast<uint32_t>(level);
      ev.data.l2.price = f.number("price");
      ev.data.l2.size = f.number("size");
      const uint64_t snapshot = f.unsigned_int("snapshot", false);
      if (!f.failed() && snapshot > 1) f.fail("bad integer", "field 'snapshot' must be 0 or 1");
      if (snapshot == 1) ev.flags |= SH_EVENT_FLAG_SNAPSHOT;
      break;
    }
    case SH_EVENT_BAR: {
      ev.data.bar.open = f.number("open");
      ev.data.bar.high = f.number("high");
      ev.data.bar.low = f.number("low");
      ev.data.bar.close = f.number("close");
      ev.data.bar.volume = f.number("volume");
      const uint64_t duration_s = f.unsigned_int("duration_s", false, 60);
      if (!f.failed() && (duration_s == 0 || duration_s > 366ULL * 86400))
        f.fail("bad integer", "field 'duration_s' must be within 1..31622400");
      ev.data.bar.duration_ns = static_cast<int64_t>(duration_s) * 1000000000LL;
      break;
    }
    default:
      break;
  }
  if (f.failed()) return;
  out.symbol.assign(symbol->data(), symbol->size());
  if (!allowed_.empty() && allowed_.count(out.symbol) == 0) {
    out.status = EntryStatus::kFiltered;
    out.reason = "symbol not listed";
  }
}

}  // namespace redis_stream
