// user_stream.h: the account's User Data Stream over the WebSocket API
// (web-socket-api.md "User Data Stream requests"): one connection to ws_url,
// a userDataStream.subscribe.signature request after each handshake, then
// {"subscriptionId":N,"event":{...}} frames. Reconnects with backoff and
// jitter whenever the session ends or the subscription is refused. Runs on
// its own thread; hands frames to the venue through hooks (never calls the
// host).
#ifndef SH_BINANCE_VENUE_USER_STREAM_H
#define SH_BINANCE_VENUE_USER_STREAM_H

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "exchange/backoff.h"
#include "exchange/url.h"
#include "exchange/ws_session.h"

namespace binance_venue {

struct UserStreamHooks {
  // The signed subscribe request (a JSON text), built fresh per session.
  std::function<std::string()> subscribe_request;
  // A subscribe answer: ok, or the error's code and message.
  std::function<void(bool ok, int code, const std::string& msg, bool resubscribed)> on_subscribed;
  // Every event frame's text.
  std::function<void(const char* data, size_t len)> on_event;
  // A session ended (why), a reconnect follows after delay_ms.
  std::function<void(const std::string& why, double delay_ms)> on_disconnect;
};

class UserStream {
 public:
  // Throws when the URL is not wss:// or the TLS context cannot be built.
  // stale_timeout_ms: no frame and no ping for that long ends the session
  // (Binance pings every 20 s).
  UserStream(const std::string& ws_url, const std::string& ca_file, int64_t timeout_ms,
             int64_t stale_timeout_ms, UserStreamHooks hooks);
  ~UserStream();
  UserStream(const UserStream&) = delete;
  UserStream& operator=(const UserStream&) = delete;
  void start();
  void stop();
  bool subscribed() const { return subscribed_.load(); }

 private:
  void connect();
  void on_message(const char* data, size_t len);
  void handle_message(const char* data, size_t len);
  void on_end(exchange::SessionEnd why, const std::string& detail);
  void arm_stale_check();

  exchange::Url url_;
  int64_t timeout_ms_;
  int64_t stale_timeout_ms_;
  UserStreamHooks hooks_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // outlives ioc_'s handlers
  boost::asio::io_context ioc_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer stale_timer_;
  std::thread thread_;
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> stopping_{false};
  // stream thread only
  std::shared_ptr<exchange::WsSession> session_;
  uint32_t attempt_ = 0;
  uint64_t subscriptions_ = 0;
  bool refused_ = false;
  bool open_ = false;
  std::chrono::steady_clock::time_point last_activity_{};
  std::string refusal_;
  exchange::BackoffConfig backoff_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace binance_venue

#endif
