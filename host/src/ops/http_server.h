// HttpServer: a small HTTP/1.1 server on Boost.Beast (already a dependency
// of the live-data plugins: header-only, in libboost-dev), on one thread of
// its own, never the pipeline's. It parses and bounds requests; what a
// request means is the handler's (ops/ops_api.h).
//
// Bounds, each answered before the handler sees anything:
//   malformed request line or header            400, connection closed
//   header block over HttpConfig::kMaxHeaderBytes 431, connection closed
//   body over max_body_bytes                    413, connection closed
//   a request not read whole within read_timeout_ms   dropped (no answer)
//   more than max_connections open              the new one is closed at once
// Memory is bounded by max_connections x (header + body limit) plus the
// responses being written.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "ops/http_config.h"
#include "store/status.h"

namespace sh::host {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// What the server counts (any thread may read).
struct HttpServerStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};  // over max_connections
  std::atomic<uint64_t> connections_timed_out{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> requests_bad{0};  // 400, 413, 431 from the parser
};

class HttpServer {
 public:
  // Runs on the server thread; fills `res` (status, body, content type).
  using Handler = std::function<void(const HttpRequest& req,
                                     const boost::asio::ip::address& peer, HttpResponse& res)>;
  // Runs on the server thread every tick_ms (the handler's watchers).
  using Tick = std::function<void()>;

  HttpServer(HttpConfig config, Handler handler, Tick tick = nullptr, int64_t tick_ms = 100);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens, then serves on a new thread. An error names
  // host.http.port and the address ("... already in use").
  Status start();
  // Stops accepting, closes every connection, joins the thread. Idempotent.
  void stop();
  // The bound port (the configured one, or the kernel's pick for port 0 in tests).
  uint16_t port() const { return bound_port_; }
  const HttpServerStats& stats() const;

  struct Impl;  // defined in http_server.cpp (its sessions use it)

 private:
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  uint16_t bound_port_ = 0;
};

}  // namespace sh::host
