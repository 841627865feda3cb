// ws_feed.h: a venue's network side, on its own thread. Keeps one WebSocket
// session alive (reconnect with exponential backoff and jitter, a connection
// rate cap, a stale-stream timeout, a planned reconnect before the venue's
// connection age limit) and hands every frame to the FrameQueue with its
// receive time. Never blocks on poll(). What differs per venue comes in
// through WsFeedHooks: subscribing after the handshake, spotting a refused
// subscription, extra work on the same io_context (Binance's REST
// snapshots).
#ifndef SH_EXCHANGE_WS_FEED_H
#define SH_EXCHANGE_WS_FEED_H

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "exchange/feed_options.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_session.h"

namespace exchange {

// The feed's counters in an IoReport (a venue may append its own after
// kFeedCounterCount; binance and coinbase use exactly these).
enum FeedCounter {
  kConnectAttempts, kConnected, kDisconnects, kReconnects, kConnectFailures, kTlsFailures,
  kSubscribeRefused, kStaleTimeouts, kScheduledReconnects, kPingsAnswered, kFramesReceived,
  kBytesReceived, kQueueOverflowFrames, kSnapshotRequests, kSnapshotFailures, kRateLimitWaits,
  kFeedCounterCount
};
extern const char* const kFeedCounterNames[kFeedCounterCount];

struct WsFeedHooks {
  // On the feed thread, once per session after the handshake (and after the
  // kConnected frame): send subscriptions here.
  std::function<void(WsSession&)> on_open;
  // On the feed thread, per text frame (already queued): true when the frame
  // refuses the subscription; *detail says why. The session then ends as
  // kRefused and reconnects with backoff.
  std::function<bool(const char* data, size_t len, std::string* detail)> is_refusal;
  // On the feed thread when the feed stops (stop() or stop_after_disconnects):
  // cancel the venue's own timers.
  std::function<void()> on_stop;
};

class WsFeed {
 public:
  // target: the URL path and query after the ws_url's own path. venue: names
  // the venue in log lines and the User-Agent. Throws std::runtime_error when
  // the TLS context cannot be built or the URL is not wss://.
  WsFeed(const FeedOptions& options, std::string target, std::string venue, FrameQueue& queue,
         IoReport& report, WsFeedHooks hooks);
  ~WsFeed();  // stops and joins
  WsFeed(const WsFeed&) = delete;
  WsFeed& operator=(const WsFeed&) = delete;

  void start();
  void stop();
  // True once the feed stopped for good (stop_after_disconnects reached).
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // For the venue's own work on the feed thread.
  boost::asio::io_context& ioc() { return ioc_; }
  boost::asio::ssl::context& tls() { return *tls_; }
  bool stopping() const { return stopping_; }          // feed thread only
  WsSession* session() { return open_ ? session_.get() : nullptr; }  // feed thread only

 private:
  using Clock = std::chrono::steady_clock;
  void connect();
  bool rate_limited(Clock::time_point now);
  void on_message(int64_t recv_ts_ns, const char* data, size_t len);
  void on_open();
  void on_end(SessionEnd why, const std::string& detail);
  void schedule_reconnect(bool reset_backoff);
  void tick();
  void arm_tick();
  void finish();
  void cancel_timers();

  const FeedOptions& options_;
  Url ws_url_;
  std::string target_;
  std::string venue_;
  FrameQueue& queue_;
  IoReport& report_;
  WsFeedHooks hooks_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer tick_timer_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> loop_done_{false};

  // Below: touched only on the feed thread.
  std::shared_ptr<WsSession> session_;
  bool open_ = false;
  bool stopping_ = false;
  uint32_t attempt_ = 0;           // failed attempts since the last good session
  uint64_t sessions_ended_ = 0;
  uint64_t frames_in_session_ = 0;
  Clock::time_point opened_at_;
  Clock::time_point last_data_;
  std::deque<Clock::time_point> recent_connects_;  // within the last 5 minutes
  std::mt19937_64 rng_;  // backoff jitter only; never reaches an event
};

}  // namespace exchange

#endif
