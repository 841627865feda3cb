// ws_session.cpp: WsSession.
#include "exchange/ws_session.h"

#include <chrono>

#include "exchange/tls_context.h"

namespace exchange {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* session_end_name(SessionEnd e) {
  switch (e) {
    case SessionEnd::kConnectFailed: return "connect_failed";
    case SessionEnd::kTlsFailed: return "tls_failed";
    case SessionEnd::kRefused: return "refused";
    case SessionEnd::kClosedByServer: return "closed_by_server";
    case SessionEnd::kStale: return "stale";
    case SessionEnd::kAged: return "aged";
    case SessionEnd::kStopped: return "stopped";
  }
  return "?";
}

WsSession::WsSession(net::io_context& ioc, net::ssl::context& tls, Url url, std::string target,
                     int64_t connect_timeout_ms, bool tls_verify, WsCallbacks cb,
                     std::string user_agent)
    : resolver_(ioc), ws_(ioc, tls), url_(std::move(url)), target_(std::move(target)),
      connect_timeout_ms_(connect_timeout_ms), tls_verify_(tls_verify), cb_(std::move(cb)),
      user_agent_(std::move(user_agent)) {}

void WsSession::start() {
  resolver_.async_resolve(url_.host, url_.port,
                          [self = shared_from_this()](beast::error_code ec, auto results) {
                            self->on_resolve(ec, results);
                          });
}

void WsSession::abort(SessionEnd why, std::string detail) {
  if (ended_ || aborting_) return;
  aborting_ = true;
  abort_reason_ = why;
  abort_detail_ = std::move(detail);
  resolver_.cancel();
  beast::get_lowest_layer(ws_).close();  // pending operations complete with an error
}

void WsSession::end(SessionEnd why, const std::string& detail) {
  if (ended_) return;
  ended_ = true;
  std::string d = detail;
  if (aborting_) {
    why = abort_reason_;
    if (!abort_detail_.empty()) d = abort_detail_;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  if (cb_.on_end) cb_.on_end(why, d);
}

void WsSession::send(std::string text) {
  if (ended_ || aborting_) return;
  outbox_.push_back(std::move(text));
  if (outbox_.size() == 1) write_next();
}

void WsSession::write_next() {
  ws_.text(true);
  ws_.async_write(net::buffer(outbox_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) return;  // the read side sees the broken connection and ends the session
    self->outbox_.pop_front();
    if (!self->outbox_.empty() && !self->ended_ && !self->aborting_) self->write_next();
  });
}

void WsSession::on_resolve(beast::error_code ec, net::ip::tcp::resolver::results_type r) {
  if (ec) return end(SessionEnd::kConnectFailed, "resolve " + url_.host + ": " + ec.message());
  beast::get_lowest_layer(ws_).expires_after(std::chrono::milliseconds(connect_timeout_ms_));
  beast::get_lowest_layer(ws_).async_connect(
      r, [self = shared_from_this()](beast::error_code e, const auto&) { self->on_connect(e); });
}

void WsSession::on_connect(beast::error_code ec) {
  if (ec) return end(SessionEnd::kConnectFailed, "connect " + url_.host + ":" + url_.port + ": " + ec.message());
  std::string err;
  if (!prepare_tls_peer(ws_.next_layer().native_handle(), url_.host, tls_verify_, &err))
    return end(SessionEnd::kTlsFailed, err);
  ws_.next_layer().async_handshake(net::ssl::stream_base::client,
                                   [self = shared_from_this()](beast::error_code e) { self->on_tls(e); });
}

void WsSession::on_tls(beast::error_code ec) {
  if (ec) {
    if (ec == beast::error::timeout) return end(SessionEnd::kConnectFailed, "TLS handshake timed out");
    return end(SessionEnd::kTlsFailed,
               tls_failure_reason(ws_.next_layer().native_handle(), "TLS handshake: " + ec.message()));
  }
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::milliseconds(connect_timeout_ms_);
  t.idle_timeout = websocket::stream_base::none();  // staleness is the feed thread's call
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([ua = user_agent_](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, ua);
  }));
  ws_.read_message_max(8u << 20);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping && cb_.on_ping) cb_.on_ping();
  });
  const std::string host_header = url_.host + ":" + url_.port;
  ws_.async_handshake(response_, host_header, target_,
                      [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
}

void WsSession::on_handshake(beast::error_code ec) {
  if (ec) {
    if (ec == websocket::error::upgrade_declined) {
      return end(SessionEnd::kRefused, "server declined the subscription: HTTP " +
                                           std::to_string(response_.result_int()) + " " +
                                           response_.body().substr(0, 200));
    }
    return end(SessionEnd::kConnectFailed, "WebSocket handshake: " + ec.message());
  }
  if (cb_.on_open) cb_.on_open();
  read();
}

void WsSession::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t n) {
    self->on_read(ec, n);
  });
}

void WsSession::on_read(beast::error_code ec, size_t bytes) {
  if (ec) {
    std::string why = ec == websocket::error::closed
                          ? "close frame (code " + std::to_string(ws_.reason().code) + " " +
                                std::string(ws_.reason().reason.c_str()) + ")"
                          : ec.message();
    return end(SessionEnd::kClosedByServer, why);
  }
  const int64_t recv_ts_ns = wall_now_ns();
  const auto data = buffer_.cdata();
  if (cb_.on_message) cb_.on_message(recv_ts_ns, static_cast<const char*>(data.data()), bytes);
  buffer_.consume(buffer_.size());
  if (ended_ || aborting_) return end(abort_reason_, "");
  read();
}

}  // namespace exchange
