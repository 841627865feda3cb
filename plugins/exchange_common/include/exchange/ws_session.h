// ws_session.h: one WebSocket-over-TLS connection, from resolve to close.
// Runs on the feed thread's io_context (single-threaded: no locks). Pings
// are answered by Beast with a pong carrying the ping's payload (Binance and
// Coinbase both ask for that); each one is reported through on_ping.
#ifndef SH_EXCHANGE_WS_SESSION_H
#define SH_EXCHANGE_WS_SESSION_H

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "exchange/url.h"

namespace exchange {

// Why a session ended.
enum class SessionEnd {
  kConnectFailed,  // resolve / TCP connect / timeout before the handshake
  kTlsFailed,      // TLS handshake refused (certificate, protocol)
  kRefused,        // the server declined the upgrade or the subscription (bad stream names)
  kClosedByServer, // close frame, EOF, reset, or a frame cut short
  kStale,          // closed by us: no data for stale_timeout_ms
  kAged,           // closed by us: max_connection_age_s reached (the venue's cut)
  kStopped         // closed by us: the provider is stopping
};
const char* session_end_name(SessionEnd e);

struct WsCallbacks {
  std::function<void()> on_open;  // the handshake is done: send() may be called
  // A text (or binary) message; recv_ts_ns taken when the read completed.
  std::function<void(int64_t recv_ts_ns, const char* data, size_t len)> on_message;
  std::function<void()> on_ping;
  // Called exactly once per session.
  std::function<void(SessionEnd why, const std::string& detail)> on_end;
};

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, Url url,
            std::string target, int64_t connect_timeout_ms, bool tls_verify, WsCallbacks cb,
            std::string user_agent);
  void start();
  // Ends the session from outside (stale, aged, stopped, refused); detail
  // goes to on_end.
  void abort(SessionEnd why, std::string detail = std::string());
  // Queues a text frame (after on_open); frames go out in order. A failed
  // write ends the session through the read side.
  void send(std::string text);

 private:
  using Ws = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
  void on_resolve(boost::beast::error_code ec, boost::asio::ip::tcp::resolver::results_type r);
  void on_connect(boost::beast::error_code ec);
  void on_tls(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void read();
  void on_read(boost::beast::error_code ec, size_t bytes);
  void write_next();
  void end(SessionEnd why, const std::string& detail);

  boost::asio::ip::tcp::resolver resolver_;
  Ws ws_;
  Url url_;
  std::string target_;
  int64_t connect_timeout_ms_;
  bool tls_verify_;
  WsCallbacks cb_;
  std::string user_agent_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;  // outbox_.front() is being written
  boost::beast::websocket::response_type response_;
  bool ended_ = false;
  bool aborting_ = false;
  SessionEnd abort_reason_ = SessionEnd::kStopped;
  std::string abort_detail_;
};

// Current wall time in ns since the epoch: receive timestamps only.
int64_t wall_now_ns();

}  // namespace exchange

#endif
