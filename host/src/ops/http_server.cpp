#include "ops/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>

namespace sh::host {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Declared so that io (and the sessions its handlers own) goes before the
// config and stats the sessions use.
struct HttpServer::Impl {
  HttpConfig config;
  Handler handler;
  Tick tick;
  int64_t tick_ms;
  HttpServerStats stats;
  bool stopping = false;  // server thread only
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer ticker{io};

  void accept();
  void schedule_tick();
};

namespace {

// One connection: read a request (bounded, timed), answer it, repeat while
// the client keeps the connection alive.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)),
        server_(server),
        buffer_(HttpConfig::kMaxHeaderBytes + server.config.max_body_bytes + 1024) {
    boost::system::error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec).address();
    server_.stats.connections_open.fetch_add(1);
  }
  ~HttpSession() { server_.stats.connections_open.fetch_sub(1); }

  void read() {
    parser_.emplace();
    parser_->header_limit(HttpConfig::kMaxHeaderBytes);
    parser_->body_limit(server_.config.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_.config.read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return close();
    }
    if (ec == beast::error::timeout) {
      server_.stats.connections_timed_out.fetch_add(1);
      return close();  // a slow client: dropped, nothing written
    }
    if (ec) return refuse(ec);
    HttpRequest req = parser_->release();
    res_ = HttpResponse{};
    res_.version(req.version());
    res_.set(bhttp::field::server, "strategy-host");
    server_.handler(req, peer_, res_);
    res_.keep_alive(req.keep_alive());
    res_.prepare_payload();
    write();
  }

  // A request the parser refused: its status, then the connection closes.
  void refuse(beast::error_code ec) {
    server_.stats.requests_bad.fetch_add(1);
    bhttp::status code = bhttp::status::bad_request;
    if (ec == bhttp::error::header_limit) code = bhttp::status::request_header_fields_too_large;
    if (ec == bhttp::error::body_limit) code = bhttp::status::payload_too_large;
    res_ = HttpResponse{code, 11};
    res_.set(bhttp::field::server, "strategy-host");
    res_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res_.body() = std::string(bhttp::obsolete_reason(code)) + ": " + ec.message() + "\n";
    res_.keep_alive(false);
    res_.prepare_payload();
    write();
  }

  void write() {
    stream_.expires_after(std::chrono::milliseconds(server_.config.read_timeout_ms));
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive() || self->server_.stopping) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;  // bounded: header + body limits
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  HttpResponse res_;
  asio::ip::address peer_;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopping || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (stats.connections_open.load() >= static_cast<int64_t>(config.max_connections)) {
        stats.connections_refused.fetch_add(1);
        beast::error_code ignored;
        socket.close(ignored);  // over the cap: closed at once
      } else {
        stats.connections_accepted.fetch_add(1);
        std::make_shared<HttpSession>(std::move(socket), *this)->read();
      }
    }
    accept();
  });
}

void HttpServer::Impl::schedule_tick() {
  if (!tick) return;
  ticker.expires_after(std::chrono::milliseconds(tick_ms));
  ticker.async_wait([this](beast::error_code ec) {
    if (ec || stopping) return;
    tick();
    schedule_tick();
  });
}

HttpServer::HttpServer(HttpConfig config, Handler handler, Tick tick, int64_t tick_ms)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
  impl_->tick = std::move(tick);
  impl_->tick_ms = tick_ms;
}

HttpServer::~HttpServer() { stop(); }

const HttpServerStats& HttpServer::stats() const { return impl_->stats; }

Status HttpServer::start() {
  Impl& s = *impl_;
  const std::string where = s.config.bind + ":" + std::to_string(s.config.port);
  beast::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address(s.config.bind, ec), s.config.port);
  if (!ec) s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("host.http.port: cannot listen on " + where + ": " + ec.message());
  }
  bound_port_ = s.acceptor.local_endpoint().port();
  s.accept();
  s.schedule_tick();
  thread_ = std::thread([&s] {
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: that request is lost, the server goes on.
        spdlog::error("http server: {}", e.what());
      }
    }
  });
  return Status::Ok();
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(impl_->io, [&s = *impl_] {
    s.stopping = true;
    beast::error_code ignored;
    s.acceptor.close(ignored);
    s.ticker.cancel();
  });
  // Open sessions end at their next event; do not wait on slow clients.
  impl_->io.stop();
  thread_.join();
}

}  // namespace sh::host
