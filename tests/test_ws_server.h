// test_ws_server.h: a local stand-in for an exchange's endpoints, for the
// exchange providers' tests (binance, coinbase; no test reaches the
// internet). One TLS port on 127.0.0.1 serves WebSocket upgrades (each
// connection plays the next scripted session, and records what the client
// sends, e.g. Coinbase's subscribe messages) and Binance's GET
// /api/v3/depth (snapshots queued per symbol). The certificate is made at
// test time with `openssl req`.
#ifndef SH_TESTS_TEST_WS_SERVER_H
#define SH_TESTS_TEST_WS_SERVER_H

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/test_certificate.h"

namespace sh_test {

namespace bnet = boost::asio;
namespace bbeast = boost::beast;
namespace bws = boost::beast::websocket;
namespace bhttp = boost::beast::http;

// One step of a scripted WebSocket session.
struct WsStep {
  enum Kind {
    kSend,     // a text frame
    kSleep,    // pause ms
    kPing,     // a ping frame with text as payload
    kClose,    // a normal close frame, then the connection ends
    kDrop,     // TCP close, no close frame
    kCutFrame, // a frame header announcing more bytes than follow, then TCP close
    kRefuse,   // answer the upgrade with HTTP 400 and text as body (first step only)
    kHang,     // say nothing until the client goes
    kAwait     // read until the client has sent ms text frames in this session
  };
  Kind kind;
  std::string text;
  int ms = 0;
};
using WsScript = std::vector<WsStep>;

inline WsStep send(std::string frame) { return {WsStep::kSend, std::move(frame), 0}; }
inline WsStep sleep_ms(int ms) { return {WsStep::kSleep, "", ms}; }
inline WsStep ping(std::string payload) { return {WsStep::kPing, std::move(payload), 0}; }
inline WsStep close_frame() { return {WsStep::kClose, "", 0}; }
inline WsStep drop() { return {WsStep::kDrop, "", 0}; }
inline WsStep cut_frame() { return {WsStep::kCutFrame, "", 0}; }
inline WsStep refuse(std::string body) { return {WsStep::kRefuse, std::move(body), 0}; }
inline WsStep hang() { return {WsStep::kHang, "", 0}; }
inline WsStep await_texts(int n) { return {WsStep::kAwait, "", n}; }

// Frames of a fixture file tests/data/<venue>/<name>: one per non-empty line.
inline std::vector<std::string> fixture_lines(const std::string& name, const std::string& venue = "binance") {
  std::ifstream in(std::string(SH_SOURCE_DIR) + "/tests/data/" + venue + "/" + name);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}
inline std::string fixture_text(const std::string& name, const std::string& venue = "binance") {
  std::ifstream in(std::string(SH_SOURCE_DIR) + "/tests/data/" + venue + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
inline void append_sends(WsScript& s, const std::vector<std::string>& frames) {
  for (const auto& f : frames) s.push_back(send(f));
}

class WsFixtureServer {
 public:
  explicit WsFixtureServer(const std::filesystem::path& dir)
      : dir_(dir), tls_(bnet::ssl::context::tls_server), acceptor_(ioc_) {
    make_test_certificate(dir_);
    tls_.use_certificate_chain_file((dir_ / "cert.pem").string());
    tls_.use_private_key_file((dir_ / "key.pem").string(), bnet::ssl::context::pem);
    const bnet::ip::tcp::endpoint ep(bnet::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(bnet::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~WsFixtureServer() {
    stopping_ = true;
    boost::system::error_code ec;
    {  // wake the blocking accept()
      bnet::ip::tcp::socket poke(ioc_);
      poke.connect({bnet::ip::make_address("127.0.0.1"), port_}, ec);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto* s : live_sockets_) s->shutdown(bnet::ip::tcp::socket::shutdown_both, ec);
    }
    accept_thread_.join();
    for (auto& t : conn_threads_) t.join();
  }

  uint16_t port() const { return port_; }
  std::string ws_url() const { return "wss://127.0.0.1:" + std::to_string(port_); }
  std::string rest_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca_file() const { return (dir_ / "cert.pem").string(); }

  void add_session(WsScript s) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.push_back(std::move(s));
  }
  // Served in order for symbol; the last one is repeated.
  void add_snapshot(const std::string& symbol, std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    snapshots_[symbol].push_back({status, std::move(body)});
  }
  int ws_connections() const { return ws_connections_.load(); }
  int tls_handshake_failures() const { return tls_failures_.load(); }
  int rest_requests() const { return rest_requests_.load(); }
  std::vector<std::string> targets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }
  std::vector<std::string> pongs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pongs_;
  }
  // Text frames the clients sent, in arrival order, over all sessions.
  std::vector<std::string> client_texts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return client_texts_;
  }
  // Sessions that finished playing (the client has gone or was cut off).
  int sessions_done() const { return sessions_done_.load(); }

 private:
  void accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      bnet::ip::tcp::socket sock(ioc_);
      acceptor_.accept(sock, ec);
      if (stopping_) return;
      if (ec) continue;
      std::lock_guard<std::mutex> lock(mu_);
      conn_threads_.emplace_back([this, s = std::move(sock)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(bnet::ip::tcp::socket sock) {
    boost::system::error_code ec;
    bbeast::ssl_stream<bnet::ip::tcp::socket> tls(std::move(sock), tls_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      live_sockets_.push_back(&tls.next_layer());
    }
    struct Unlist {
      WsFixtureServer* self;
      bnet::ip::tcp::socket* s;
      ~Unlist() {
        std::lock_guard<std::mutex> lock(self->mu_);
        auto& v = self->live_sockets_;
        v.erase(std::remove(v.begin(), v.end(), s), v.end());
      }
    } unlist{this, &tls.next_layer()};
    tls.handshake(bnet::ssl::stream_base::server, ec);
    if (ec) {
      ++tls_failures_;
      return;
    }
    bbeast::flat_buffer buf;
    bhttp::request<bhttp::string_body> req;
    bhttp::read(tls, buf, req, ec);
    if (ec) return;
    if (bws::is_upgrade(req)) {
      serve_ws(tls, req);
    } else {
      serve_rest(tls, req);
    }
  }

  void serve_rest(bbeast::ssl_stream<bnet::ip::tcp::socket>& tls,
                  const bhttp::request<bhttp::string_body>& req) {
    ++rest_requests_;
    const std::string target(req.target());
    std::string symbol;
    const auto p = target.find("symbol=");
    if (p != std::string::npos) symbol = target.substr(p + 7, target.find('&', p) - p - 7);
    int status = 404;
    std::string body = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}";
    {
      std::lock_guard<std::mutex> lock(mu_);
      targets_.push_back(target);
      auto it = snapshots_.find(symbol);
      if (target.rfind("/api/v3/depth?", 0) == 0 && it != snapshots_.end() && !it->second.empty()) {
        status = it->second.front().first;
        body = it->second.front().second;
        if (it->second.size() > 1) it->second.pop_front();
      }
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), req.version()};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = body;
    res.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(tls, res, ec);
    tls.shutdown(ec);
  }

  void serve_ws(bbeast::ssl_stream<bnet::ip::tcp::socket>& tls,
                const bhttp::request<bhttp::string_body>& req) {
    ++ws_connections_;
    WsScript script;
    {
      std::lock_guard<std::mutex> lock(mu_);
      targets_.push_back(std::string(req.target()));
      if (!sessions_.empty()) {
        script = std::move(sessions_.front());
        sessions_.pop_front();
      } else {
        script = {hang()};  // no more scripts: a silent server
      }
    }
    struct Done {
      std::atomic<int>& n;
      ~Done() { ++n; }
    } done{sessions_done_};
    boost::system::error_code ec;
    if (!script.empty() && script.front().kind == WsStep::kRefuse) {
      bhttp::response<bhttp::string_body> res{bhttp::status::bad_request, req.version()};
      res.body() = script.front().text;
      res.prepare_payload();
      bhttp::write(tls, res, ec);
      tls.shutdown(ec);
      return;
    }
    bws::stream<bbeast::ssl_stream<bnet::ip::tcp::socket>&> ws(tls);
    ws.control_callback([this](bws::frame_type kind, bbeast::string_view payload) {
      if (kind == bws::frame_type::pong) {
        std::lock_guard<std::mutex> lock(mu_);
        pongs_.emplace_back(payload);
      }
    });
    ws.accept(req, ec);
    if (ec) return;
    int texts_seen = 0;
    for (const WsStep& s : script) {
      if (stopping_) return;
      switch (s.kind) {
        case WsStep::kSend:
          ws.text(true);
          ws.write(bnet::buffer(s.text), ec);
          break;
        case WsStep::kSleep:
          std::this_thread::sleep_for(std::chrono::milliseconds(s.ms));
          break;
        case WsStep::kPing:
          ws.ping(bws::ping_data(s.text.c_str()), ec);
          break;
        case WsStep::kClose:
          ws.close(bws::close_code::normal, ec);
          drain(ws);
          return;
        case WsStep::kDrop:
          tls.next_layer().close(ec);
          return;
        case WsStep::kCutFrame: {
          // Unmasked text frame, 16-bit length 300, only 20 payload bytes.
          const std::string raw = std::string("\x81\x7e\x01\x2c", 4) + "{\"stream\":\"btcusdt@t";
          bnet::write(tls, bnet::buffer(raw), ec);
          tls.next_layer().close(ec);
          return;
        }
        case WsStep::kRefuse:
        case WsStep::kHang:
          drain(ws);
          return;
        case WsStep::kAwait:
          await(ws, s.ms, &texts_seen);
          break;
      }
      if (ec) return;
    }
    drain(ws);  // stay until the client goes (answers its pongs)
  }

  template <typename Ws>
  void drain(Ws& ws) {
    bbeast::flat_buffer b;
    boost::system::error_code ec;
    while (!stopping_ && !ec) {
      ws.read(b, ec);
      if (!ec) note_text(b);
      b.consume(b.size());
    }
  }
  // Reads client frames until *seen reaches n (blocking: a client that
  // never sends is cut off by its own stale timeout or the server's end).
  template <typename Ws>
  void await(Ws& ws, int n, int* seen) {
    while (!stopping_ && *seen < n) {
      bbeast::flat_buffer b;
      boost::system::error_code ec;
      ws.read(b, ec);
      if (ec) return;
      note_text(b);
      ++*seen;
    }
  }
  void note_text(const bbeast::flat_buffer& b) {
    std::lock_guard<std::mutex> lock(mu_);
    client_texts_.push_back(bbeast::buffers_to_string(b.data()));
  }

  std::filesystem::path dir_;
  bnet::io_context ioc_;
  bnet::ssl::context tls_;
  bnet::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;  // guards everything below
  std::vector<std::thread> conn_threads_;
  std::vector<bnet::ip::tcp::socket*> live_sockets_;
  std::deque<WsScript> sessions_;
  std::map<std::string, std::deque<std::pair<int, std::string>>> snapshots_;
  std::vector<std::string> targets_;
  std::vector<std::string> pongs_;
  std::vector<std::string> client_texts_;
  std::atomic<int> ws_connections_{0};
  std::atomic<int> tls_failures_{0};
  std::atomic<int> rest_requests_{0};
  std::atomic<int> sessions_done_{0};
};

}  // namespace sh_test

#endif
