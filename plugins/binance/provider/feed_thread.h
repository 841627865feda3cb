// feed_thread.h: the binance provider's network side: exchange::WsFeed
// keeps the combined-stream session alive on its own thread (reconnects,
// backoff, rate cap, stale and age limits); this adds the REST depth
// snapshots the local books ask for, fetched on the same thread and queued
// as kSnapshot frames. Never blocks on poll().
#ifndef SH_BINANCE_PROVIDER_FEED_THREAD_H
#define SH_BINANCE_PROVIDER_FEED_THREAD_H

#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <vector>

#include "common/binance_config.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_feed.h"

namespace binance {

class FeedThread {
 public:
  // target: "/stream?streams=..." (the combined stream of every symbol).
  // Throws std::runtime_error when the TLS context cannot be built.
  FeedThread(const BinanceConfig& config, std::string target, exchange::FrameQueue& queue,
             exchange::IoReport& report);
  ~FeedThread();  // stops and joins
  FeedThread(const FeedThread&) = delete;
  FeedThread& operator=(const FeedThread&) = delete;

  void start() { feed_.start(); }
  void stop() { feed_.stop(); }
  // Any thread: fetch a depth snapshot for config.symbols[index] (coalesced
  // while one for that symbol is pending).
  void request_snapshot(uint32_t index);

 private:
  void next_snapshot();
  void on_snapshot(uint32_t index, const std::string& symbol, bool ok, int64_t recv_ts_ns,
                   std::string body, const std::string& error);

  const BinanceConfig& config_;
  exchange::Url rest_url_;
  exchange::FrameQueue& queue_;
  exchange::IoReport& report_;
  exchange::WsFeed feed_;
  boost::asio::steady_timer snapshot_timer_;

  // Below: touched only on the feed thread.
  std::vector<bool> snapshot_wanted_;
  std::deque<uint32_t> snapshot_order_;
  bool snapshot_in_flight_ = false;
  uint32_t snapshot_failures_in_row_ = 0;
};

}  // namespace binance

#endif
