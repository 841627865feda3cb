// depth_snapshot_client.cpp: DepthSnapshotClient.
#include "http/depth_snapshot_client.h"

#include <chrono>

#include "exchange/tls_context.h"
#include "exchange/ws_session.h"

namespace binance {

using exchange::prepare_tls_peer;
using exchange::tls_failure_reason;
using exchange::wall_now_ns;

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

DepthSnapshotClient::DepthSnapshotClient(net::io_context& ioc, net::ssl::context& tls, Url url,
                                         std::string symbol, uint32_t limit, int64_t timeout_ms,
                                         bool tls_verify, SnapshotHandler done)
    : resolver_(ioc), stream_(ioc, tls), url_(std::move(url)), symbol_(std::move(symbol)),
      limit_(limit), timeout_ms_(timeout_ms), tls_verify_(tls_verify), done_(std::move(done)) {}

void DepthSnapshotClient::fail(const std::string& what) {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
  if (done_) done_(false, 0, std::string(), symbol_ + " depth snapshot: " + what);
  done_ = nullptr;
}

void DepthSnapshotClient::start() {
  auto self = shared_from_this();
  resolver_.async_resolve(url_.host, url_.port, [self](beast::error_code ec, auto results) {
    if (ec) return self->fail("resolve: " + ec.message());
    auto& tcp = beast::get_lowest_layer(self->stream_);
    tcp.expires_after(std::chrono::milliseconds(self->timeout_ms_));
    tcp.async_connect(results, [self](beast::error_code ec2, const auto&) {
      if (ec2) return self->fail("connect: " + ec2.message());
      std::string err;
      if (!prepare_tls_peer(self->stream_.native_handle(), self->url_.host, self->tls_verify_, &err))
        return self->fail(err);
      self->stream_.async_handshake(net::ssl::stream_base::client, [self](beast::error_code ec3) {
        if (ec3)
          return self->fail(tls_failure_reason(self->stream_.native_handle(), "TLS: " + ec3.message()));
        self->req_.version(11);
        self->req_.method(http::verb::get);
        self->req_.target(self->url_.path + "/api/v3/depth?symbol=" + self->symbol_ +
                          "&limit=" + std::to_string(self->limit_));
        self->req_.set(http::field::host, self->url_.host);
        self->req_.set(http::field::user_agent, "strategy-host-binance/1.0");
        self->req_.set(http::field::connection, "close");
        http::async_write(self->stream_, self->req_, [self](beast::error_code ec4, size_t) {
          if (ec4) return self->fail("write: " + ec4.message());
          http::async_read(self->stream_, self->buffer_, self->res_, [self](beast::error_code ec5, size_t) {
            if (ec5) return self->fail("read: " + ec5.message());
            const int64_t recv = wall_now_ns();
            beast::error_code ignored;
            beast::get_lowest_layer(self->stream_).socket().close(ignored);
            if (self->res_.result() != http::status::ok)
              return self->fail("HTTP " + std::to_string(self->res_.result_int()) + " " +
                                self->res_.body().substr(0, 200));
            if (self->done_) self->done_(true, recv, std::move(self->res_.body()), std::string());
            self->done_ = nullptr;
          });
        });
      });
    });
  });
}

}  // namespace binance
