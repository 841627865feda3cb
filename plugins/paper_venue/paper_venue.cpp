// paper_venue: a simulated execution venue (ABI 1.4). The host keeps the book
// of record (idempotency keys, positions, cash); this venue executes orders on
// minute bars (fill "next_open" / "mid") or on the market-event feed's order
// book (fill "book"), and reports every acknowledgement, fill, cancel, expiry
// and reject. The default config reproduces the host's built-in paper broker:
// a market order decided at a minute close fills, whole, at the next bar's
// open +/- slippage, in submission order. README.md has the rules.
#include <strategy_host/json_text.hpp>
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

enum class FillMode { kNextOpen, kMid, kBook };

// Defaults and ranges: kConfigSchema.
struct Config {
  FillMode fill = FillMode::kNextOpen;
  double slippage_bps = 1.0;
  double maker_fee_bps = 0.0;
  double taker_fee_bps = 0.0;
  int64_t latency_ns = 0;
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.fill = r.choice<FillMode>(
      "fill", {{"next_open", FillMode::kNextOpen}, {"mid", FillMode::kMid}, {"book", FillMode::kBook}});
  c.slippage_bps = r.number("slippage_bps");
  c.maker_fee_bps = r.number("maker_fee_bps");
  c.taker_fee_bps = r.number("taker_fee_bps");
  c.latency_ns = static_cast<int64_t>(std::llround(r.number("latency_ms") * 1e6));  // <= one day
  return c;
}

bool positive(double v) { return std::isfinite(v) && v > 0.0; }

// Quantities below this are treated as zero (fills of walked levels summed).
constexpr double kQtyEpsilon = 1e-12;

struct Order {
  uint64_t seq = 0;
  std::string id;
  std::string venue_id;
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  int64_t ts_ns = 0;
  sh_side side = SH_SIDE_UNKNOWN;
  sh_order_type type = SH_ORDER_MARKET;
  sh_time_in_force tif = SH_TIF_GTC;
  uint32_t flags = 0;
  double qty = 0.0;  // may shrink: a reduce-only order is clamped at fill time
  double limit = sh::kNull;
  double ref_price = sh::kNull;
  double cum_qty = 0.0;
  bool attempted = false;  // book mode: its first (taker) match was made
  double leaves() const { return qty - cum_qty > kQtyEpsilon ? qty - cum_qty : 0.0; }
  bool buy() const { return side == SH_SIDE_BUY; }
  bool reduce_only() const { return (flags & SH_ORDER_FLAG_REDUCE_ONLY) != 0; }
};

// What is kept of a finished order: enough to answer a resubmit of its id.
struct Finished {
  sh_order_state state = SH_ORDER_FILLED;
  sh_venue_reason reason = SH_VENUE_REASON_NONE;
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  sh_side side = SH_SIDE_UNKNOWN;
  double cum_qty = 0.0;
  std::string venue_id;
};

struct Position {
  double qty = 0.0;  // signed
  double avg_price = 0.0;
  double mark = sh::kNull;  // last fill or bar close
};

struct Book {
  double bid = sh::kNull, bid_size = 0.0, ask = sh::kNull, ask_size = 0.0;
  std::map<double, double, std::greater<double>> bids;  // best (highest) first
  std::map<double, double> asks;                        // best (lowest) first
  double last_trade = sh::kNull;
  bool empty() const {
    return bids.empty() && asks.empty() && !positive(bid) && !positive(ask);
  }
};

// A price level an order can take from; size points into the venue's copy
// of the book so that what is taken is gone until the feed says otherwise.
struct Level {
  double price;
  double* size;
};

class PaperVenue final : public sh::Venue {
 public:
  static constexpr const char* kName = "paper_venue";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Simulated execution venue: fills at the next bar's open, the last mid, or by walking the "
      "L2 book; maker/taker fees, latency, limit orders, IOC/FOK, reduce-only";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "paper_venue",
  "type": "object",
  "properties": {
    "fill": {"type": "string", "enum": ["next_open", "mid", "book"], "default": "next_open",
             "description": "next_open: at the next minute bar's open; mid: at once at the last minute's mid; book: walk the L2 book of the event feed"},
    "slippage_bps": {"type": "number", "minimum": 0, "maximum": 10000, "default": 1,
                     "description": "against the order: buy at price*(1+bps/1e4), sell at price*(1-bps/1e4); not applied in book mode"},
    "maker_fee_bps": {"type": "number", "minimum": -100, "maximum": 1000, "default": 0,
                      "description": "fee on resting (maker) fills, bps of notional; negative = rebate"},
    "taker_fee_bps": {"type": "number", "minimum": -100, "maximum": 1000, "default": 0,
                      "description": "fee on market and marketable (taker) fills, bps of notional"},
    "latency_ms": {"type": "number", "minimum": 0, "maximum": 86400000, "default": 0,
                   "description": "an order can fill only on market data at or after its ts + latency"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kDurableState = true;

  PaperVenue(const sh::Host& host, const sh::Json& config)
      : sh::Venue(host),
        config_(parse_config(config, kConfigSchema)),
        c_submitted_(host.counter("orders_submitted")),
        c_fills_(host.counter("fills")),
        c_rejects_(host.counter("rejects")),
        c_cancels_(host.counter("cancels")),
        c_expires_(host.counter("expires")) {}

  sh_venue_capabilities capabilities() const override {
    sh_venue_capabilities c{};
    c.struct_size = sizeof c;
    c.flags = SH_VENUE_SIMULATED | SH_VENUE_WANTS_BARS;
    if (config_.fill == FillMode::kBook) c.flags |= SH_VENUE_WANTS_EVENTS;
    c.order_types = (1u << SH_ORDER_MARKET) | (1u << SH_ORDER_LIMIT);
    c.time_in_force = (1u << SH_TIF_GTC) | (1u << SH_TIF_IOC) | (1u << SH_TIF_FOK);
    c.maker_fee_bps = config_.maker_fee_bps;
    c.taker_fee_bps = config_.taker_fee_bps;
    return c;
  }

  sh_status submit(const sh_venue_order& in, const sh::VenueSink& sink) override {
    const std::string id = in.client_order_id != nullptr ? in.client_order_id : "";
    Order o;
    o.id = id;
    o.symbol = in.symbol;
    o.ts_ns = in.ts_ns;
    o.side = in.side;
    o.type = in.type;
    o.tif = SH_ORDER_FIELD(in, tif, SH_TIF_GTC);
    o.flags = SH_ORDER_FIELD(in, flags, 0u);
    o.qty = SH_ORDER_FIELD(in, qty, sh::kNull);
    o.limit = SH_ORDER_FIELD(in, limit_price, sh::kNull);
    o.ref_price = SH_ORDER_FIELD(in, ref_price, sh::kNull);

    if (id.empty()) return reject(o, SH_VENUE_REASON_INVALID_ORDER, "client_order_id is empty", sink);
    if (auto it = by_id_.find(id); it != by_id_.end()) {
      const Order& w = working_.at(it->second);
      return emit(sink, w, state_of(w), 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN,
                  SH_VENUE_REASON_NONE, w.ts_ns, "client_order_id seen before: nothing sent");
    }
    if (auto it = finished_.find(id); it != finished_.end()) {
      const Finished& f = it->second;
      Order w;
      w.id = id;
      w.venue_id = f.venue_id;
      w.symbol = f.symbol;
      w.side = f.side;
      w.qty = w.cum_qty = f.cum_qty;
      return emit(sink, w, f.state, 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN, f.reason,
                  in.ts_ns, "client_order_id seen before: nothing sent");
    }
    if (o.symbol == SH_INVALID_SYMBOL)
      return reject(o, SH_VENUE_REASON_UNKNOWN_SYMBOL, "symbol is not set", sink);
    if (o.side != SH_SIDE_BUY && o.side != SH_SIDE_SELL)
      return reject(o, SH_VENUE_REASON_INVALID_ORDER,
                    "side must be BUY or SELL, got " + std::to_string(o.side), sink);
    if (!positive(o.qty))
      return reject(o, SH_VENUE_REASON_INVALID_ORDER, "qty must be finite and > 0, got " + num(o.qty),
                    sink);
    if (o.type != SH_ORDER_MARKET && o.type != SH_ORDER_LIMIT)
      return reject(o, SH_VENUE_REASON_UNSUPPORTED,
                    "type must be MARKET or LIMIT, got " + std::to_string(o.type), sink);
    if (o.type == SH_ORDER_LIMIT && !positive(o.limit))
      return reject(o, SH_VENUE_REASON_INVALID_ORDER,
                    "limit_price must be finite and > 0 for a LIMIT order, got " + num(o.limit), sink);
    if (o.tif != SH_TIF_GTC && o.tif != SH_TIF_IOC && o.tif != SH_TIF_FOK)
      return reject(o, SH_VENUE_REASON_UNSUPPORTED,
                    "tif must be GTC, IOC or FOK, got " + std::to_string(o.tif), sink);
    if (o.type == SH_ORDER_MARKET) o.limit = sh::kNull;

    o.seq = next_seq_++;
    o.venue_id = "pv-" + std::to_string(o.seq);
    host().add(c_submitted_);
    emit(sink, o, SH_ORDER_ACKNOWLEDGED, 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN,
         SH_VENUE_REASON_NONE, o.ts_ns, nullptr);
    by_id_[o.id] = o.seq;
    Order& w = working_.emplace(o.seq, std::move(o)).first->second;
    if (config_.latency_ns == 0) fill_at_once(w, sink);
    return SH_OK;
  }

  sh_status cancel(std::string_view client_order_id, const sh::VenueSink& sink) override {
    const std::string id(client_order_id);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
      const bool is_final = finished_.count(id) != 0;
      throw sh::InvalidArgument("cancel: order '" + id + "' " +
                                (is_final ? "is already final" : "is not known to this venue"));
    }
    Order& o = working_.at(it->second);
    finish(o, SH_ORDER_CANCELED, SH_VENUE_REASON_NONE, host().now_ns(), "canceled on request", sink);
    return SH_OK;
  }

  void on_bars(const sh::VenueBars& bars, int64_t minute_ts_ns, const sh::VenueSink& sink) override {
    // A minute at or before the last one seen is a replay catching up: it was
    // accounted for (the host's broker did the same).
    if (have_last_minute_ && minute_ts_ns <= last_minute_ts_ns_) return;
    have_last_minute_ = true;
    last_minute_ts_ns_ = minute_ts_ns;
    // The mids of this minute only: an order for a symbol without a bar this
    // minute has no mid (then its ref_price), as with the host's broker.
    // Only the mid fill mode reads them, so only it keeps (and saves) them.
    mids_.clear();
    // The bars by symbol, in a vector kept from minute to minute (a hash map
    // built every minute was a node allocation per symbol: a quarter of the
    // venue's close at 1,000 symbols). The host sends them sorted; sorting
    // is only a fallback. With two bars of one symbol the later one counts.
    bar_index_.clear();
    for (const sh_venue_bar& b : bars) {
      bar_index_.emplace_back(b.symbol, &b);
      const double m = positive(b.mid) ? b.mid : b.close;
      if (config_.fill == FillMode::kMid && positive(m)) mids_[b.symbol] = m;
    }
    auto by_symbol = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(bar_index_.begin(), bar_index_.end(), by_symbol)) {
      std::stable_sort(bar_index_.begin(), bar_index_.end(), by_symbol);
    }
    std::vector<uint64_t> done;
    for (auto& [seq, o] : working_) {
      auto it = std::upper_bound(bar_index_.begin(), bar_index_.end(), std::pair{o.symbol, nullptr},
                                 by_symbol);
      if (it == bar_index_.begin() || (it - 1)->first != o.symbol) continue;
      const sh_venue_bar& b = *(it - 1)->second;
      if (b.minute_ts_ns < o.ts_ns + config_.latency_ns) continue;
      if (config_.fill == FillMode::kBook && !book_empty(o.symbol)) continue;
      if (fill_on_bar(o, b, sink)) done.push_back(seq);
    }
    for (const uint64_t seq : done) erase(seq);
    // Marks: the close of every bar of a held symbol.
    for (const sh_venue_bar& b : bars) {
      auto p = positions_.find(b.symbol);
      if (p != positions_.end() && positive(b.close)) p->second.mark = b.close;
    }
  }

  void on_events(const sh::MarketEvents& events, const sh::VenueSink& sink) override {
    if (config_.fill != FillMode::kBook) return;
    // The whole batch first (a snapshot arrives as many level events: the
    // book is matched against once it is whole), then the orders.
    std::map<sh_symbol_id, int64_t> touched;  // symbol -> its latest event time
    std::map<sh_symbol_id, std::vector<std::pair<int64_t, double>>> trades;
    for (const sh_market_event& ev : events) {
      Book& bk = books_[ev.symbol];
      switch (ev.type) {
        case SH_EVENT_QUOTE:
          bk.bid = ev.data.quote.bid;
          bk.bid_size = ev.data.quote.bid_size;
          bk.ask = ev.data.quote.ask;
          bk.ask_size = ev.data.quote.ask_size;
          break;
        case SH_EVENT_L2: {
          if ((ev.flags & SH_EVENT_FLAG_SNAPSHOT) != 0) {
            bk.bids.clear();
            bk.asks.clear();
          }
          const sh_l2_level& l = ev.data.l2;
          if (!positive(l.price)) break;
          if (l.side == SH_SIDE_BUY) set_level(bk.bids, l.price, l.size);
          else if (l.side == SH_SIDE_SELL) set_level(bk.asks, l.price, l.size);
          break;
        }
        case SH_EVENT_TRADE:
          if (positive(ev.data.trade.price)) {
            bk.last_trade = ev.data.trade.price;
            trades[ev.symbol].emplace_back(ev.ts_ns, ev.data.trade.price);
          }
          break;
        default:
          break;
      }
      auto [t, inserted] = touched.emplace(ev.symbol, ev.ts_ns);
      if (!inserted && ev.ts_ns > t->second) t->second = ev.ts_ns;
    }
    std::vector<uint64_t> done;
    for (auto& [seq, o] : working_) {
      auto t = touched.find(o.symbol);
      if (t == touched.end()) continue;
      const int64_t eligible = o.ts_ns + config_.latency_ns;
      if (t->second < eligible) continue;
      if (book_empty(o.symbol)) continue;  // no book: the bars fill it
      const bool is_final = !o.attempted || o.type == SH_ORDER_MARKET
                                ? take(o, t->second, sink)
                                : rest_check(o, eligible, t->second, trades[o.symbol], sink);
      if (is_final) done.push_back(seq);
    }
    for (const uint64_t seq : done) erase(seq);
  }

  void query_orders(const sh::VenueSink& sink) override {
    for (const auto& [seq, o] : working_)
      emit(sink, o, state_of(o), 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN,
           SH_VENUE_REASON_NONE, o.ts_ns, nullptr);
  }

  void query_positions(const sh::PositionSink& sink) override {
    for (const auto& [symbol, p] : positions_) {
      if (p.qty == 0.0) continue;
      sh_position sp{};
      sp.struct_size = sizeof sp;
      sp.symbol = symbol;
      sp.qty = p.qty;
      sp.avg_price = p.avg_price;
      sp.mark_price = p.mark;
      sp.notional_usd = p.qty * p.mark;
      sp.unrealized_pnl_usd = p.qty * (p.mark - p.avg_price);
      sink.emit(sp);
    }
  }

  // The state as JSON written straight into one string (the document
  // load_state reads). Built as an nlohmann DOM and dumped, it took 15 % of
  // the CPU of a 1,000-symbol session with 1,000 working orders
  // (bench_decision): an allocation per field, every minute.
  std::string save_state() const override {
    std::string out;
    out.reserve(96 + working_.size() * 256 + (positions_.size() + mids_.size()) * 80);
    out += "{\"v\":1,\"next_seq\":";
    put_int(out, next_seq_);
    out += ",\"orders\":[";
    const char* sep = "";
    for (const auto& [seq, o] : working_) {
      out += sep;
      sep = ",";
      out += "{\"seq\":";
      put_int(out, o.seq);
      out += ",\"id\":";
      put_string(out, o.id);
      out += ",\"symbol\":";
      put_string(out, cached_name(o.symbol));
      out += ",\"ts_ns\":";
      put_int(out, o.ts_ns);
      out += ",\"side\":";
      put_int(out, o.side);
      out += ",\"type\":";
      put_int(out, o.type);
      out += ",\"tif\":";
      put_int(out, o.tif);
      out += ",\"flags\":";
      put_int(out, o.flags);
      out += ",\"qty\":";
      put_number(out, o.qty);
      out += ",\"limit\":";
      put_number(out, o.limit);
      out += ",\"ref_price\":";
      put_number(out, o.ref_price);
      out += ",\"cum_qty\":";
      put_number(out, o.cum_qty);
      out += o.attempted ? ",\"attempted\":true}" : ",\"attempted\":false}";
    }
    // By name: symbol ids are the host process's, names are stable.
    out += "],\"positions\":{";
    sep = "";
    for (const auto& [name, p] : in_name_order(positions_, &position_order_)) {
      out += sep;
      sep = ",";
      put_string(out, *name);
      out += ":{\"qty\":";
      put_number(out, p->qty);
      out += ",\"avg_price\":";
      put_number(out, p->avg_price);
      out += ",\"mark\":";
      put_number(out, p->mark);
      out += '}';
    }
    out += "},\"mids\":{";
    sep = "";
    for (const auto& [name, m] : in_name_order(mids_, &mid_order_)) {
      out += sep;
      sep = ",";
      put_string(out, *name);
      out += ':';
      put_number(out, *m);
    }
    out += '}';
    if (have_last_minute_) {
      out += ",\"last_minute_ts_ns\":";
      put_int(out, last_minute_ts_ns_);
    }
    out += '}';
    return out;
  }

  void load_state(const std::string& bytes) override {
    if (bytes.empty()) return;
    const sh::Json j = sh::Json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw std::runtime_error("paper_venue state: not a JSON object");
    if (j.value("v", 0) != 1)
      throw std::runtime_error("paper_venue state: unknown version " + j.value("v", sh::Json()).dump());
    try {
      std::map<uint64_t, Order> working;
      std::unordered_map<std::string, uint64_t> by_id;
      uint64_t next_seq = j.at("next_seq").get<uint64_t>();
      for (const sh::Json& x : j.at("orders")) {
        Order o;
        o.seq = x.at("seq").get<uint64_t>();
        o.id = x.at("id").get<std::string>();
        o.venue_id = "pv-" + std::to_string(o.seq);
        o.symbol = intern(x.at("symbol").get<std::string>());
        o.ts_ns = x.at("ts_ns").get<int64_t>();
        o.side = x.at("side").get<sh_side>();
        o.type = x.at("type").get<sh_order_type>();
        o.tif = x.at("tif").get<sh_time_in_force>();
        o.flags = x.at("flags").get<uint32_t>();
        o.qty = x.at("qty").get<double>();
        o.limit = read_opt(x.at("limit"));
        o.ref_price = read_opt(x.at("ref_price"));
        o.cum_qty = x.at("cum_qty").get<double>();
        o.attempted = x.at("attempted").get<bool>();
        if (o.id.empty() || !positive(o.qty) || !(o.cum_qty >= 0.0) || o.cum_qty > o.qty ||
            (o.side != SH_SIDE_BUY && o.side != SH_SIDE_SELL) ||
            (o.type != SH_ORDER_MARKET && o.type != SH_ORDER_LIMIT) ||
            (o.tif != SH_TIF_GTC && o.tif != SH_TIF_IOC && o.tif != SH_TIF_FOK) ||
            (o.type == SH_ORDER_LIMIT && !positive(o.limit)) || o.seq == 0 || o.seq >= next_seq)
          throw std::runtime_error("order '" + o.id + "' is incomplete");
        if (!by_id.emplace(o.id, o.seq).second || working.count(o.seq))
          throw std::runtime_error("order '" + o.id + "' appears twice");
        working.emplace(o.seq, std::move(o));
      }
      std::map<sh_symbol_id, Position> positions;
      for (const auto& [name, x] : j.at("positions").items()) {
        Position p;
        p.qty = x.at("qty").get<double>();
        p.avg_price = x.at("avg_price").get<double>();
        p.mark = read_opt(x.at("mark"));
        if (!std::isfinite(p.qty) || !std::isfinite(p.avg_price))
          throw std::runtime_error("position '" + name + "' is incomplete");
        positions[intern(name)] = p;
      }
      std::map<sh_symbol_id, double> mids;
      for (const auto& [name, x] : j.at("mids").items()) {
        const double m = x.get<double>();
        if (!positive(m)) throw std::runtime_error("mid of '" + name + "' is not > 0");
        mids[intern(name)] = m;
      }
      const bool have_last = j.contains("last_minute_ts_ns");
      const int64_t last = have_last ? j.at("last_minute_ts_ns").get<int64_t>() : 0;
      // All read: replace (books come back with the feed; finished ids are
      // the host's to remember).
      working_ = std::move(working);
      by_id_ = std::move(by_id);
      positions_ = std::move(positions);
      mids_ = std::move(mids);
      next_seq_ = next_seq;
      have_last_minute_ = have_last;
      last_minute_ts_ns_ = last;
      finished_.clear();
      finished_order_.clear();
      books_.clear();
    } catch (const sh::Json::exception& e) {
      throw std::runtime_error(std::string("paper_venue state: ") + e.what());
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("paper_venue state: ") + e.what());
    }
  }

 private:
  // ---------------------------------------------------------- helpers ---
  static std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
  }
  std::string name_of(sh_symbol_id symbol) const {
    const char* name = host().symbol_name(symbol);
    return name != nullptr ? name : "";
  }
  // save_state() runs every minute over every symbol: names are asked of
  // the host once per id, and a map's name order is sorted again only when
  // its set of ids changed.
  // (An id the host has no name for is asked again each time.)
  const std::string& cached_name(sh_symbol_id symbol) const {
    if (symbol >= names_.size()) names_.resize(symbol + 1);
    if (names_[symbol].empty()) names_[symbol] = name_of(symbol);
    return names_[symbol];
  }
  struct NameOrder {
    std::vector<sh_symbol_id> ids;  // the map's ids (ascending) when `order` was made
    std::vector<uint32_t> order;    // indexes into ids, in name order
  };
  template <typename V>
  std::vector<std::pair<const std::string*, const V*>> in_name_order(const std::map<sh_symbol_id, V>& m,
                                                                     NameOrder* cache) const {
    std::vector<sh_symbol_id> ids;
    std::vector<const V*> values;
    ids.reserve(m.size());
    values.reserve(m.size());
    for (const auto& [id, v] : m) {
      ids.push_back(id);
      values.push_back(&v);
    }
    if (ids != cache->ids) {
      cache->ids = ids;
      cache->order.resize(ids.size());
      for (uint32_t i = 0; i < ids.size(); ++i) cache->order[i] = i;
      std::stable_sort(cache->order.begin(), cache->order.end(),
                       [&](uint32_t a, uint32_t b) { return cached_name(ids[a]) < cached_name(ids[b]); });
    }
    std::vector<std::pair<const std::string*, const V*>> out;
    out.reserve(ids.size());
    for (uint32_t i : cache->order) out.emplace_back(&cached_name(ids[i]), values[i]);
    return out;
  }
  template <typename Int>
  static void put_int(std::string& out, Int v) { sh::json_text::put_int(out, v); }
  static void put_number(std::string& out, double v) { sh::json_text::put_number(out, v); }
  static void put_string(std::string& out, const std::string& s) { sh::json_text::put_string(out, s); }
  static double read_opt(const sh::Json& v) { return v.is_null() ? sh::kNull : v.get<double>(); }
  sh_symbol_id intern(const std::string& name) const {
    const sh_symbol_id id = host().intern(name);
    if (id == SH_INVALID_SYMBOL) throw std::runtime_error("cannot intern symbol '" + name + "'");
    return id;
  }
  static sh_order_state state_of(const Order& o) {
    return o.cum_qty > 0.0 ? SH_ORDER_PARTIALLY_FILLED : SH_ORDER_ACKNOWLEDGED;
  }
  template <typename M>
  static void set_level(M& side, double price, double size) {
    if (positive(size)) side[price] = size;
    else side.erase(price);
  }
  bool book_empty(sh_symbol_id symbol) const {
    auto it = books_.find(symbol);
    return it == books_.end() || it->second.empty();
  }

  sh_status emit(const sh::VenueSink& sink, const Order& o, sh_order_state state, double last_qty,
                 double last_price, double ref_price, double fee, sh_liquidity liq,
                 sh_venue_reason reason, int64_t ts_ns, const char* detail) const {
    sh_venue_report r{};
    r.struct_size = sizeof r;
    r.state = state;
    r.client_order_id = o.id.c_str();
    r.venue_order_id = o.venue_id.empty() ? nullptr : o.venue_id.c_str();
    r.symbol = o.symbol;
    r.side = o.side;
    r.ts_ns = ts_ns;
    r.last_qty = last_qty;
    r.last_price = last_price;
    r.ref_price = ref_price;
    r.fee_usd = fee;
    r.cum_qty = o.cum_qty;
    const bool is_final = state == SH_ORDER_FILLED || state == SH_ORDER_CANCELED ||
                          state == SH_ORDER_REJECTED || state == SH_ORDER_EXPIRED;
    r.leaves_qty = is_final ? 0.0 : o.leaves();
    r.liquidity = liq;
    r.reason = reason;
    r.detail = detail;
    sink.report(r);
    return SH_OK;
  }

  sh_status reject(Order& o, sh_venue_reason reason, const std::string& detail,
                   const sh::VenueSink& sink) {
    host().add(c_rejects_);
    emit(sink, o, SH_ORDER_REJECTED, 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN, reason,
         o.ts_ns, detail.c_str());
    if (!o.id.empty())
      remember_finished(o.id, Finished{SH_ORDER_REJECTED, reason, o.symbol, o.side, 0.0, std::string()});
    return SH_OK;
  }

  // Reports the order's final state and forgets it as working (the caller
  // erases it from working_ unless `erase_now`).
  void finish(Order& o, sh_order_state state, sh_venue_reason reason, int64_t ts_ns,
              const char* detail, const sh::VenueSink& sink, bool erase_now = true) {
    if (state == SH_ORDER_CANCELED) host().add(c_cancels_);
    if (state == SH_ORDER_EXPIRED) host().add(c_expires_);
    emit(sink, o, state, 0, sh::kNull, sh::kNull, 0, SH_LIQUIDITY_UNKNOWN, reason, ts_ns, detail);
    remember_finished(o.id, Finished{state, reason, o.symbol, o.side, o.cum_qty, o.venue_id});
    if (erase_now) erase(o.seq);
  }
  void erase(uint64_t seq) {
    auto it = working_.find(seq);
    if (it == working_.end()) return;
    by_id_.erase(it->second.id);
    working_.erase(it);
  }

  // Reduce-only: what is left to close in the order's direction (the rest
  // of the order when it is not reduce-only).
  double allowed_qty(const Order& o) const {
    if (!o.reduce_only()) return o.leaves();
    auto it = positions_.find(o.symbol);
    const double held = it != positions_.end() ? it->second.qty : 0.0;
    const bool closes = o.buy() ? held < 0.0 : held > 0.0;
    return closes ? std::min(o.leaves(), std::fabs(held)) : 0.0;
  }
  // Clamps a reduce-only order before a fill; false (and CANCELED) when
  // nothing is left to reduce. Finishes the order itself in that case.
  bool clamp_reduce_only(Order& o, int64_t ts_ns, const sh::VenueSink& sink) {
    if (!o.reduce_only()) return true;
    const double allowed = allowed_qty(o);
    if (allowed <= kQtyEpsilon) {
      finish(o, SH_ORDER_CANCELED, SH_VENUE_REASON_REDUCE_ONLY, ts_ns,
             "reduce-only: no position left to reduce", sink, false);
      return false;
    }
    o.qty = o.cum_qty + allowed;
    return true;
  }

  // One fill: position, counters, the report. Returns true when it filled
  // the order.
  bool fill(Order& o, double qty, double price, double ref, sh_liquidity liq, int64_t ts_ns,
            const sh::VenueSink& sink) {
    const double fee_bps = liq == SH_LIQUIDITY_MAKER ? config_.maker_fee_bps : config_.taker_fee_bps;
    const double fee = qty * price * fee_bps / 1e4;
    o.cum_qty += qty;
    if (o.qty - o.cum_qty <= kQtyEpsilon) o.cum_qty = o.qty;
    apply_position(o.symbol, o.buy() ? qty : -qty, price);
    host().add(c_fills_);
    const bool done = o.leaves() <= 0.0;
    emit(sink, o, done ? SH_ORDER_FILLED : SH_ORDER_PARTIALLY_FILLED, qty, price, ref, fee, liq,
         SH_VENUE_REASON_NONE, ts_ns, nullptr);
    if (done) {
      remember_finished(o.id, Finished{SH_ORDER_FILLED, SH_VENUE_REASON_NONE, o.symbol, o.side, o.cum_qty,
                                       o.venue_id});
    }
    return done;
  }

  // Average cost, as the host's broker keeps it.
  void apply_position(sh_symbol_id symbol, double d, double price) {
    Position& p = positions_[symbol];
    if (p.qty == 0.0 || (p.qty > 0.0) == (d > 0.0)) {
      const double new_qty = p.qty + d;
      p.avg_price = (std::fabs(p.qty) * p.avg_price + std::fabs(d) * price) / std::fabs(new_qty);
      p.qty = new_qty;
    } else {
      if (std::fabs(d) > std::fabs(p.qty)) p.avg_price = price;  // flipped
      else if (std::fabs(d) == std::fabs(p.qty)) p.avg_price = 0.0;
      p.qty = std::fabs(d) == std::fabs(p.qty) ? 0.0 : p.qty + d;
    }
    p.mark = price;
  }

  double slipped(const Order& o, double ref) const {
    const double dir = o.buy() ? 1.0 : -1.0;
    return ref + dir * ref * config_.slippage_bps / 10000.0;
  }

  // ------------------------------------------------------ at submit ---
  void fill_at_once(Order& o, const sh::VenueSink& sink) {
    if (config_.fill == FillMode::kBook) {
      // A symbol without any book is filled on bars, as in next_open mode.
      if (!book_empty(o.symbol) && take(o, o.ts_ns, sink)) erase(o.seq);
      return;
    }
    if (config_.fill != FillMode::kMid || o.type != SH_ORDER_MARKET) return;
    auto it = mids_.find(o.symbol);
    const double ref = it != mids_.end() ? it->second : o.ref_price;
    if (!positive(ref)) return;  // waits for the next bar
    if (!clamp_reduce_only(o, o.ts_ns, sink)) {
      erase(o.seq);
      return;
    }
    if (fill(o, o.leaves(), slipped(o, ref), ref, SH_LIQUIDITY_TAKER, o.ts_ns, sink)) erase(o.seq);
  }

  // --------------------------------------------------------- on bars ---
  // Fills or expires `o` on bar `b` (it is eligible); true when it is final.
  bool fill_on_bar(Order& o, const sh_venue_bar& b, const sh::VenueSink& sink) {
    const int64_t ts = b.minute_ts_ns;
    double price = sh::kNull, ref = sh::kNull;
    sh_liquidity liq = SH_LIQUIDITY_TAKER;
    if (o.type == SH_ORDER_MARKET) {
      if (!positive(b.open)) return false;  // stays pending
      ref = b.open;
      price = slipped(o, ref);
    } else if (positive(b.open)) {
      const bool crosses = o.buy() ? std::isfinite(b.low) && b.low <= o.limit
                                   : std::isfinite(b.high) && b.high >= o.limit;
      if (crosses) {
        price = o.buy() ? std::min(b.open, o.limit) : std::max(b.open, o.limit);
        ref = b.open;
        liq = price == o.limit ? SH_LIQUIDITY_MAKER : SH_LIQUIDITY_TAKER;
      }
    }
    if (!positive(price)) {
      if (o.tif == SH_TIF_GTC || !positive(b.open)) return false;
      finish(o, SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY, ts,
             "IOC/FOK: the bar did not reach the limit", sink, false);
      return true;
    }
    if (!clamp_reduce_only(o, ts, sink)) return true;
    return fill(o, o.leaves(), price, ref, liq, ts, sink);
  }

  // ------------------------------------------------------- book mode ---
  // The levels `o` may take from, best first: the opposite side's L2 (only
  // those at or better than a limit), else its BBO.
  std::vector<Level> levels_for(const Order& o) {
    std::vector<Level> out;
    Book& bk = books_[o.symbol];
    const bool limit = o.type == SH_ORDER_LIMIT;
    if (o.buy()) {
      if (!bk.asks.empty()) {
        for (auto& [price, size] : bk.asks) {
          if (limit && price > o.limit) break;
          out.push_back({price, &size});
        }
      } else if (positive(bk.ask) && positive(bk.ask_size) && (!limit || bk.ask <= o.limit)) {
        out.push_back({bk.ask, &bk.ask_size});
      }
    } else {
      if (!bk.bids.empty()) {
        for (auto& [price, size] : bk.bids) {
          if (limit && price < o.limit) break;
          out.push_back({price, &size});
        }
      } else if (positive(bk.bid) && positive(bk.bid_size) && (!limit || bk.bid >= o.limit)) {
        out.push_back({bk.bid, &bk.bid_size});
      }
    }
    return out;
  }

  // The taker match: walk the levels; then the TIF decides on the rest.
  // True when the order is final.
  bool take(Order& o, int64_t ts, const sh::VenueSink& sink) {
    o.attempted = true;
    if (!clamp_reduce_only(o, ts, sink)) return true;
    std::vector<Level> levels = levels_for(o);
    if (o.tif == SH_TIF_FOK) {
      double visible = 0.0;
      for (const Level& l : levels) visible += *l.size;
      if (visible + kQtyEpsilon < o.leaves()) {
        finish(o, SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY, ts,
               "FOK: visible liquidity is short of the quantity", sink, false);
        return true;
      }
    }
    for (Level& l : levels) {
      if (o.leaves() <= 0.0) break;
      const double q = std::min(*l.size, o.leaves());
      if (!(q > kQtyEpsilon)) continue;
      *l.size -= q;
      if (fill(o, q, l.price, l.price, SH_LIQUIDITY_TAKER, ts, sink)) break;
    }
    prune(books_[o.symbol]);
    if (o.leaves() <= 0.0) return true;
    if (o.tif != SH_TIF_GTC) {
      finish(o, SH_ORDER_EXPIRED, SH_VENUE_REASON_NO_LIQUIDITY, ts,
             "IOC: the rest found no liquidity", sink, false);
      return true;
    }
    return false;  // GTC: works on (a market order as the book refills, a limit rests)
  }

  static void prune(Book& bk) {
    for (auto it = bk.asks.begin(); it != bk.asks.end();)
      it = it->second > kQtyEpsilon ? std::next(it) : bk.asks.erase(it);
    for (auto it = bk.bids.begin(); it != bk.bids.end();)
      it = it->second > kQtyEpsilon ? std::next(it) : bk.bids.erase(it);
  }

  // A resting limit (already matched once): MAKER at its limit when a trade
  // prints at or through it, or the opposite best crosses it.
  bool rest_check(Order& o, int64_t eligible, int64_t batch_ts,
                  const std::vector<std::pair<int64_t, double>>& trades, const sh::VenueSink& sink) {
    int64_t ts = -1;
    for (const auto& [t, price] : trades) {
      if (t < eligible) continue;
      if (o.buy() ? price <= o.limit : price >= o.limit) {
        ts = t;
        break;
      }
    }
    if (ts < 0) {
      const Book& bk = books_[o.symbol];
      double best = sh::kNull;
      if (o.buy()) best = !bk.asks.empty() ? bk.asks.begin()->first : bk.ask;
      else best = !bk.bids.empty() ? bk.bids.begin()->first : bk.bid;
      if (positive(best) && (o.buy() ? best <= o.limit : best >= o.limit)) ts = batch_ts;
    }
    if (ts < 0) return false;
    if (!clamp_reduce_only(o, ts, sink)) return true;
    return fill(o, o.leaves(), o.limit, o.limit, SH_LIQUIDITY_MAKER, ts, sink);
  }

  Config config_;
  uint32_t c_submitted_, c_fills_, c_rejects_, c_cancels_, c_expires_;

  uint64_t next_seq_ = 1;
  std::map<uint64_t, Order> working_;  // by submission sequence
  std::unordered_map<std::string, uint64_t> by_id_;
  // The last kFinishedKept finished orders, by client order id (not
  // persisted): a resubmit of one is answered with its final state. Bounded:
  // a host trading for weeks would otherwise grow it by every order.
  static constexpr size_t kFinishedKept = 100000;
  std::unordered_map<std::string, Finished> finished_;
  std::deque<std::string> finished_order_;  // finished_'s ids, oldest first
  void remember_finished(const std::string& id, Finished f) {
    if (!finished_.insert_or_assign(id, std::move(f)).second) return;  // already known: updated
    finished_order_.push_back(id);
    if (finished_order_.size() > kFinishedKept) {
      finished_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
  std::map<sh_symbol_id, Position> positions_;
  std::map<sh_symbol_id, double> mids_;  // the last minute's
  std::vector<std::pair<sh_symbol_id, const sh_venue_bar*>> bar_index_;  // on_bars' scratch
  std::map<sh_symbol_id, Book> books_;   // not persisted
  bool have_last_minute_ = false;
  int64_t last_minute_ts_ns_ = 0;
  mutable std::vector<std::string> names_;  // cached_name(), by symbol id; "" not asked yet
  mutable NameOrder position_order_, mid_order_;
};

}  // namespace

SH_EXPORT_PLUGIN(PaperVenue)
