// feed_thread.h: the provider's network side, on its own thread. Keeps one
// combined-stream session alive (reconnect with exponential backoff and
// jitter, a connection rate cap, a stale-stream timeout, a reconnect before
// Binance's 24 h cut), fetches depth snapshots on request, and hands every
// frame to the FrameQueue with its receive time. Never blocks on poll().
#ifndef SH_BINANCE_PROVIDER_FEED_THREAD_H
#define SH_BINANCE_PROVIDER_FEED_THREAD_H

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "common/binance_config.h"
#include "provider/frame_queue.h"
#include "provider/io_report.h"
#include "websocket/ws_session.h"

namespace binance {

class FeedThread {
 public:
  // target: "/stream?streams=..." (the combined stream of every symbol).
  // Throws std::runtime_error when the TLS context cannot be built.
  FeedThread(const BinanceConfig& config, std::string target, FrameQueue& queue, IoReport& report);
  ~FeedThread();  // stops and joins
  FeedThread(const FeedThread&) = delete;
  FeedThread& operator=(const FeedThread&) = delete;

  void start();
  void stop();
  // Any thread: fetch a depth snapshot for config.symbols[index] (coalesced
  // while one for that symbol is pending).
  void request_snapshot(uint32_t index);
  // True once the feed stopped for good (stop_after_disconnects reached).
  bool finished() const { return finished_.load(std::memory_order_acquire); }

 private:
  using Clock = std::chrono::steady_clock;
  void connect();
  void on_open();
  void on_end(SessionEnd why, const std::string& detail);
  void schedule_reconnect(bool reset_backoff);
  void tick();
  void arm_tick();
  void next_snapshot();
  void finish();

  const BinanceConfig& config_;
  Url ws_url_;
  Url rest_url_;
  std::string target_;
  FrameQueue& queue_;
  IoReport& report_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer snapshot_timer_;
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
  std::vector<bool> snapshot_wanted_;
  std::deque<uint32_t> snapshot_order_;
  bool snapshot_in_flight_ = false;
  uint32_t snapshot_failures_in_row_ = 0;
  std::mt19937_64 rng_;  // backoff jitter only; never reaches an event
};

}  // namespace binance

#endif
