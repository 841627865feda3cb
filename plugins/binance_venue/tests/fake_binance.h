// fake_binance.h: a local stand-in for Binance Spot (REST + the WebSocket
// API's User Data Stream) on 127.0.0.1, a free port, TLS with a certificate
// made at test time. No test reaches the internet.
//
// It implements the documented subset the venue uses (rest-api.md,
// web-socket-api.md, user-data-stream.md, errors.md): every signed request
// is VERIFIED (X-MBX-APIKEY must be the test key: else -2015; the HMAC-SHA256
// of the query string under the test secret must match: else -1022; the
// timestamp must be inside recvWindow of the server's clock: else -1021),
// POST / DELETE / GET /api/v3/order, GET /api/v3/openOrders, GET
// /api/v3/account, and userDataStream.subscribe.signature followed by
// executionReport events. A small matching engine: a MARKET order or a
// marketable LIMIT fills at the symbol's price, a GTC LIMIT that is not
// marketable rests (fill() fills it), IOC / FOK expire.
//
// Faults are scripted per route ("POST /api/v3/order"): an HTTP status and
// body (429 / 418 with Retry-After, 5xx, Binance error codes), a hang (no
// answer), optionally after the request was processed (the exchange has the
// order, the client does not know).
#ifndef SH_BINANCE_VENUE_FAKE_BINANCE_H
#define SH_BINANCE_VENUE_FAKE_BINANCE_H

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "signing.h"

namespace fake {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = beast::websocket;
using nlohmann::json;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void make_certificate(const std::filesystem::path& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '" +
      (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() +
      "' -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
}

struct Fault {
  int status = 500;
  std::string body = R"({"code":-1000,"msg":"An unknown error occurred while processing the request."})";
  std::string retry_after;  // Retry-After header, "" = none
  bool hang = false;        // no answer: the connection stays silent for hang_ms, then closes
  int hang_ms = 2000;
  bool process_first = false;  // the exchange acts on the request before the fault
};

inline Fault http_error(int status, int code, const std::string& msg, std::string retry_after = "") {
  Fault f;
  f.status = status;
  f.body = json{{"code", code}, {"msg", msg}}.dump();
  f.retry_after = std::move(retry_after);
  return f;
}

struct FakeOrder {
  std::string symbol, cid, side, type, tif;
  int64_t id = 0;
  double qty = 0, price = 0, exec = 0, quote = 0;
  std::string status = "NEW";
  int64_t time = 0, update = 0;
  bool open() const { return status == "NEW" || status == "PARTIALLY_FILLED"; }
};

class FakeBinance {
 public:
  // A symbol's LOT_SIZE / PRICE_FILTER as Binance prints them.
  struct Rules {
    std::string step = "0.00001000", min_qty = "0.00001000", tick = "0.01000000";
  };
  void set_rules(const std::string& sym, Rules r) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_[sym] = std::move(r);
  }
  FakeBinance(const std::filesystem::path& dir, std::string api_key, std::string secret)
      : dir_(dir), api_key_(std::move(api_key)), secret_(std::move(secret)),
        tls_(net::ssl::context::tls_server), acceptor_(ioc_) {
    std::filesystem::create_directories(dir_);
    make_certificate(dir_);
    tls_.use_certificate_chain_file((dir_ / "cert.pem").string());
    tls_.use_private_key_file((dir_ / "key.pem").string(), net::ssl::context::pem);
    const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    prices_["BTCUSDT"] = 50000.0;
    prices_["ETHUSDT"] = 3000.0;
    balances_["USDT"] = 1000000.0;
    balances_["BTC"] = 10.0;
    balances_["ETH"] = 100.0;
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeBinance() {
    stopping_ = true;
    boost::system::error_code ec;
    {
      net::ip::tcp::socket poke(ioc_);
      poke.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto* s : live_sockets_) s->shutdown(net::ip::tcp::socket::shutdown_both, ec);
    }
    cv_.notify_all();
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(conn_threads_);
    }
    for (auto& t : threads) t.join();
  }

  std::string rest_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ws_url() const { return "wss://127.0.0.1:" + std::to_string(port_) + "/ws-api/v3"; }
  std::string ca_file() const { return (dir_ / "cert.pem").string(); }

  void set_clock_offset_ms(int64_t ms) { offset_ms_ = ms; }
  void set_price(const std::string& sym, double p) {
    std::lock_guard<std::mutex> lock(mu_);
    prices_[sym] = p;
  }
  void set_balance(const std::string& asset, double v) {
    std::lock_guard<std::mutex> lock(mu_);
    balances_[asset] = v;
  }
  void push_fault(const std::string& route, Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_[route].push_back(std::move(f));
  }
  // A thin book: every immediate fill is split into `parts` trades, each at
  // a price one tick worse than the last (a market order walking levels).
  void fill_in_parts(int parts) { fill_parts_ = std::max(1, parts); }
  // No liquidity at all: MARKET and marketable LIMIT orders rest (NEW) until
  // fill() trades them. (Binance would expire an unfillable MARKET order;
  // the stand-in keeps it so a test can fill it later, through the stream.)
  void rest_orders(bool on) { rest_orders_ = on; }
  // Every answer on route waits ms first (a slow exchange).
  void set_delay(const std::string& route, int ms) {
    std::lock_guard<std::mutex> lock(mu_);
    delays_[route] = ms;
  }
  // Cancels an open order as a user of the account would (web UI): its
  // executionReport goes to the stream.
  void cancel_by_hand(const std::string& cid) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& o : orders_)
      if (o.cid == cid && o.open()) {
        o.status = "CANCELED";
        o.update = now_ms();
        execution_report(o, "CANCELED", 0, 0, false, "web-" + std::to_string(o.id));
        return;
      }
    throw std::runtime_error("fake: no open order " + cid);
  }
  double balance(const std::string& asset) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = balances_.find(asset);
    return it == balances_.end() ? 0.0 : it->second;
  }
  // While true, new WebSocket connections are refused (HTTP 503).
  void refuse_streams(bool on) { refuse_ws_ = on; }
  // Closes every stream connection (TCP, no close frame).
  void drop_streams() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : sessions_) s->drop = true;
    cv_.notify_all();
  }
  // Every stream connection goes silent (no frame, no close: a dead link).
  void freeze_streams() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : sessions_) s->frozen = true;
  }
  // Fills qty of a resting order at price (maker), as the matching engine would.
  void fill(const std::string& cid, double qty, double price) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& o : orders_)
      if (o.cid == cid && o.open()) {
        trade(o, qty, price, true);
        return;
      }
    throw std::runtime_error("fake: no open order " + cid);
  }
  // An event as the stream delivers it ({"subscriptionId":N,"event":ev}).
  void push_event(const json& ev) {
    std::lock_guard<std::mutex> lock(mu_);
    broadcast(ev);
  }

  int posts_for(const std::string& cid) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = posts_.find(cid);
    return it == posts_.end() ? 0 : it->second;
  }
  int orders_created(const std::string& cid) const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count_if(orders_.begin(), orders_.end(),
                                          [&](const FakeOrder& o) { return o.cid == cid; }));
  }
  std::vector<FakeOrder> orders() const {
    std::lock_guard<std::mutex> lock(mu_);
    return orders_;
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int count_requests(const std::string& prefix) const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count_if(requests_.begin(), requests_.end(), [&](const std::string& r) {
      return r.rfind(prefix, 0) == 0;
    }));
  }
  int signature_failures() const { return sig_failures_.load(); }
  int ws_connections() const { return ws_connections_.load(); }
  int subscriptions() const { return subscriptions_.load(); }
  int live_subscriptions() const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& s : sessions_) n += s->subscribed && !s->drop && !s->frozen ? 1 : 0;
    return n;
  }
  bool wait_for(const std::function<bool()>& pred, int timeout_ms = 5000) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

 private:
  struct Session {
    std::deque<std::string> outbox;
    bool subscribed = false;
    bool drop = false;
    bool frozen = false;
    int64_t sub_id = 0;
  };

  void accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      net::ip::tcp::socket sock(ioc_);
      acceptor_.accept(sock, ec);
      if (stopping_) return;
      if (ec) continue;
      std::lock_guard<std::mutex> lock(mu_);
      conn_threads_.emplace_back([this, s = std::move(sock)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(net::ip::tcp::socket sock) {
    boost::system::error_code ec;
    beast::ssl_stream<net::ip::tcp::socket> tls(std::move(sock), tls_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      live_sockets_.push_back(&tls.next_layer());
    }
    struct Unlist {
      FakeBinance* self;
      net::ip::tcp::socket* s;
      ~Unlist() {
        std::lock_guard<std::mutex> lock(self->mu_);
        auto& v = self->live_sockets_;
        v.erase(std::remove(v.begin(), v.end(), s), v.end());
      }
    } unlist{this, &tls.next_layer()};
    tls.handshake(net::ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(tls, buf, req, ec);
    if (ec) return;
    if (ws::is_upgrade(req)) serve_ws(tls, req);
    else serve_rest(tls, req);
  }

  // ---------------------------------------------------------------- REST
  static std::map<std::string, std::string> parse_query(const std::string& q) {
    std::map<std::string, std::string> out;
    size_t p = 0;
    while (p <= q.size()) {
      size_t amp = q.find('&', p);
      if (amp == std::string::npos) amp = q.size();
      const std::string kv = q.substr(p, amp - p);
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
      p = amp + 1;
    }
    return out;
  }

  // The signed-request checks; "" when they pass, else the error response.
  std::pair<int, std::string> check_signed(const std::string& query, const std::string& key_header) {
    const size_t s = query.rfind("&signature=");
    if (key_header != api_key_)
      return {401, json{{"code", -2015}, {"msg", "Invalid API-key, IP, or permissions for action."}}.dump()};
    if (s == std::string::npos)
      return {400, json{{"code", -1102}, {"msg", "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."}}.dump()};
    const std::string payload = query.substr(0, s);
    std::string sig = query.substr(s + 11);
    std::transform(sig.begin(), sig.end(), sig.begin(), [](unsigned char c) { return std::tolower(c); });
    if (binance_venue::hmac_sha256_hex(secret_, payload) != sig) {
      ++sig_failures_;
      return {400, json{{"code", -1022}, {"msg", "Signature for this request is not valid."}}.dump()};
    }
    const auto params = parse_query(payload);
    if (!check_time(params)) return {400, json{{"code", -1021}, {"msg", "Timestamp for this request is outside of the recvWindow."}}.dump()};
    return {0, ""};
  }
  bool check_time(const std::map<std::string, std::string>& params) const {
    auto t = params.find("timestamp");
    if (t == params.end()) return false;
    const int64_t ts = std::stoll(t->second);
    int64_t rw = 5000;
    if (auto r = params.find("recvWindow"); r != params.end()) rw = std::stoll(r->second);
    const int64_t server = now_ms() + offset_ms_.load();
    return ts < server + 1000 && server - ts <= rw;
  }

  void serve_rest(beast::ssl_stream<net::ip::tcp::socket>& tls, const http::request<http::string_body>& req) {
    const std::string target(req.target());
    const std::string method(req.method_string());
    const size_t qm = target.find('?');
    const std::string path = target.substr(0, qm);
    const std::string query = qm == std::string::npos ? "" : target.substr(qm + 1);
    const std::string route = method + " " + path;
    std::string key_header;
    if (auto it = req.find("X-MBX-APIKEY"); it != req.end()) key_header = std::string(it->value());
    int status = 200;
    std::string body;
    std::string retry_after;
    bool hang = false;
    int hang_ms = 0;
    int delay_ms = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (auto d = delays_.find(route); d != delays_.end()) delay_ms = d->second;
    }
    if (delay_ms > 0) {  // before the request is handled, as a slow exchange would be
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
      while (!stopping_ && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      requests_.push_back(route + "?" + query);
      ++weight_;
      auto params = parse_query(query);
      if (route == "POST /api/v3/order" && params.count("newClientOrderId"))
        ++posts_[params["newClientOrderId"]];
      Fault fault;
      bool faulted = false;
      if (auto f = faults_.find(route); f != faults_.end() && !f->second.empty()) {
        fault = f->second.front();
        f->second.pop_front();
        faulted = true;
      }
      if (route == "GET /api/v3/exchangeInfo" || route == "GET /api/v3/time") {  // security NONE: not signed
        handle(route, params, &status, &body);
      } else if (!faulted || fault.process_first) {
        auto [st, err] = check_signed(query, key_header);
        if (st != 0) {
          status = st;
          body = err;
        } else {
          handle(route, params, &status, &body);
        }
      }
      if (faulted) {
        status = fault.status;
        body = fault.body;
        retry_after = fault.retry_after;
        hang = fault.hang;
        hang_ms = fault.hang_ms;
      }
    }
    boost::system::error_code ec;
    if (hang) {
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(hang_ms);
      while (!stopping_ && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      tls.next_layer().close(ec);
      return;
    }
    http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
    res.set(http::field::content_type, "application/json;charset=UTF-8");
    res.set("X-MBX-USED-WEIGHT-1M", std::to_string(weight_.load()));
    if (!retry_after.empty()) res.set(http::field::retry_after, retry_after);
    res.body() = body;
    res.prepare_payload();
    http::write(tls, res, ec);
    tls.shutdown(ec);
  }

  json order_json(const FakeOrder& o) const {
    return json{{"symbol", o.symbol},
                {"orderId", o.id},
                {"orderListId", -1},
                {"clientOrderId", o.cid},
                {"price", binance_venue::format_decimal(o.price)},
                {"origQty", binance_venue::format_decimal(o.qty)},
                {"executedQty", binance_venue::format_decimal(o.exec)},
                {"cummulativeQuoteQty", binance_venue::format_decimal(o.quote)},
                {"status", o.status},
                {"timeInForce", o.tif},
                {"type", o.type},
                {"side", o.side},
                {"time", o.time},
                {"updateTime", o.update},
                {"isWorking", o.open()},
                {"workingTime", o.time},
                {"origQuoteOrderQty", "0.000000"},
                {"selfTradePreventionMode", "NONE"}};
  }

  // mu_ held.
  void handle(const std::string& route, std::map<std::string, std::string>& p, int* status, std::string* body) {
    auto err = [&](int st, int code, const std::string& msg) {
      *status = st;
      *body = json{{"code", code}, {"msg", msg}}.dump();
    };
    if (route == "GET /api/v3/exchangeInfo") {
      if (prices_.count(p["symbol"]) == 0) return err(400, -1121, "Invalid symbol.");
      const Rules r = rules(p["symbol"]);
      const std::string sym = p["symbol"];
      json filters = json::array({
          {{"filterType", "PRICE_FILTER"}, {"minPrice", "0.00000001"}, {"maxPrice", "1000000.00000000"},
           {"tickSize", r.tick}},
          {{"filterType", "LOT_SIZE"}, {"minQty", r.min_qty}, {"maxQty", "9000.00000000"}, {"stepSize", r.step}}});
      *status = 200;
      *body = json{{"timezone", "UTC"},
                   {"serverTime", now_ms()},
                   {"symbols", json::array({{{"symbol", sym},
                                             {"status", "TRADING"},
                                             {"baseAsset", sym.substr(0, sym.size() - 4)},
                                             {"quoteAsset", sym.substr(sym.size() - 4)},
                                             {"orderTypes", {"LIMIT", "MARKET"}},
                                             {"filters", filters}}})}}
                  .dump();
      return;
    }
    if (route == "GET /api/v3/time") {
      *status = 200;
      *body = json{{"serverTime", now_ms() + offset_ms_.load()}}.dump();
      return;
    }
    if (route == "POST /api/v3/order") {
      if (prices_.count(p["symbol"]) == 0) return err(400, -1121, "Invalid symbol.");
      {  // filters.md: quantity % stepSize == 0, quantity >= minQty; price % tickSize == 0
        const Rules r = rules(p["symbol"]);
        const double q = std::stod(p["quantity"]), step = std::stod(r.step);
        const double n = q / step;
        if (q < std::stod(r.min_qty) || std::fabs(n - std::round(n)) > 1e-6)
          return err(400, -1013, "Filter failure: LOT_SIZE");
        if (p.count("price")) {
          const double t = std::stod(p["price"]) / std::stod(r.tick);
          if (std::fabs(t - std::round(t)) > 1e-6) return err(400, -1013, "Filter failure: PRICE_FILTER");
        }
      }
      for (const auto& o : orders_)
        if (o.cid == p["newClientOrderId"] && o.open()) return err(400, -2010, "Duplicate order sent.");
      {  // a spot account: what it sells or spends it must hold (-2010)
        const std::string sym = p["symbol"];
        const std::string base = sym.substr(0, sym.size() - 4), quote = sym.substr(sym.size() - 4);
        const double q = std::stod(p["quantity"]);
        const double px = p["type"] == "LIMIT" ? std::stod(p["price"]) : prices_[sym];
        if (p["side"] == "SELL" ? balances_[base] < q - 1e-12 : balances_[quote] < q * px)
          return err(400, -2010, "Account has insufficient balance for requested action.");
      }
      FakeOrder o;
      o.symbol = p["symbol"];
      o.cid = p["newClientOrderId"];
      o.side = p["side"];
      o.type = p["type"];
      o.tif = o.type == "LIMIT" ? p["timeInForce"] : "GTC";
      o.qty = std::stod(p["quantity"]);
      o.price = o.type == "LIMIT" ? std::stod(p["price"]) : 0.0;
      o.id = ++next_id_;
      o.time = o.update = now_ms();
      const double mkt = prices_[o.symbol];
      orders_.push_back(o);
      FakeOrder& live = orders_.back();
      execution_report(live, "NEW", 0, 0, false);
      json fills = json::array();
      const bool marketable =
          !rest_orders_ && (o.type == "MARKET" || (o.side == "BUY" ? o.price >= mkt : o.price <= mkt));
      if (marketable) {
        const double tick = std::stod(rules(o.symbol).tick);
        for (int k = 0; k < fill_parts_; ++k) {
          const double part = k + 1 < fill_parts_ ? floor_to(o.qty / fill_parts_, std::stod(rules(o.symbol).step))
                                                  : o.qty - live.exec;
          if (part <= 0.0) continue;
          fills.push_back(trade(live, part, mkt + (o.side == "BUY" ? k * tick : -k * tick), false));
        }
      } else if (o.tif == "IOC" || o.tif == "FOK") {
        live.status = "EXPIRED";
        execution_report(live, "EXPIRED", 0, 0, false);
      }
      json out = order_json(live);
      out["transactTime"] = live.update;
      if (p["newOrderRespType"] == "FULL") out["fills"] = fills;
      *status = 200;
      *body = out.dump();
      return;
    }
    if (route == "DELETE /api/v3/order") {
      for (auto& o : orders_)
        if (o.cid == p["origClientOrderId"] && o.symbol == p["symbol"] && o.open()) {
          o.status = "CANCELED";
          o.update = now_ms();
          execution_report(o, "CANCELED", 0, 0, false, "cancel-" + std::to_string(o.id));
          json out = order_json(o);
          out["origClientOrderId"] = o.cid;
          out["clientOrderId"] = "cancel-" + std::to_string(o.id);
          out["transactTime"] = o.update;
          *status = 200;
          *body = out.dump();
          return;
        }
      return err(400, -2011, "Unknown order sent.");
    }
    if (route == "GET /api/v3/order") {
      for (auto it = orders_.rbegin(); it != orders_.rend(); ++it)
        if (it->cid == p["origClientOrderId"] && it->symbol == p["symbol"]) {
          *status = 200;
          *body = order_json(*it).dump();
          return;
        }
      return err(400, -2013, "Order does not exist.");
    }
    if (route == "GET /api/v3/openOrders") {
      json arr = json::array();
      for (const auto& o : orders_)
        if (o.open() && (p["symbol"].empty() || o.symbol == p["symbol"])) arr.push_back(order_json(o));
      *status = 200;
      *body = arr.dump();
      return;
    }
    if (route == "GET /api/v3/account") {
      json bal = json::array();
      for (const auto& [a, v] : balances_)
        if (v != 0.0 || p["omitZeroBalances"] != "true")
          bal.push_back({{"asset", a}, {"free", binance_venue::format_decimal(v)}, {"locked", "0"}});
      *status = 200;
      *body = json{{"canTrade", true}, {"accountType", "SPOT"}, {"balances", bal}}.dump();
      return;
    }
    err(404, -1000, "not implemented by the fake");
  }

  static double floor_to(double v, double step) { return std::floor(v / step * (1 + 1e-12)) * step; }

  Rules rules(const std::string& sym) const {  // mu_ held
    auto it = rules_.find(sym);
    return it == rules_.end() ? Rules() : it->second;
  }

  // mu_ held: a trade of qty at price on o; the FULL-response fill.
  json trade(FakeOrder& o, double qty, double price, bool maker) {
    qty = std::min(qty, o.qty - o.exec);
    o.exec += qty;
    o.quote += qty * price;
    o.update = now_ms();
    o.status = o.exec >= o.qty - 1e-12 ? "FILLED" : "PARTIALLY_FILLED";
    const double commission = qty * price * 0.001;  // 10 bps in USDT
    const std::string base = o.symbol.substr(0, o.symbol.size() - 4);
    balances_[base] += o.side == "BUY" ? qty : -qty;
    balances_["USDT"] += (o.side == "BUY" ? -qty * price : qty * price) - commission;
    const int64_t tid = ++next_trade_;
    execution_report(o, "TRADE", qty, price, maker, "", commission, tid);
    return json{{"price", binance_venue::format_decimal(price)},
                {"qty", binance_venue::format_decimal(qty)},
                {"commission", binance_venue::format_decimal(commission)},
                {"commissionAsset", "USDT"},
                {"tradeId", tid}};
  }

  // mu_ held.
  void execution_report(const FakeOrder& o, const std::string& x, double l, double L, bool maker,
                        const std::string& cancel_id = "", double n = 0, int64_t t = -1) {
    json ev = {{"e", "executionReport"},
               {"E", now_ms()},
               {"s", o.symbol},
               {"c", cancel_id.empty() ? o.cid : cancel_id},
               {"S", o.side},
               {"o", o.type},
               {"f", o.tif},
               {"q", binance_venue::format_decimal(o.qty)},
               {"p", binance_venue::format_decimal(o.price)},
               {"C", cancel_id.empty() ? "" : o.cid},
               {"x", x},
               {"X", o.status},
               {"r", "NONE"},
               {"i", o.id},
               {"l", binance_venue::format_decimal(l)},
               {"z", binance_venue::format_decimal(o.exec)},
               {"L", binance_venue::format_decimal(L)},
               {"n", binance_venue::format_decimal(n)},
               {"N", x == "TRADE" ? json("USDT") : json(nullptr)},
               {"T", o.update},
               {"t", t},
               {"w", o.open()},
               {"m", maker},
               {"M", false},
               {"O", o.time},
               {"Z", binance_venue::format_decimal(o.quote)},
               {"Y", binance_venue::format_decimal(l * L)}};
    broadcast(ev);
  }
  void broadcast(const json& ev) {  // mu_ held
    for (auto& s : sessions_)
      if (s->subscribed && !s->drop)
        s->outbox.push_back(json{{"subscriptionId", s->sub_id}, {"event", ev}}.dump());
    cv_.notify_all();
  }

  // ---------------------------------------------------------- WebSocket
  void serve_ws(beast::ssl_stream<net::ip::tcp::socket>& tls, const http::request<http::string_body>& req) {
    ++ws_connections_;
    boost::system::error_code ec;
    if (refuse_ws_ || std::string(req.target()) != "/ws-api/v3") {
      http::response<http::string_body> res{http::status::service_unavailable, req.version()};
      res.body() = "unavailable";
      res.prepare_payload();
      http::write(tls, res, ec);
      tls.shutdown(ec);
      return;
    }
    ws::stream<beast::ssl_stream<net::ip::tcp::socket>&> w(tls);
    w.accept(req, ec);
    if (ec) return;
    auto session = std::make_shared<Session>();
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.push_back(session);
    }
    struct Remove {
      FakeBinance* self;
      std::shared_ptr<Session> s;
      ~Remove() {
        std::lock_guard<std::mutex> lock(self->mu_);
        auto& v = self->sessions_;
        v.erase(std::remove(v.begin(), v.end(), s), v.end());
      }
    } remove{this, session};
    // The subscribe request.
    beast::flat_buffer b;
    w.read(b, ec);
    if (ec) return;
    const json req_json = json::parse(beast::buffers_to_string(b.data()), nullptr, false);
    json answer;
    answer["id"] = req_json.is_object() && req_json.contains("id") ? req_json["id"] : json(nullptr);
    bool ok = false;
    if (req_json.is_object() && req_json.value("method", "") == "userDataStream.subscribe.signature" &&
        req_json.contains("params")) {
      const json& p = req_json["params"];
      // web-socket-api.md: every param but signature, sorted by name.
      std::map<std::string, std::string> sorted;
      for (auto it = p.begin(); it != p.end(); ++it) {
        if (it.key() == "signature") continue;
        sorted[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
      }
      std::string payload;
      for (const auto& [k, v] : sorted) payload += (payload.empty() ? "" : "&") + k + "=" + v;
      std::map<std::string, std::string> tp;
      if (p.contains("timestamp")) tp["timestamp"] = p["timestamp"].dump();
      if (p.contains("recvWindow")) tp["recvWindow"] = p["recvWindow"].dump();
      if (p.value("apiKey", "") != api_key_) {
        answer["status"] = 401;
        answer["error"] = {{"code", -2015}, {"msg", "Invalid API-key, IP, or permissions for action."}};
      } else if (binance_venue::hmac_sha256_hex(secret_, payload) != p.value("signature", "")) {
        ++sig_failures_;
        answer["status"] = 400;
        answer["error"] = {{"code", -1022}, {"msg", "Signature for this request is not valid."}};
      } else if (!check_time(tp)) {
        answer["status"] = 400;
        answer["error"] = {{"code", -1021}, {"msg", "Timestamp for this request is outside of the recvWindow."}};
      } else {
        ok = true;
        answer["status"] = 200;
        answer["result"] = {{"subscriptionId", next_sub_}};
      }
    } else {
      answer["status"] = 400;
      answer["error"] = {{"code", -1000}, {"msg", "unknown method"}};
    }
    w.text(true);
    w.write(net::buffer(answer.dump()), ec);
    if (ec) return;
    if (ok) {
      std::lock_guard<std::mutex> lock(mu_);
      session->sub_id = next_sub_++;
      session->subscribed = true;
      ++subscriptions_;
    }
    // Events until the client goes, a drop, or the end.
    while (!stopping_) {
      std::deque<std::string> out;
      bool drop = false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(50),
                     [&] { return stopping_ || session->drop || !session->outbox.empty(); });
        if (!session->frozen) out.swap(session->outbox);
        drop = session->drop;
      }
      if (drop) {
        tls.next_layer().close(ec);
        return;
      }
      for (const auto& m : out) {
        w.text(true);
        w.write(net::buffer(m), ec);
        if (ec) return;
      }
    }
  }

  std::filesystem::path dir_;
  std::string api_key_, secret_;
  net::io_context ioc_;
  net::ssl::context tls_;
  net::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> refuse_ws_{false};
  std::atomic<int64_t> offset_ms_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> conn_threads_;
  std::vector<net::ip::tcp::socket*> live_sockets_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::map<std::string, std::deque<Fault>> faults_;
  std::map<std::string, int> delays_;
  std::atomic<int> fill_parts_{1};
  std::atomic<bool> rest_orders_{false};
  std::map<std::string, double> prices_, balances_;
  std::map<std::string, Rules> rules_;
  std::vector<FakeOrder> orders_;
  std::map<std::string, int> posts_;
  std::vector<std::string> requests_;
  int64_t next_id_ = 1000, next_trade_ = 5000, next_sub_ = 0;
  std::atomic<int> weight_{0}, sig_failures_{0}, ws_connections_{0}, subscriptions_{0};
};

}  // namespace fake

#endif
