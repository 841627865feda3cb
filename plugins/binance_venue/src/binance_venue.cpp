// binance_venue: the Binance Spot execution venue (plugin kind venue, ABI
// 1.4). See README.md.
//
// Threads: the pipeline thread calls submit / cancel / poll / query_*; a
// worker thread sends the signed REST requests (POST/DELETE/GET
// /api/v3/order) one at a time; a stream thread keeps the User Data Stream
// (WebSocket API) subscribed. The worker and the stream never call the host:
// they queue reports, log lines and counter bumps under mu_, and poll() (or
// the next submit / cancel) hands them over on the pipeline thread.
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "error_map.h"
#include "exchange/decimal.h"
#include "rest_client.h"
#include "signing.h"
#include "user_stream.h"

namespace binance_venue {
namespace {

using Clock = std::chrono::steady_clock;
using sh::Json;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A decimal field that Binance prints as a string (a number is accepted too).
double num(const Json& j, const char* key, double fallback = 0.0) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    double v = 0.0;
    if (exchange::parse_decimal(it->get_ref<const std::string&>(), &v)) return v;
  }
  return fallback;
}
int64_t int_field(const Json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->get<int64_t>();
}
std::string str_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string read_secret_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sh::ConfigError(std::string(what) + ": cannot read file " + path);
  std::stringstream s;
  s << in.rdbuf();
  std::string v = s.str();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  size_t b = 0;
  while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
  v = v.substr(b);
  if (v.empty()) throw sh::ConfigError(std::string(what) + ": file " + path + " is empty");
  return v;
}

// One source per credential: exactly one of <name>_env, <name>_file.
std::string read_credential(const Json& cfg, const std::string& name, const char* what) {
  const bool env = cfg.contains(name + "_env"), file = cfg.contains(name + "_file");
  if (env == file)
    throw sh::ConfigError(std::string(what) + ": set exactly one of " + name + "_env, " + name + "_file");
  if (env) {
    const std::string var = cfg.at(name + "_env").get<std::string>();
    const char* v = std::getenv(var.c_str());
    if (v == nullptr || *v == '\0')
      throw sh::ConfigError(std::string(what) + ": environment variable " + var + " is unset or empty");
    return v;
  }
  return read_secret_file(cfg.at(name + "_file").get<std::string>(), what);
}

const char* side_name(sh_side s) { return s == SH_SIDE_BUY ? "BUY" : "SELL"; }
const char* tif_name(sh_time_in_force t) {
  return t == SH_TIF_IOC ? "IOC" : t == SH_TIF_FOK ? "FOK" : "GTC";
}
bool is_final(sh_order_state s) {
  return s == SH_ORDER_FILLED || s == SH_ORDER_CANCELED || s == SH_ORDER_REJECTED ||
         s == SH_ORDER_EXPIRED;
}

// Quote assets worth one USD, for fees and the base-asset split.
const char* const kUsdQuotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "DAI", "USD"};
const char* const kOtherQuotes[] = {"BTC", "ETH", "BNB", "EUR", "TRY", "BRL", "JPY", "GBP"};

}  // namespace

class BinanceVenue final : public sh::Venue {
 public:
  static constexpr const char* kName = "binance_venue";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Binance Spot execution venue: signed REST orders on a worker thread, the User Data Stream "
      "over the WebSocket API, reports from poll()";
  static constexpr const char* kConfigSchema = R"json({
    "type": "object",
    "properties": {
      "rest_url": {"type": "string", "default": "https://testnet.binance.vision",
                   "description": "REST base URL (mainnet: https://api.binance.com)"},
      "ws_url": {"type": "string", "default": "wss://ws-api.testnet.binance.vision/ws-api/v3",
                 "description": "WebSocket API URL for the User Data Stream (mainnet: wss://ws-api.binance.com:443/ws-api/v3)"},
      "api_key_env": {"type": "string", "minLength": 1},
      "api_key_file": {"type": "string", "format": "path"},
      "secret_env": {"type": "string", "minLength": 1},
      "secret_file": {"type": "string", "format": "path"},
      "recv_window_ms": {"type": "integer", "minimum": 100, "maximum": 60000, "default": 5000},
      "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 60000, "default": 5000},
      "symbols": {"type": "object", "minProperties": 1,
                  "additionalProperties": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"}},
      "ca_file": {"type": "string", "format": "path"},
      "new_order_resp_type": {"type": "string", "enum": ["FULL", "RESULT"], "default": "FULL"},
      "user_stream": {"type": "boolean", "default": true},
      "stream_stale_timeout_ms": {"type": "integer", "minimum": 1000, "maximum": 600000, "default": 65000,
                                  "description": "no frame and no ping for that long: reconnect (Binance pings every 20 s)"}
    },
    "required": ["symbols"],
    "additionalProperties": false
  })json";

  // The orders Binance may hold (client order id <-> host key, symbol,
  // quantities), so that a restarted host's keys still name them: hashed
  // ids cannot be reversed. Orders, fills and positions are Binance's.
  static constexpr bool kDurableState = true;

  BinanceVenue(const sh::Host& host, const Json& cfg) : sh::Venue(host) {
    static const std::set<std::string> kKeys = {
        "rest_url",  "ws_url",      "api_key_env", "api_key_file", "secret_env",
        "secret_file", "recv_window_ms", "timeout_ms", "symbols", "ca_file",
        "new_order_resp_type", "user_stream", "stream_stale_timeout_ms"};
    if (!cfg.is_object()) throw sh::ConfigError("config must be an object");
    for (auto it = cfg.begin(); it != cfg.end(); ++it)
      if (kKeys.count(it.key()) == 0) throw sh::ConfigError("unknown config key '" + it.key() + "'");
    rest_url_ = cfg.value("rest_url", std::string("https://testnet.binance.vision"));
    ws_url_ = cfg.value("ws_url", std::string("wss://ws-api.testnet.binance.vision/ws-api/v3"));
    recv_window_ms_ = cfg.value("recv_window_ms", 5000);
    if (recv_window_ms_ < 100 || recv_window_ms_ > 60000)
      throw sh::ConfigError("recv_window_ms must be 100..60000");
    timeout_ms_ = cfg.value("timeout_ms", 5000);
    if (timeout_ms_ < 100 || timeout_ms_ > 60000) throw sh::ConfigError("timeout_ms must be 100..60000");
    const int stale_ms = cfg.value("stream_stale_timeout_ms", 65000);
    if (stale_ms < 1000 || stale_ms > 600000)
      throw sh::ConfigError("stream_stale_timeout_ms must be 1000..600000");
    resp_type_ = cfg.value("new_order_resp_type", std::string("FULL"));
    if (resp_type_ != "FULL" && resp_type_ != "RESULT")
      throw sh::ConfigError("new_order_resp_type must be FULL or RESULT");
    const std::string ca_file = cfg.value("ca_file", std::string());
    if (!cfg.contains("symbols") || !cfg["symbols"].is_object() || cfg["symbols"].empty())
      throw sh::ConfigError("symbols: a map of host symbol -> Binance symbol is required");
    for (auto it = cfg["symbols"].begin(); it != cfg["symbols"].end(); ++it) {
      if (!it->is_string() || it->get<std::string>().empty())
        throw sh::ConfigError("symbols." + it.key() + ": a Binance symbol string is required");
      const std::string b = it->get<std::string>();
      for (unsigned char c : b)
        if (!std::isupper(c) && !std::isdigit(c))
          throw sh::ConfigError("symbols." + it.key() + ": '" + b + "' is not a Binance symbol (A-Z, 0-9)");
      Sym s;
      s.host_name = it.key();
      s.binance = b;
      split_symbol(b, &s.base, &s.quote);
      s.id = host.intern(it.key());
      by_host_[it.key()] = s;
      by_binance_[b] = s;
    }
    api_key_ = read_credential(cfg, "api_key", "api key");
    secret_ = read_credential(cfg, "secret", "secret");
    for (const auto& [name, s] : by_host_)
      if (s.base.empty())
        host.warn("binance_venue: symbol " + s.binance + " (" + name +
                  "): no known quote asset suffix; its position is not reported");
    try {
      rest_ = std::make_unique<RestClient>(rest_url_, ca_file, timeout_ms_);
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("rest_url / ca_file: ") + e.what());
    }
    for (const char* name : kCounters) counters_[name] = host.counter(name);
    if (cfg.value("user_stream", true)) {
      UserStreamHooks hooks;
      hooks.subscribe_request = [this] { return subscribe_request(); };
      hooks.on_subscribed = [this](bool ok, int code, const std::string& msg, bool again) {
        on_subscribed(ok, code, msg, again);
      };
      hooks.on_event = [this](const char* data, size_t len) { on_stream_event(data, len); };
      hooks.on_disconnect = [this](const std::string& why, double delay_ms) {
        std::lock_guard<std::mutex> lock(mu_);
        bump("stream_disconnects");
        log_locked(SH_LOG_WARN, "binance_venue: user data stream ended (" + why + "); reconnecting in " +
                                    std::to_string(static_cast<int64_t>(delay_ms)) + " ms");
      };
      try {
        stream_ = std::make_unique<UserStream>(ws_url_, ca_file, timeout_ms_, stale_ms, std::move(hooks));
      } catch (const std::exception& e) {
        throw sh::ConfigError(std::string("ws_url / ca_file: ") + e.what());
      }
    }
    host.info("binance_venue: REST " + rest_url_ + ", user data stream " +
              (stream_ ? ws_url_ : std::string("off")) + ", " + std::to_string(by_host_.size()) +
              " symbol(s), recvWindow " + std::to_string(recv_window_ms_) + " ms");
    worker_ = std::thread([this] { worker_loop(); });
    if (stream_) stream_->start();
  }

  ~BinanceVenue() override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Cancels already asked for (an emergency stop or a flatten just
      // before the host stops) still go out, for a bounded time: an order
      // the operator stopped must not stay resting at Binance. Orders not
      // yet sent are dropped (a restart rejects them, never sends them late).
      draining_ = true;
      cv_.notify_all();
      const auto deadline = Clock::now() + kDrainCancels;
      cv_.wait_until(lock, deadline, [&] {
        return running_cid_.empty() &&
               std::none_of(jobs_.begin(), jobs_.end(), [](const Job& j) { return j.kind == Job::kCancel; });
      });
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (stream_) stream_->stop();
  }

  sh_venue_capabilities capabilities() const override {
    sh_venue_capabilities c{};
    c.flags = 0;  // a real exchange: not simulated, no bars, no events
    c.order_types = (1u << SH_ORDER_MARKET) | (1u << SH_ORDER_LIMIT);
    c.time_in_force = (1u << SH_TIF_GTC) | (1u << SH_TIF_IOC) | (1u << SH_TIF_FOK);
    c.maker_fee_bps = sh::kNull;  // per account; fees come with each fill
    c.taker_fee_bps = sh::kNull;
    return c;
  }

  sh_status submit(const sh_venue_order& order, const sh::VenueSink& sink) override {
    flush();
    const std::string key = order.client_order_id;
    const int64_t now = host().now_ns();
    auto reject = [&](sh_venue_reason reason, const std::string& detail) {
      Report r;
      r.state = SH_ORDER_REJECTED;
      r.key = key;
      r.symbol = order.symbol;
      r.side = order.side;
      r.ts_ns = now;
      r.ref_price = order.ref_price;
      r.reason = reason;
      r.detail = detail;
      std::lock_guard<std::mutex> lock(mu_);
      bump(counter_for(reason));
      bump("rejects");
      log_locked(SH_LOG_WARN, "binance_venue: order " + key + " rejected: " + detail);
      remember_refused_locked(key, r);
      out_.push_back(r);
    };
    bool known = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto k = cid_by_key_.find(key);
      if (k != cid_by_key_.end()) {  // idempotent: its state, nothing sent
        const Order& o = orders_.at(k->second);
        out_.push_back(state_report(o, now));
      } else if (auto d = done_keys_.find(key); d != done_keys_.end()) {
        Report r = d->second;
        r.last_qty = 0.0;
        out_.push_back(r);
      } else {
        known = false;
      }
    }
    if (known) {
      flush_reports(sink);
      return SH_OK;
    }
    const std::string sym_name = host().symbol_name(order.symbol);
    auto s = by_host_.find(sym_name);
    const double limit = order.type == SH_ORDER_LIMIT ? order.limit_price : sh::kNull;
    if (s == by_host_.end()) {
      reject(SH_VENUE_REASON_UNKNOWN_SYMBOL,
             "symbol '" + sym_name + "' has no Binance symbol in the venue's config (symbols)");
    } else if (order.side != SH_SIDE_BUY && order.side != SH_SIDE_SELL) {
      reject(SH_VENUE_REASON_INVALID_ORDER, "side must be BUY or SELL");
    } else if (!(std::isfinite(order.qty) && order.qty > 0.0)) {
      reject(SH_VENUE_REASON_INVALID_ORDER, "qty must be finite and > 0");
    } else if (order.type != SH_ORDER_MARKET && order.type != SH_ORDER_LIMIT) {
      reject(SH_VENUE_REASON_UNSUPPORTED, "type must be MARKET or LIMIT");
    } else if (order.tif != SH_TIF_GTC && order.tif != SH_TIF_IOC && order.tif != SH_TIF_FOK) {
      reject(SH_VENUE_REASON_UNSUPPORTED, "time in force must be GTC, IOC or FOK");
    } else if (order.type == SH_ORDER_LIMIT && !(std::isfinite(limit) && limit > 0.0)) {
      reject(SH_VENUE_REASON_INVALID_ORDER, "limit_price must be finite and > 0 on a LIMIT order");
    } else if (banned()) {
      reject(SH_VENUE_REASON_RATE_LIMITED, "IP banned by Binance (HTTP 418) for " +
                                               std::to_string(ban_left_s()) + " s more");
    } else {
      const std::string cid = binance_client_id(key);
      std::lock_guard<std::mutex> lock(mu_);
      if (orders_.count(cid) != 0) {  // two keys, one hash: never sent twice
        Report r;
        r.state = SH_ORDER_REJECTED;
        r.key = key;
        r.symbol = order.symbol;
        r.side = order.side;
        r.ts_ns = now;
        r.reason = SH_VENUE_REASON_DUPLICATE;
        r.detail = "client order id " + cid + " already used by another key";
        remember_refused_locked(key, r);
        out_.push_back(r);
      } else {
        Order o;
        o.key = key;
        o.cid = cid;
        o.sym = s->second;
        o.side = order.side;
        o.type = order.type;
        o.tif = order.tif;
        o.qty = order.qty;
        o.limit = limit;
        o.ref_price = order.ref_price;
        o.reduce_only = (order.flags & SH_ORDER_FLAG_REDUCE_ONLY) != 0;
        prune_locked();
        orders_[cid] = o;
        order_seq_.push_back(cid);
        cid_by_key_[key] = cid;
        Job j;
        j.kind = Job::kPlace;
        j.cid = cid;
        jobs_.push_back(j);
        held_[cid] = false;  // until a saved state names it (see flush)
        bump("orders_submitted");
        cv_.notify_all();
      }
    }
    flush_reports(sink);
    return SH_OK;
  }

  sh_status cancel(std::string_view id, const sh::VenueSink& sink) override {
    flush();
    const std::string key(id);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto k = cid_by_key_.find(key);
      if (k == cid_by_key_.end()) {
        if (done_keys_.count(key) != 0)
          throw sh::InvalidArgument("order " + key + " is already final (" +
                                    std::string(state_name(done_keys_[key].state)) + ")");
        throw sh::InvalidArgument("unknown order " + key + " (never submitted to this venue)");
      }
      Order& o = orders_.at(k->second);
      if (is_final(o.state))
        throw sh::InvalidArgument("order " + key + " is already final (" + state_name(o.state) + ")");
      o.cancel_requested = true;
      // Still queued and never sent (e.g. waiting out a 429): it never
      // reaches Binance.
      auto queued = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) {
        return j.kind == Job::kPlace && j.cid == o.cid;
      });
      if (queued != jobs_.end() && o.sends == 0) {
        jobs_.erase(queued);
        finish(o, SH_ORDER_CANCELED, SH_VENUE_REASON_NONE, "cancelled before it was sent",
               host().now_ns());
      } else {
        Job j;
        j.kind = Job::kCancel;
        j.cid = o.cid;
        jobs_.push_back(j);
        cv_.notify_all();
      }
    }
    flush_reports(sink);
    return SH_OK;
  }
  std::string save_state() const override {
    Json orders = Json::array();
    std::lock_guard<std::mutex> lock(mu_);
    durable_ = true;
    for (auto& [cid, saved] : held_) saved = true;  // named below: may leave at the next call
    for (const auto& [cid, o] : orders_) {
      if (is_final(o.state)) continue;
      orders.push_back({{"cid", cid}, {"key", o.key}, {"symbol", o.sym.host_name},
                        {"side", static_cast<int>(o.side)}, {"type", static_cast<int>(o.type)},
                        {"tif", static_cast<int>(o.tif)}, {"qty", o.qty}, {"sent_qty", o.sent_qty},
                        {"limit", std::isfinite(o.limit) ? Json(o.limit) : Json(nullptr)},
                        {"ref", std::isfinite(o.ref_price) ? Json(o.ref_price) : Json(nullptr)},
                        {"cum", o.cum}, {"quote_cum", o.quote_cum}, {"state", static_cast<int>(o.state)},
                        {"sends", o.sends}, {"venue_id", o.venue_id}});
    }
    // Reports queued for the host but not handed over yet: the orders above
    // already include them, the host's book (committed with this state)
    // does not. Saved, they are handed over after a restart, so a fill or
    // cancel that arrived just before the process ended is never lost.
    Json pending = Json::array();
    for (const Report& r : out_) pending.push_back(report_json(r));
    if (orders.empty() && pending.empty()) return std::string();
    Json state{{"version", 1}, {"orders", orders}};
    if (!pending.empty()) state["reports"] = std::move(pending);
    return state.dump();
  }

  // After a restart: the orders come back, and each is asked about
  // (GET /api/v3/order) so what happened meanwhile is reported; one never
  // sent is sent now, one whose send was unknown is queried first.
  void load_state(const std::string& bytes) override {
    if (bytes.empty()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      durable_ = true;
    }
    const Json j = Json::parse(bytes);
    if (!j.is_object() || j.value("version", 0) != 1 || !j.contains("orders"))
      throw std::runtime_error("binance_venue: unreadable state (version " + j.value("version", Json(0)).dump() + ")");
    std::lock_guard<std::mutex> lock(mu_);
    size_t unsent = 0;
    for (const Json& x : j.at("orders")) {
      Order o;
      o.cid = x.at("cid").get<std::string>();
      o.key = x.at("key").get<std::string>();
      auto s = by_host_.find(x.at("symbol").get<std::string>());
      if (s == by_host_.end()) {
        log_locked(SH_LOG_WARN, "binance_venue: restored order " + o.key + " is on symbol " +
                                    x.at("symbol").get<std::string>() + ", no longer configured; dropped");
        continue;
      }
      o.sym = s->second;
      o.side = x.at("side").get<int>();
      o.type = x.at("type").get<int>();
      o.tif = x.at("tif").get<int>();
      o.qty = x.at("qty").get<double>();
      o.sent_qty = x.at("sent_qty").get<double>();
      o.limit = x.at("limit").is_number() ? x.at("limit").get<double>() : sh::kNull;
      o.ref_price = x.at("ref").is_number() ? x.at("ref").get<double>() : sh::kNull;
      o.cum = x.at("cum").get<double>();
      o.quote_cum = x.at("quote_cum").get<double>();
      o.state = x.at("state").get<int>();
      o.sends = x.at("sends").get<int>();
      o.venue_id = x.at("venue_id").get<std::string>();
      Job job;
      job.cid = o.cid;
      cid_by_key_[o.key] = o.cid;
      job.kind = Job::kQuery;
      if (o.state == SH_ORDER_NEW) {
        // Queued or in flight when the last process ended: Binance may have
        // it (the state was saved before the send). Asked once recvWindow
        // has passed (a request still in flight is then refused); absent, it
        // is rejected: sent now it would be a stale decision.
        job.reject_if_missing = true;
        job.not_before = Clock::now() + std::chrono::milliseconds(recv_window_ms_ + 250);
        ++unsent;
      }
      orders_[o.cid] = o;
      order_seq_.push_back(o.cid);
      jobs_.push_back(job);
    }
    // Reports the last process queued but never handed over go first (the
    // host asks for its view only once they are out: throw_if_not_ready).
    size_t reports = 0;
    if (j.contains("reports"))
      for (const Json& x : j.at("reports")) {
        out_.push_back(report_from_json(x));
        ++reports;
      }
    log_locked(SH_LOG_INFO, "binance_venue: " + std::to_string(orders_.size()) +
                                " order(s) restored, " + std::to_string(unsent) +
                                " of them maybe never sent; asking Binance for their state" +
                                (reports > 0 ? "; " + std::to_string(reports) +
                                                   " report(s) the last run had not handed over yet follow"
                                             : std::string()));
    cv_.notify_all();
  }

  void poll(const sh::VenueSink& sink) override {
    flush();
    flush_reports(sink);
  }

  // Blocks the pipeline thread for at most timeout_ms per request (one
  // GET /api/v3/openOrders per configured symbol, weight 6 each).
  void query_orders(const sh::VenueSink& sink) override {
    flush();
    throw_if_not_ready();
    std::set<std::string> asked;  // two host symbols on one Binance symbol: asked once
    std::set<std::string> listed;  // client ids Binance lists as open
    for (const auto& [name, s] : by_host_) {
      if (!asked.insert(s.binance).second) continue;
      const Json arr = signed_get("/api/v3/openOrders", {{"symbol", s.binance}}, "query_orders");
      if (!arr.is_array()) throw std::runtime_error("query_orders: openOrders is not an array");
      for (const Json& j : arr) {
        const std::string cid = str_field(j, "clientOrderId");
        Report r;
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = orders_.find(cid);
          r.key = it != orders_.end() ? it->second.key : cid;
        }
        const double qty = num(j, "origQty"), exec = num(j, "executedQty");
        const std::string st = str_field(j, "status");
        r.state = exec > 0.0 || st == "PARTIALLY_FILLED" ? SH_ORDER_PARTIALLY_FILLED : SH_ORDER_ACKNOWLEDGED;
        r.venue_id = std::to_string(int_field(j, "orderId"));
        r.symbol = s.id;
        r.side = str_field(j, "side") == "SELL" ? SH_SIDE_SELL : SH_SIDE_BUY;
        r.ts_ns = int_field(j, "updateTime", int_field(j, "time")) * 1000000;
        r.cum_qty = exec;
        r.leaves_qty = std::max(0.0, qty - exec);
        emit(sink, r);
        listed.insert(cid);
      }
    }
    // The venue also holds what Binance does not list yet: orders queued
    // (a 429 back-off) or whose send is unknown; they are working (NEW).
    // One Binance no longer lists but this venue still holds as working
    // has ended there: it is asked about, its final report follows.
    std::vector<Report> held;
    size_t ended = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [cid, o] : orders_) {
        if (is_final(o.state) || listed.count(cid) != 0) continue;
        if (o.state == SH_ORDER_NEW) {
          held.push_back(state_report(o, host().now_ns()));
        } else {
          Job j;
          j.kind = Job::kQuery;
          j.cid = cid;
          jobs_.push_back(j);
          ++ended;
        }
      }
      cv_.notify_all();
    }
    // Not a view to compare with yet: the host would see those orders
    // missing, and their fills (in the account's balances) unbooked.
    if (ended > 0)
      throw sh::NotReady(std::to_string(ended) + " order(s) no longer open at Binance; asking what became of them");
    for (const Report& r : held) emit(sink, r);
  }

  // SH_WOULD_BLOCK while an order's state is being asked about (restored
  // orders after a restart, an unknown send, a stream gap) or reports wait
  // for poll: Binance's lists would not match what the host has booked.
  void throw_if_not_ready() {
    std::lock_guard<std::mutex> lock(mu_);
    size_t asking = queries_running_;
    for (const Job& j : jobs_) asking += j.kind == Job::kQuery ? 1 : 0;
    if (asking > 0)
      throw sh::NotReady(std::to_string(asking) + " order(s) still being asked about at Binance");
    if (!out_.empty()) throw sh::NotReady(std::to_string(out_.size()) + " report(s) waiting for poll");
  }

  // GET /api/v3/account (weight 20): the base asset's free + locked balance
  // of every configured symbol is its position (spot: no shorts).
  void query_positions(const sh::PositionSink& sink) override {
    flush();
    throw_if_not_ready();
    const Json acct = signed_get("/api/v3/account", {{"omitZeroBalances", "true"}}, "query_positions");
    std::map<std::string, double> bal;
    if (acct.contains("balances") && acct["balances"].is_array())
      for (const Json& b : acct["balances"]) bal[str_field(b, "asset")] += num(b, "free") + num(b, "locked");
    std::set<std::string> seen;  // two symbols on one base asset: reported once
    for (const auto& [name, s] : by_host_) {
      std::string base = s.base;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto f = filters_.find(s.binance); f != filters_.end() && f->second.known) base = f->second.base;
      }
      if (base.empty() || !seen.insert(base).second) continue;
      auto it = bal.find(base);
      if (it == bal.end() || it->second == 0.0) continue;
      sh_position p{};
      p.struct_size = sizeof p;
      p.symbol = s.id;
      p.qty = it->second;
      p.avg_price = sh::kNull;
      p.mark_price = sh::kNull;
      p.notional_usd = sh::kNull;
      p.unrealized_pnl_usd = sh::kNull;
      sink.emit(p);
    }
  }

 private:
  struct Sym {
    std::string host_name, binance, base, quote;
    sh_symbol_id id = SH_INVALID_SYMBOL;
  };
  // A symbol's trading rules (filters.md: LOT_SIZE, PRICE_FILTER) and
  // assets, from GET /api/v3/exchangeInfo.
  struct Filters {
    bool known = false;
    std::string base, quote;
    double step = 0, min_qty = 0, tick = 0;
    int qty_decimals = 8, price_decimals = 8;
  };
  struct Order {
    std::string key, cid;
    Sym sym;
    sh_side side = SH_SIDE_BUY;
    sh_order_type type = SH_ORDER_MARKET;
    sh_time_in_force tif = SH_TIF_GTC;
    double qty = 0, limit = 0, ref_price = 0;
    double sent_qty = 0;  // the quantity as sent (rounded down to the step); 0 before
    std::string venue_id;
    sh_order_state state = SH_ORDER_NEW;  // as reported to the host
    double cum = 0, quote_cum = 0;
    int64_t last_sent_ms = 0;  // the timestamp of the last POST that may have left
    int sends = 0;
    bool cancel_requested = false;
    bool reduce_only = false;
  };
  struct Report {
    sh_order_state state = SH_ORDER_NEW;
    std::string key, venue_id, detail;
    sh_symbol_id symbol = SH_INVALID_SYMBOL;
    sh_side side = SH_SIDE_BUY;
    int64_t ts_ns = 0;
    double last_qty = 0, last_price = 0, ref_price = sh::kNull, fee_usd = 0, cum_qty = 0,
           leaves_qty = 0;
    sh_liquidity liquidity = SH_LIQUIDITY_UNKNOWN;
    sh_venue_reason reason = SH_VENUE_REASON_NONE;
  };
  struct Job {
    enum Kind { kPlace, kCancel, kQuery };
    Kind kind = kPlace;
    std::string cid;
    Clock::time_point not_before{};
    int attempts = 0;
    bool resend_if_missing = false;  // kQuery after an unknown send
    bool reject_if_missing = false;  // kQuery of an order restored as NEW
    bool resync_clock = false;       // kPlace after a -1021: Binance's time first
    bool clock_synced = false;       // ... done once; a second -1021 rejects
  };

  // A report as save_state keeps it (the symbol by name: ids are the
  // host's, per run).
  Json report_json(const Report& r) const {  // mu_ held
    auto opt = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
    return {{"state", static_cast<int>(r.state)}, {"key", r.key}, {"venue_id", r.venue_id},
            {"detail", r.detail}, {"symbol", symbol_name(r.symbol)}, {"side", static_cast<int>(r.side)},
            {"ts_ns", r.ts_ns}, {"last_qty", r.last_qty}, {"last_price", r.last_price},
            {"ref", opt(r.ref_price)}, {"fee_usd", r.fee_usd}, {"cum_qty", r.cum_qty},
            {"leaves_qty", r.leaves_qty}, {"liquidity", static_cast<int>(r.liquidity)},
            {"reason", static_cast<int>(r.reason)}};
  }
  Report report_from_json(const Json& x) const {
    Report r;
    r.state = static_cast<sh_order_state>(x.at("state").get<int>());
    r.key = x.at("key").get<std::string>();
    r.venue_id = x.at("venue_id").get<std::string>();
    r.detail = x.at("detail").get<std::string>();
    auto s = by_host_.find(x.at("symbol").get<std::string>());
    r.symbol = s != by_host_.end() ? s->second.id : SH_INVALID_SYMBOL;
    r.side = static_cast<sh_side>(x.at("side").get<int>());
    r.ts_ns = x.at("ts_ns").get<int64_t>();
    r.last_qty = x.at("last_qty").get<double>();
    r.last_price = x.at("last_price").get<double>();
    r.ref_price = x.at("ref").is_number() ? x.at("ref").get<double>() : sh::kNull;
    r.fee_usd = x.at("fee_usd").get<double>();
    r.cum_qty = x.at("cum_qty").get<double>();
    r.leaves_qty = x.at("leaves_qty").get<double>();
    r.liquidity = static_cast<sh_liquidity>(x.at("liquidity").get<int>());
    r.reason = static_cast<sh_venue_reason>(x.at("reason").get<int>());
    return r;
  }
  std::string symbol_name(sh_symbol_id id) const {
    for (const auto& [name, s] : by_host_)
      if (s.id == id) return name;
    return std::string();
  }

  static constexpr const char* kCounters[] = {
      "orders_submitted", "orders_sent", "fills", "rejects", "cancels", "expires",
      "unauthorized", "clock_skew", "unknown_symbol", "insufficient_funds", "invalid_order",
      "rate_limited", "unsupported", "unavailable", "duplicate", "reduce_only", "http_429", "http_418",
      "send_unknown", "resends", "cancel_rejected", "queries", "stream_subscribed",
      "stream_disconnects", "stream_refused", "stream_bad_events", "foreign_fills", "fee_unconverted", "used_weight_1m"};

  static const char* state_name(sh_order_state s) {
    static const char* const n[] = {"NEW", "ACKNOWLEDGED", "PARTIALLY_FILLED", "FILLED",
                                    "CANCELED", "REJECTED", "EXPIRED"};
    return s >= 0 && s <= 6 ? n[s] : "?";
  }

  static void split_symbol(const std::string& b, std::string* base, std::string* quote) {
    for (const char* q : kUsdQuotes)
      if (b.size() > std::strlen(q) && b.compare(b.size() - std::strlen(q), std::string::npos, q) == 0) {
        *quote = q;
        *base = b.substr(0, b.size() - std::strlen(q));
        return;
      }
    for (const char* q : kOtherQuotes)
      if (b.size() > std::strlen(q) && b.compare(b.size() - std::strlen(q), std::string::npos, q) == 0) {
        *quote = q;
        *base = b.substr(0, b.size() - std::strlen(q));
        return;
      }
  }
  static bool usd_asset(const std::string& a) {
    for (const char* q : kUsdQuotes)
      if (a == q) return true;
    return false;
  }

  // ---- queues to the pipeline thread (mu_ held) ----
  void bump(const std::string& name, int64_t delta = 1) { counter_deltas_[name] += delta; }
  std::string scrub(std::string s) const {
    for (const std::string* secret : {&api_key_, &secret_}) {
      if (secret->empty()) continue;
      for (size_t p; (p = s.find(*secret)) != std::string::npos;) s.replace(p, secret->size(), "***");
    }
    return s;
  }
  void log_locked(sh_log_level level, const std::string& line) { logs_.push_back({level, scrub(line)}); }

  // Pipeline thread: log lines and counters the other threads queued.
  // Every call but save_state / load_state starts here, which also lets
  // held orders leave: a host that keeps this venue's state (it has called
  // save_state or load_state) commits the state save_state returned with
  // its book before it calls again, so an order leaves once a saved state
  // names it; without one, at the next call.
  void flush() {
    std::deque<std::pair<sh_log_level, std::string>> logs;
    std::map<std::string, int64_t> deltas;
    {
      std::lock_guard<std::mutex> lock(mu_);
      logs.swap(logs_);
      deltas.swap(counter_deltas_);
      const size_t before = held_.size();
      for (auto it = held_.begin(); it != held_.end();)
        it = !durable_ || it->second ? held_.erase(it) : std::next(it);
      if (held_.size() != before) cv_.notify_all();
    }
    for (const auto& [level, line] : logs) host().log(level, line);
    for (const auto& [name, d] : deltas) {
      auto it = counters_.find(name);
      if (it != counters_.end() && d != 0) host().add(it->second, d);
    }
  }
  void flush_reports(const sh::VenueSink& sink) {
    std::deque<Report> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out.swap(out_);
    }
    for (const Report& r : out) emit(sink, r);
  }
  void emit(const sh::VenueSink& sink, const Report& r) const {
    sh_venue_report x{};
    x.struct_size = sizeof x;
    x.state = r.state;
    x.client_order_id = r.key.c_str();
    x.venue_order_id = r.venue_id.empty() ? nullptr : r.venue_id.c_str();
    x.symbol = r.symbol;
    x.side = r.side;
    x.ts_ns = r.ts_ns;
    x.last_qty = r.last_qty;
    x.last_price = r.last_price;
    x.ref_price = r.ref_price;
    x.fee_usd = r.fee_usd;
    x.cum_qty = r.cum_qty;
    x.leaves_qty = r.leaves_qty;
    x.liquidity = r.liquidity;
    x.reason = r.reason;
    const std::string detail = scrub(r.detail);
    x.detail = detail.empty() ? nullptr : detail.c_str();
    sink.report(x);
  }

  static double target_qty(const Order& o) { return o.sent_qty > 0.0 ? o.sent_qty : o.qty; }

  Report state_report(const Order& o, int64_t ts_ns) const {
    Report r;
    r.state = o.state;
    r.key = o.key;
    r.venue_id = o.venue_id;
    r.symbol = o.sym.id;
    r.side = o.side;
    r.ts_ns = ts_ns;
    r.ref_price = o.ref_price;
    r.cum_qty = o.cum;
    r.leaves_qty = is_final(o.state) ? 0.0 : std::max(0.0, target_qty(o) - o.cum);
    return r;
  }

  // Final orders are kept (an idempotent resubmit reports their state) up
  // to kKeepOrders; beyond, the oldest final ones go (mu_ held).
  void prune_locked() {
    if (orders_.size() < kKeepOrders) return;
    std::deque<std::string> kept;
    while (!order_seq_.empty() && orders_.size() > kKeepOrders * 3 / 4) {
      const std::string cid = order_seq_.front();
      order_seq_.pop_front();
      auto it = orders_.find(cid);
      if (it == orders_.end()) continue;
      // The worker's current request refers to its order after the
      // network call: it stays (a stream event can make it final meanwhile).
      if (!is_final(it->second.state) || cid == running_cid_) {
        kept.push_back(cid);
        continue;
      }
      cid_by_key_.erase(it->second.key);
      orders_.erase(it);
    }
    order_seq_.insert(order_seq_.begin(), kept.begin(), kept.end());
  }

  // A key refused before anything was sent (an idempotent resubmit reports
  // the refusal again): the last kKeepOrders are kept, the oldest forgotten
  // first (mu_ held).
  void remember_refused_locked(const std::string& key, const Report& r) {
    if (done_keys_.insert_or_assign(key, r).second) done_seq_.push_back(key);
    while (done_keys_.size() > kKeepOrders && !done_seq_.empty()) {
      done_keys_.erase(done_seq_.front());
      done_seq_.pop_front();
    }
  }

  // ---- order state (mu_ held) ----
  void ack_if_needed(Order& o, int64_t ts_ns) {
    if (o.state != SH_ORDER_NEW) return;
    o.state = SH_ORDER_ACKNOWLEDGED;
    out_.push_back(state_report(o, ts_ns));
  }
  double fee_usd(const Order& o, double amount, const std::string& asset, double price) {
    if (amount == 0.0) return 0.0;
    std::string base = o.sym.base, quote = o.sym.quote;
    if (auto f = filters_.find(o.sym.binance); f != filters_.end() && f->second.known) {
      base = f->second.base;
      quote = f->second.quote;
    }
    if (usd_asset(asset)) return amount;
    if (asset == base && usd_asset(quote)) return amount * price;
    bump("fee_unconverted");
    return 0.0;
  }
  // A fill that brings the order's cumulative quantity to cum_after; a fill
  // already reported (by the REST answer or the stream, whichever came
  // first) is skipped.
  void apply_fill(Order& o, double cum_after, double price, double fee, int64_t ts_ns,
                  sh_liquidity liq) {
    if (is_final(o.state)) return;
    const double eps = 1e-12 * std::max(1.0, o.qty);
    if (!(cum_after > o.cum + eps) || !(price > 0.0) || !std::isfinite(price)) return;
    ack_if_needed(o, ts_ns);
    const double last = cum_after - o.cum;
    o.cum = cum_after;
    o.quote_cum += last * price;
    o.state = o.cum >= target_qty(o) - eps ? SH_ORDER_FILLED : SH_ORDER_PARTIALLY_FILLED;
    Report r = state_report(o, ts_ns);
    r.last_qty = last;
    r.last_price = price;
    r.fee_usd = fee;
    r.liquidity = liq;
    out_.push_back(r);
    bump("fills");
  }
  void finish(Order& o, sh_order_state state, sh_venue_reason reason, const std::string& detail,
              int64_t ts_ns) {
    if (is_final(o.state)) return;
    if (state != SH_ORDER_REJECTED) ack_if_needed(o, ts_ns);
    o.state = state;
    Report r = state_report(o, ts_ns);
    r.reason = reason;
    r.detail = detail;
    out_.push_back(r);
    bump(state == SH_ORDER_CANCELED ? "cancels" : state == SH_ORDER_EXPIRED ? "expires" : "rejects");
  }
  // An order's status as Binance states it (X / status), after any fill.
  void apply_status(Order& o, const std::string& st, int64_t ts_ns) {
    if (st == "NEW" || st == "PARTIALLY_FILLED" || st == "PENDING_NEW" || st == "PENDING_CANCEL") {
      ack_if_needed(o, ts_ns);
    } else if (st == "FILLED") {
      if (!is_final(o.state)) {  // rounding left cum just short: Binance says it is done
        ack_if_needed(o, ts_ns);
        o.state = SH_ORDER_FILLED;
        out_.push_back(state_report(o, ts_ns));
      }
    } else if (st == "CANCELED") {
      finish(o, SH_ORDER_CANCELED, SH_VENUE_REASON_NONE, "", ts_ns);
    } else if (st == "EXPIRED") {
      finish(o, SH_ORDER_EXPIRED,
             o.tif == SH_TIF_GTC ? SH_VENUE_REASON_NONE : SH_VENUE_REASON_NO_LIQUIDITY,
             std::string(tif_name(o.tif)) + " order expired", ts_ns);
    } else if (st == "EXPIRED_IN_MATCH") {
      finish(o, SH_ORDER_EXPIRED, SH_VENUE_REASON_NONE, "expired in match (self-trade prevention)",
             ts_ns);
    } else if (st == "REJECTED") {
      finish(o, SH_ORDER_REJECTED, SH_VENUE_REASON_INVALID_ORDER, "rejected by Binance", ts_ns);
    }
  }
  // An order object from POST / DELETE / GET /api/v3/order.
  void apply_order_json(Order& o, const Json& j) {
    const int64_t ts =
        int_field(j, "transactTime", int_field(j, "updateTime", int_field(j, "time", wall_ms()))) * 1000000;
    if (j.contains("orderId")) o.venue_id = std::to_string(int_field(j, "orderId"));
    // Restored from a state saved before the send: the quantity Binance has
    // is what FILLED means, not the host's unrounded one.
    if (o.sent_qty <= 0.0 && num(j, "origQty") > 0.0) o.sent_qty = num(j, "origQty");
    const std::string st = str_field(j, "status");
    if (st.empty()) {  // ACK response: the order exists
      ack_if_needed(o, ts);
      return;
    }
    if (st != "REJECTED") ack_if_needed(o, ts);
    if (j.contains("fills") && j["fills"].is_array()) {
      double cum = 0.0;
      for (const Json& f : j["fills"]) {
        const double q = num(f, "qty"), p = num(f, "price");
        cum += q;
        apply_fill(o, cum, p, fee_usd(o, num(f, "commission"), str_field(f, "commissionAsset"), p), ts,
                   SH_LIQUIDITY_TAKER);  // fills at placement take liquidity
      }
    }
    const double exec = num(j, "executedQty");
    const double eps = 1e-12 * std::max(1.0, o.qty);
    if (exec > o.cum + eps) {  // fills seen only in aggregate (RESULT, a query)
      const double quote = num(j, "cummulativeQuoteQty");
      const double left_quote = quote - o.quote_cum, left_qty = exec - o.cum;
      double price = left_quote > 0.0 ? left_quote / left_qty : num(j, "price");
      apply_fill(o, exec, price, 0.0, ts, SH_LIQUIDITY_UNKNOWN);
    }
    apply_status(o, st, ts);
  }

  // ---- rate limits ----
  bool banned() {
    std::lock_guard<std::mutex> lock(mu_);
    return Clock::now() < banned_until_;
  }
  int64_t ban_left_s() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::chrono::duration_cast<std::chrono::seconds>(banned_until_ - Clock::now()).count() + 1;
  }
  static int64_t retry_after_s(const HttpResult& r, int64_t fallback) {
    if (r.retry_after.empty()) return fallback;
    char* end = nullptr;
    const long v = std::strtol(r.retry_after.c_str(), &end, 10);
    return end != r.retry_after.c_str() && v >= 0 ? v : fallback;
  }
  // Headers of every response (mu_ held).
  void note_headers(const HttpResult& r) {
    if (r.used_weight.empty()) return;
    const int64_t w = std::strtoll(r.used_weight.c_str(), nullptr, 10);
    bump("used_weight_1m", w - used_weight_);  // the counter reads as the last value seen
    used_weight_ = w;
    // 80 % of the default REQUEST_WEIGHT limit (6000 per minute): say so,
    // at most once a minute, before Binance answers 429.
    if (w >= kWeightWarn && Clock::now() - weight_warned_ > std::chrono::seconds(60)) {
      weight_warned_ = Clock::now();
      log_locked(SH_LOG_WARN, "binance_venue: request weight used this minute is " + std::to_string(w) +
                                  " (X-MBX-USED-WEIGHT-1M; Binance's default limit is 6000)");
    }
  }
  // 429 / 418 (mu_ held): true when the response was one of them.
  bool note_rate_limit(const HttpResult& r, const std::string& what) {
    if (r.outcome != HttpResult::kResponse) return false;
    if (r.status == 429) {
      const int64_t s = retry_after_s(r, 1);
      blocked_until_ = Clock::now() + std::chrono::seconds(s);
      bump("http_429");
      log_locked(SH_LOG_WARN, "binance_venue: HTTP 429 on " + what + ": rate limit hit, backing off " +
                                  std::to_string(s) + " s (Retry-After); nothing is sent meanwhile");
      return true;
    }
    if (r.status == 418) {
      const int64_t s = retry_after_s(r, 120);
      banned_until_ = Clock::now() + std::chrono::seconds(s);
      blocked_until_ = banned_until_;
      bump("http_418");
      log_locked(SH_LOG_ERROR, "binance_venue: HTTP 418 on " + what + ": IP banned by Binance for " +
                                   std::to_string(s) + " s (Retry-After); new orders are rejected (RATE_LIMITED) until then");
      return true;
    }
    return false;
  }

  // ---- signed requests ----
  // This machine's clock, moved by what Binance's clock was found to be
  // off (after a -1021): the timestamp every signed request carries.
  int64_t signing_ms() const { return wall_ms() + clock_offset_ms_.load(); }

  // Worker thread, after a -1021 INVALID_TIMESTAMP: GET /api/v3/time
  // (weight 1, not signed) and the offset of Binance's clock from this
  // machine's, halfway through the request. "" when done, else what failed.
  std::string sync_clock() {
    const int64_t t0 = wall_ms();
    const HttpResult r = rest_->request("GET", "/api/v3/time", "");
    const int64_t t1 = wall_ms();
    const Json j = r.outcome == HttpResult::kResponse ? Json::parse(r.body, nullptr, false) : Json();
    std::lock_guard<std::mutex> lock(mu_);
    note_headers(r);
    if (r.outcome != HttpResult::kResponse || r.status != 200 || !j.is_object() ||
        !j.contains("serverTime") || !j["serverTime"].is_number_integer())
      return r.outcome != HttpResult::kResponse ? r.error : "GET /api/v3/time: HTTP " + std::to_string(r.status);
    const int64_t offset = int_field(j, "serverTime") - (t0 + t1) / 2;
    clock_offset_ms_ = offset;
    log_locked(SH_LOG_WARN, "binance_venue: this machine's clock is " + std::to_string(std::llabs(offset)) +
                                " ms " + (offset > 0 ? "behind" : "ahead of") +
                                " Binance's (GET /api/v3/time); signed requests carry Binance's time from now "
                                "on; check this machine's clock (NTP)");
    return "";
  }

  std::string signed_target(const std::string& path, Params params) const {
    params.emplace_back("recvWindow", std::to_string(recv_window_ms_));
    params.emplace_back("timestamp", std::to_string(signing_ms()));
    const std::string q = query_string(params);
    return path + "?" + q + "&signature=" + hmac_sha256_hex(secret_, q);
  }
  // Pipeline thread, query_*: the parsed body, or a throw naming what failed.
  Json signed_get(const std::string& path, Params params, const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Clock::now() < blocked_until_)
        throw std::runtime_error(what + ": rate limited by Binance, backing off");
    }
    const HttpResult r = rest_->request("GET", signed_target(path, std::move(params)), api_key_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      note_headers(r);
      bump("queries");
      note_rate_limit(r, what);
    }
    flush();
    if (r.outcome != HttpResult::kResponse)
      throw std::runtime_error(scrub(what + ": " + r.error));
    Json j = Json::parse(r.body, nullptr, false);
    if (r.status != 200) {
      const int code = j.is_object() ? static_cast<int>(int_field(j, "code")) : 0;
      const std::string msg = j.is_object() ? str_field(j, "msg") : std::string();
      const sh_venue_reason reason = reason_for(r.status, code, msg);
      host().warn(scrub("binance_venue: " + what + " refused: HTTP " + std::to_string(r.status) +
                        " code " + std::to_string(code) + " " + msg));
      throw std::runtime_error(scrub(what + ": HTTP " + std::to_string(r.status) + " code " +
                                     std::to_string(code) + " (" + counter_for(reason) + ") " + msg));
    }
    if (j.is_discarded()) throw std::runtime_error(what + ": unreadable response");
    return j;
  }

  std::string subscribe_request() const {
    // web-socket-api.md: params sorted by name, signature over k=v&...
    const std::string ts = std::to_string(signing_ms());
    const std::string rw = std::to_string(recv_window_ms_);
    const std::string payload = "apiKey=" + api_key_ + "&recvWindow=" + rw + "&timestamp=" + ts;
    Json req = {{"id", "sub-" + ts},
                {"method", "userDataStream.subscribe.signature"},
                {"params",
                 {{"apiKey", api_key_},
                  {"recvWindow", recv_window_ms_},
                  {"timestamp", std::stoll(ts)},
                  {"signature", hmac_sha256_hex(secret_, payload)}}}};
    return req.dump();
  }

  void on_subscribed(bool ok, int code, const std::string& msg, bool again) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      bump("stream_refused");
      const sh_venue_reason reason = reason_for(400, code, msg);
      log_locked(SH_LOG_ERROR, "binance_venue: user data stream subscription refused: code " +
                                   std::to_string(code) + " " + msg + " (" + counter_for(reason) + ")");
      return;
    }
    bump("stream_subscribed");
    log_locked(SH_LOG_INFO, std::string("binance_venue: user data stream ") +
                                (again ? "resubscribed; querying working orders for what was missed"
                                       : "subscribed"));
    if (!again) return;
    for (auto& [cid, o] : orders_) {  // events during the gap: ask for each working order
      if (is_final(o.state) || o.state == SH_ORDER_NEW) continue;
      Job j;
      j.kind = Job::kQuery;
      j.cid = cid;
      jobs_.push_back(j);
    }
    cv_.notify_all();
  }

  // Stream thread: {"subscriptionId":N,"event":{...}}. Nothing it receives
  // may throw through the stream thread.
  void on_stream_event(const char* data, size_t len) {
    try {
      stream_event(data, len);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu_);
      bump("stream_bad_events");
      log_locked(SH_LOG_WARN, std::string("binance_venue: unreadable user data stream event: ") + e.what());
    }
  }
  void stream_event(const char* data, size_t len) {
    const Json j = Json::parse(data, data + len, nullptr, false);
    if (j.is_discarded() || !j.contains("event") || !j["event"].is_object()) return;
    const Json& e = j["event"];
    if (str_field(e, "e") != "executionReport") return;
    const std::string x = str_field(e, "x"), st = str_field(e, "X");
    std::string cid = str_field(e, "c");
    const std::string orig = str_field(e, "C");
    if (x == "CANCELED" && !orig.empty()) cid = orig;  // c is then the cancel's own id
    const int64_t ts = int_field(e, "T", int_field(e, "E", wall_ms())) * 1000000;
    const double l = num(e, "l"), L = num(e, "L"), z = num(e, "z"), n = num(e, "n");
    const std::string asset = str_field(e, "N");
    const auto m = e.find("m");
    const sh_liquidity liq =
        m != e.end() && m->is_boolean() && m->get<bool>() ? SH_LIQUIDITY_MAKER : SH_LIQUIDITY_TAKER;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = orders_.find(cid);
    if (it == orders_.end()) {
      if (x != "TRADE") return;
      // A fill for an id this venue never sent: passed through as is (the
      // host counts it).
      auto s = by_binance_.find(str_field(e, "s"));
      Report r;
      r.key = cid;
      r.venue_id = std::to_string(int_field(e, "i"));
      r.symbol = s != by_binance_.end() ? s->second.id : SH_INVALID_SYMBOL;
      r.side = str_field(e, "S") == "SELL" ? SH_SIDE_SELL : SH_SIDE_BUY;
      r.ts_ns = ts;
      r.state = st == "FILLED" ? SH_ORDER_FILLED : SH_ORDER_PARTIALLY_FILLED;
      r.last_qty = l;
      r.last_price = L;
      r.cum_qty = z;
      r.leaves_qty = std::max(0.0, num(e, "q") - z);
      if (usd_asset(asset)) r.fee_usd = n;
      r.liquidity = liq;
      out_.push_back(r);
      bump("foreign_fills");
      log_locked(SH_LOG_WARN, "binance_venue: fill for client order id " + cid +
                                  ", which this venue never sent; passed to the host as is");
      return;
    }
    Order& o = it->second;
    if (e.contains("i") && e["i"].is_number_integer()) o.venue_id = std::to_string(int_field(e, "i"));
    // z (cumulative) decides what is new, so a fill the POST answer already
    // reported is not reported again; without z, this fill's l adds to it.
    if (x == "TRADE") apply_fill(o, e.contains("z") ? z : o.cum + l, L, fee_usd(o, n, asset, L), ts, liq);
    if (x == "REJECTED") {
      finish(o, SH_ORDER_REJECTED, SH_VENUE_REASON_INVALID_ORDER,
             "rejected by Binance: " + str_field(e, "r"), ts);
      return;
    }
    apply_status(o, st, ts);
  }

  // ---- the worker ----
  void worker_loop() {
    load_filters();  // before the first order, off the pipeline thread
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      const auto now = Clock::now();
      auto pick = jobs_.end();
      Clock::time_point wake = Clock::time_point::max();
      if (now >= blocked_until_) {
        for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
          if (it->kind == Job::kPlace && held_.count(it->cid) != 0) continue;
          if (draining_ && it->kind != Job::kCancel) continue;
          if (it->not_before <= now) {
            pick = it;
            break;
          }
          wake = std::min(wake, it->not_before);
        }
      } else if (!jobs_.empty()) {
        wake = blocked_until_;
      }
      if (pick == jobs_.end()) {
        if (wake == Clock::time_point::max()) cv_.wait(lock);
        else cv_.wait_until(lock, wake);
        continue;
      }
      Job job = *pick;
      jobs_.erase(pick);
      const bool query = job.kind == Job::kQuery;
      queries_running_ += query ? 1 : 0;
      running_cid_ = job.cid;
      lock.unlock();
      try {
        run_job(job);
      } catch (const std::exception& e) {  // never through the thread: that would end the process
        std::lock_guard<std::mutex> g(mu_);
        log_locked(SH_LOG_ERROR, std::string("binance_venue: worker: ") + e.what());
      }
      lock.lock();
      queries_running_ -= query ? 1 : 0;
      running_cid_.clear();
      if (draining_) cv_.notify_all();  // the destructor waits for the last cancel
    }
  }

  void requeue_front(Job job) {  // mu_ held
    jobs_.push_front(std::move(job));
  }

  void run_job(Job job) {
    Order snapshot;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = orders_.find(job.cid);
      if (it == orders_.end()) return;
      snapshot = it->second;
    }
    switch (job.kind) {
      case Job::kPlace: place(job, snapshot); break;
      case Job::kCancel: cancel_job(job, snapshot); break;
      case Job::kQuery: query_job(job, snapshot); break;
    }
  }

  // The Binance error body of a response.
  static void error_of(const HttpResult& r, int* code, std::string* msg) {
    *code = 0;
    msg->clear();
    const Json j = Json::parse(r.body, nullptr, false);
    if (j.is_object()) {
      *code = static_cast<int>(int_field(j, "code"));
      *msg = str_field(j, "msg");
    }
  }

  static std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
  }
  static int decimals_of(const std::string& s) {  // "0.00100000" -> 3
    const size_t dot = s.find('.');
    if (dot == std::string::npos) return 0;
    size_t end = s.size();
    while (end > dot + 1 && s[end - 1] == '0') --end;
    return static_cast<int>(end - dot - 1);
  }

  // Worker thread: each symbol's LOT_SIZE / PRICE_FILTER and assets, once
  // (GET /api/v3/exchangeInfo?symbol=, weight 20 each; not signed). Tried
  // again at most once a minute while some are missing.
  void load_filters() {
    if (filters_done_ || (filters_tried_ != Clock::time_point{} &&
                          Clock::now() - filters_tried_ < std::chrono::seconds(60)))
      return;
    filters_tried_ = Clock::now();
    bool all = true;
    for (const auto& [name, sym] : by_binance_) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        if (filters_[name].known) continue;
        if (Clock::now() < blocked_until_) return;
      }
      const HttpResult r = rest_->request("GET", "/api/v3/exchangeInfo?symbol=" + percent_encode(name), "");
      std::lock_guard<std::mutex> lock(mu_);
      note_headers(r);
      if (note_rate_limit(r, "exchangeInfo")) return;
      const Json j = r.outcome == HttpResult::kResponse ? Json::parse(r.body, nullptr, false) : Json();
      if (r.outcome != HttpResult::kResponse || r.status != 200 || !j.is_object() ||
          !j.contains("symbols") || !j["symbols"].is_array() || j["symbols"].empty()) {
        all = false;
        log_locked(SH_LOG_WARN, "binance_venue: no trading rules for " + name + " (" +
                                    (r.outcome != HttpResult::kResponse ? r.error
                                                                        : "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 120)) +
                                    "); its orders go out with 8 decimals");
        continue;
      }
      const Json& sj = j["symbols"][0];
      Filters f;
      f.known = true;
      f.base = str_field(sj, "baseAsset");
      f.quote = str_field(sj, "quoteAsset");
      if (sj.contains("filters") && sj["filters"].is_array())
        for (const Json& flt : sj["filters"]) {
          const std::string type = str_field(flt, "filterType");
          if (type == "LOT_SIZE") {
            f.step = num(flt, "stepSize");
            f.min_qty = num(flt, "minQty");
            f.qty_decimals = decimals_of(str_field(flt, "stepSize"));
          } else if (type == "PRICE_FILTER") {
            f.tick = num(flt, "tickSize");
            f.price_decimals = decimals_of(str_field(flt, "tickSize"));
          }
        }
      filters_[name] = f;
    }
    filters_done_ = all;
  }

  void place(Job job, const Order& o) {
    if (is_final(o.state)) return;
    if (job.resync_clock) {
      job.resync_clock = false;
      const std::string err = sync_clock();
      if (!err.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " rejected (clock_skew): Binance's time "
                                    "could not be read (" + err + "); check this machine's clock (NTP)");
        finish(orders_.at(o.cid), SH_ORDER_REJECTED, SH_VENUE_REASON_CLOCK_SKEW,
               "Binance code -1021 (timestamp outside recvWindow); Binance's time could not be read: " + err,
               wall_ms() * 1000000);
        return;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (o.cancel_requested) {  // the host cancelled it while Binance had nothing
        finish(orders_.at(o.cid), SH_ORDER_CANCELED, SH_VENUE_REASON_NONE,
               "cancelled before it was sent", wall_ms() * 1000000);
        return;
      }
      if (Clock::now() < banned_until_) {
        Order& live = orders_.at(o.cid);
        bump("rate_limited");
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " rejected: IP banned by Binance (HTTP 418)");
        finish(live, SH_ORDER_REJECTED, SH_VENUE_REASON_RATE_LIMITED,
               "IP banned by Binance (HTTP 418); not sent", wall_ms() * 1000000);
        return;
      }
    }
    load_filters();
    Filters f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = filters_.find(o.sym.binance); it != filters_.end()) f = it->second;
    }
    // The quantity rounded DOWN to LOT_SIZE's step (never more than the host
    // asked for), the limit to PRICE_FILTER's tick (a buy down, a sell up:
    // never a worse price); 8 decimals when the rules are unknown.
    std::string qty_text, price_text;
    double sent_qty = 0.0;
    {
      const double step = f.known && f.step > 0.0 ? f.step : 1e-8;
      const int dec = f.known && f.step > 0.0 ? f.qty_decimals : 8;
      const double n = std::floor(o.qty / step * (1.0 + 1e-12));
      sent_qty = n * step;
      qty_text = fixed(sent_qty, dec);
      exchange::parse_decimal(qty_text, &sent_qty);
      if (n < 1.0 || (f.known && sent_qty < f.min_qty)) {
        std::lock_guard<std::mutex> lock(mu_);
        bump("invalid_order");
        const std::string detail = "quantity " + format_decimal(o.qty) + " is below " + o.sym.binance +
                                   "'s LOT_SIZE (minQty " + format_decimal(f.min_qty) + ", stepSize " +
                                   format_decimal(step) + "); not sent";
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " rejected: " + detail);
        finish(orders_.at(o.cid), SH_ORDER_REJECTED, SH_VENUE_REASON_INVALID_ORDER, detail,
               wall_ms() * 1000000);
        return;
      }
      if (o.type == SH_ORDER_LIMIT) {
        const double tick = f.known && f.tick > 0.0 ? f.tick : 1e-8;
        const int pdec = f.known && f.tick > 0.0 ? f.price_decimals : 8;
        const double t = o.limit / tick;
        const double m = o.side == SH_SIDE_BUY ? std::floor(t * (1.0 + 1e-12)) : std::ceil(t * (1.0 - 1e-12));
        price_text = fixed(m * tick, pdec);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      orders_.at(o.cid).sent_qty = sent_qty;
    }
    Params p = {{"symbol", o.sym.binance}, {"side", side_name(o.side)},
                {"type", o.type == SH_ORDER_LIMIT ? "LIMIT" : "MARKET"}};
    if (o.type == SH_ORDER_LIMIT) {
      p.emplace_back("timeInForce", tif_name(o.tif));
      p.emplace_back("price", price_text);
    }
    p.emplace_back("quantity", qty_text);
    p.emplace_back("newClientOrderId", o.cid);
    p.emplace_back("newOrderRespType", resp_type_);
    const int64_t sent_ms = wall_ms();
    const HttpResult r = rest_->request("POST", signed_target("/api/v3/order", p), api_key_);
    std::lock_guard<std::mutex> lock(mu_);
    note_headers(r);
    Order& live = orders_.at(o.cid);
    if (r.outcome != HttpResult::kNotSent) bump("orders_sent");
    // Binance may have created it: an answer of 200, or an outcome unknown.
    // (A 4xx, 429 and 418 included, refused it.)
    if (r.outcome == HttpResult::kUnknown ||
        (r.outcome == HttpResult::kResponse && (r.status == 200 || r.status >= 500))) {
      live.sends++;
      live.last_sent_ms = sent_ms;
    }
    if (note_rate_limit(r, "order " + o.key)) {
      if (r.status == 429) {
        requeue_front(job);  // stays NEW; sent again once the back-off is over
      } else {
        finish(live, SH_ORDER_REJECTED, SH_VENUE_REASON_RATE_LIMITED,
               "IP banned by Binance (HTTP 418)", sent_ms * 1000000);
        bump("rate_limited");
      }
      return;
    }
    if (r.outcome == HttpResult::kNotSent) {
      bump("unavailable");
      if (++job.attempts >= 3) {
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " could not be sent (" + r.error +
                                    "); rejected UNAVAILABLE after 3 attempts");
        finish(live, SH_ORDER_REJECTED, SH_VENUE_REASON_UNAVAILABLE, "not sent: " + r.error,
               wall_ms() * 1000000);
        return;
      }
      log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " not sent (" + r.error +
                                  "); retrying in 1 s (nothing reached Binance)");
      job.not_before = Clock::now() + std::chrono::seconds(1);
      jobs_.push_back(job);
      cv_.notify_all();
      return;
    }
    int code = 0;
    std::string msg;
    if (r.outcome == HttpResult::kResponse) error_of(r, &code, &msg);
    if (r.outcome == HttpResult::kUnknown ||
        (r.outcome == HttpResult::kResponse && status_unknown(r.status, code))) {
      bump("send_unknown");
      bump("unavailable");
      const std::string why = r.outcome == HttpResult::kUnknown
                                  ? r.error
                                  : "HTTP " + std::to_string(r.status) +
                                        (code != 0 ? " code " + std::to_string(code) : "") + " " + msg;
      log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + ": send status unknown (" + why +
                                  "); querying it by origClientOrderId before any resend");
      Job q;
      q.kind = Job::kQuery;
      q.cid = o.cid;
      q.resend_if_missing = true;
      // Past timestamp + recvWindow Binance can no longer accept that
      // request: a "no such order" then means it never will.
      q.not_before = Clock::now() + std::chrono::milliseconds(recv_window_ms_ + 250);
      jobs_.push_back(q);
      cv_.notify_all();
      return;
    }
    if (r.status == 200) {
      const Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object()) apply_order_json(live, j);
      else ack_if_needed(live, wall_ms() * 1000000);
      return;
    }
    sh_venue_reason reason = reason_for(r.status, code, msg);
    if (reason == SH_VENUE_REASON_CLOCK_SKEW && !job.clock_synced) {
      // -1021 refuses the request's timestamp, not the order (Binance
      // created nothing): read Binance's time, then send it again, once.
      bump("clock_skew");
      log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + ": Binance refused the request's timestamp "
                                  "(-1021 " + msg + "); reading Binance's time, then sending it again");
      job.resync_clock = job.clock_synced = true;
      job.attempts = 0;
      requeue_front(job);
      cv_.notify_all();
      return;
    }
    // Spot has no reduce-only flag: a reduce-only sell of more than the
    // account holds is what the host calls nothing to reduce.
    if (reason == SH_VENUE_REASON_INSUFFICIENT_FUNDS && o.reduce_only && o.side == SH_SIDE_SELL)
      reason = SH_VENUE_REASON_REDUCE_ONLY;
    bump(counter_for(reason));
    const std::string detail = "Binance HTTP " + std::to_string(r.status) + " code " +
                               std::to_string(code) + ": " + msg;
    log_locked(reason == SH_VENUE_REASON_UNAUTHORIZED || r.status == 403 ? SH_LOG_ERROR : SH_LOG_WARN,
               "binance_venue: order " + o.key + " rejected (" + counter_for(reason) + "): " + detail +
                   (reason == SH_VENUE_REASON_UNAUTHORIZED ? "; check the API key, its permissions and IP whitelist"
                    : reason == SH_VENUE_REASON_CLOCK_SKEW ? "; check this machine's clock (NTP)"
                    : r.status == 403 ? "; HTTP 403 is Binance's web application firewall (a rate or security rule)"
                                      : ""));
    finish(live, SH_ORDER_REJECTED, reason, detail, wall_ms() * 1000000);
  }

  void cancel_job(Job job, const Order& o) {
    if (is_final(o.state)) return;
    Params p = {{"symbol", o.sym.binance}, {"origClientOrderId", o.cid}};
    const HttpResult r = rest_->request("DELETE", signed_target("/api/v3/order", p), api_key_);
    std::lock_guard<std::mutex> lock(mu_);
    note_headers(r);
    Order& live = orders_.at(o.cid);
    if (note_rate_limit(r, "cancel of " + o.key)) {
      requeue_front(job);
      return;
    }
    int code = 0;
    std::string msg;
    if (r.outcome == HttpResult::kResponse) error_of(r, &code, &msg);
    if (r.outcome == HttpResult::kResponse && r.status == 200) {
      const Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object()) apply_order_json(live, j);
      return;
    }
    if (r.outcome != HttpResult::kResponse || status_unknown(r.status, code)) {
      bump("unavailable");
      if (++job.attempts >= 5) {
        log_locked(SH_LOG_ERROR, "binance_venue: cancel of " + o.key + " failed 5 times (" +
                                     (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error) +
                                     "); giving up, the order stays as Binance has it");
        return;
      }
      log_locked(SH_LOG_WARN, "binance_venue: cancel of " + o.key + " failed (" +
                                  (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error) +
                                  "); retrying in 1 s");
      job.not_before = Clock::now() + std::chrono::seconds(1);
      jobs_.push_back(job);
      cv_.notify_all();
      return;
    }
    // -2011 CANCEL_REJECTED ("Unknown order sent." when it is already
    // filled / cancelled): ask Binance what became of it.
    const sh_venue_reason reason = reason_for(r.status, code, msg);
    bump(code == -2011 ? "cancel_rejected" : counter_for(reason));
    log_locked(reason == SH_VENUE_REASON_UNAUTHORIZED ? SH_LOG_ERROR : SH_LOG_WARN,
               "binance_venue: cancel of " + o.key + " refused: HTTP " + std::to_string(r.status) +
                   " code " + std::to_string(code) + " " + msg + "; querying the order");
    Job q;
    q.kind = Job::kQuery;
    q.cid = o.cid;
    jobs_.push_back(q);
    cv_.notify_all();
  }

  void query_job(Job job, const Order& o) {
    if (is_final(o.state)) return;
    Params p = {{"symbol", o.sym.binance}, {"origClientOrderId", o.cid}};
    const HttpResult r = rest_->request("GET", signed_target("/api/v3/order", p), api_key_);
    std::lock_guard<std::mutex> lock(mu_);
    note_headers(r);
    bump("queries");
    Order& live = orders_.at(o.cid);
    if (note_rate_limit(r, "query of " + o.key)) {
      jobs_.push_back(job);  // after the back-off
      return;
    }
    int code = 0;
    std::string msg;
    if (r.outcome == HttpResult::kResponse) error_of(r, &code, &msg);
    if (r.outcome == HttpResult::kResponse && r.status == 200) {
      const Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object()) {
        if (job.resend_if_missing)
          log_locked(SH_LOG_INFO, "binance_venue: order " + o.key +
                                      " found at Binance after the unknown send; not resent");
        apply_order_json(live, j);
      }
      return;
    }
    if (r.outcome == HttpResult::kResponse && code == -2013) {  // NO_SUCH_ORDER
      if (job.reject_if_missing) {
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key +
                                    " never reached Binance before the restart; rejected, not sent late");
        finish(live, live.cancel_requested ? SH_ORDER_CANCELED : SH_ORDER_REJECTED,
               live.cancel_requested ? SH_VENUE_REASON_NONE : SH_VENUE_REASON_UNAVAILABLE,
               "never reached Binance before the restart; not sent late", wall_ms() * 1000000);
      } else if (job.resend_if_missing && live.cancel_requested) {
        log_locked(SH_LOG_INFO, "binance_venue: order " + o.key +
                                    " never reached Binance and was cancelled meanwhile; not resent");
        finish(live, SH_ORDER_CANCELED, SH_VENUE_REASON_NONE, "cancelled; never reached Binance",
               wall_ms() * 1000000);
      } else if (job.resend_if_missing) {
        bump("resends");
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key +
                                    " is not at Binance after the unknown send; sending it again (same client order id)");
        Job again;
        again.kind = Job::kPlace;
        again.cid = o.cid;
        jobs_.push_back(again);
        cv_.notify_all();
      } else {
        log_locked(SH_LOG_WARN, "binance_venue: order " + o.key + " is unknown to Binance (-2013)");
      }
      return;
    }
    if (++job.attempts >= 20) {
      log_locked(SH_LOG_ERROR, "binance_venue: order " + o.key +
                                   ": status still unknown after 20 queries; left to reconciliation");
      return;
    }
    bump("unavailable");
    log_locked(SH_LOG_WARN, "binance_venue: query of " + o.key + " failed (" +
                                (r.error.empty() ? "HTTP " + std::to_string(r.status) + " " + msg : r.error) +
                                "); retrying in 1 s");
    job.not_before = Clock::now() + std::chrono::seconds(1);
    jobs_.push_back(job);
    cv_.notify_all();
  }

  // Config
  std::string rest_url_, ws_url_, resp_type_;
  int recv_window_ms_ = 5000;
  int timeout_ms_ = 5000;
  std::string api_key_, secret_;
  std::map<std::string, Sym> by_host_, by_binance_;
  std::map<std::string, uint32_t> counters_;
  std::unique_ptr<RestClient> rest_;

  // Shared state
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool draining_ = false;  // shutting down: only cancels still go out
  static constexpr std::chrono::seconds kDrainCancels{5};
  std::map<std::string, Order> orders_;             // by Binance client order id
  std::map<std::string, std::string> cid_by_key_;   // host key -> Binance id
  std::map<std::string, Report> done_keys_;         // refused before sending
  std::deque<std::string> done_seq_;                // done_keys_ in refusal order
  std::deque<std::string> order_seq_;               // orders_ in submission order
  static constexpr size_t kKeepOrders = 20000;
  std::deque<Job> jobs_;
  size_t queries_running_ = 0;
  std::string running_cid_;  // the order of the worker's current job ("" none)
  // Orders not sent yet because no saved state names them (cid -> named
  // by a save_state since; see flush). durable_: the host keeps the state.
  mutable std::map<std::string, bool> held_;
  mutable bool durable_ = false;  // kQuery jobs the worker is running (0 or 1)
  std::deque<Report> out_;
  std::deque<std::pair<sh_log_level, std::string>> logs_;
  std::map<std::string, int64_t> counter_deltas_;
  Clock::time_point blocked_until_{};
  Clock::time_point banned_until_{};
  std::map<std::string, Filters> filters_;  // by Binance symbol
  Clock::time_point filters_tried_{};       // worker thread only
  bool filters_done_ = false;               // worker thread only
  int64_t used_weight_ = 0;
  std::atomic<int64_t> clock_offset_ms_{0};  // Binance's clock - this machine's (after a -1021)
  static constexpr int64_t kWeightWarn = 4800;
  Clock::time_point weight_warned_{};

  std::thread worker_;
  std::unique_ptr<UserStream> stream_;  // last: stopped before the state goes
};

}  // namespace binance_venue

SH_EXPORT_PLUGIN(binance_venue::BinanceVenue)
