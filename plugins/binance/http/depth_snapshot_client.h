// depth_snapshot_client.h: GET /api/v3/depth?symbol=X&limit=N over HTTPS
// (rest-api.md, "Order book": weight 5..250 by limit), one request per
// connection. Runs on the feed thread's io_context.
#ifndef SH_BINANCE_HTTP_DEPTH_SNAPSHOT_CLIENT_H
#define SH_BINANCE_HTTP_DEPTH_SNAPSHOT_CLIENT_H

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <functional>
#include <memory>
#include <string>

#include "exchange/url.h"

namespace binance {

using exchange::Url;

// ok: HTTP 200 with a body; otherwise error says what failed (status and
// body for an HTTP error, e.g. 429 / 418 rate limits).
using SnapshotHandler =
    std::function<void(bool ok, int64_t recv_ts_ns, std::string body, std::string error)>;

class DepthSnapshotClient : public std::enable_shared_from_this<DepthSnapshotClient> {
 public:
  DepthSnapshotClient(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, Url url,
                      std::string symbol, uint32_t limit, int64_t timeout_ms, bool tls_verify,
                      SnapshotHandler done);
  void start();

 private:
  void fail(const std::string& what);
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  Url url_;
  std::string symbol_;
  uint32_t limit_;
  int64_t timeout_ms_;
  bool tls_verify_;
  SnapshotHandler done_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::empty_body> req_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
};

}  // namespace binance

#endif
