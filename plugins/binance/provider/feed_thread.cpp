// feed_thread.cpp: FeedThread. Snapshot requests and failures are counted
// in the IoReport and logged; poll() forwards both to the host.
#include "provider/feed_thread.h"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "http/depth_snapshot_client.h"

namespace binance {

namespace net = boost::asio;

FeedThread::FeedThread(const BinanceConfig& config, std::string target, exchange::FrameQueue& queue,
                       exchange::IoReport& report)
    : config_(config), rest_url_(exchange::parse_url(config.rest_url)), queue_(queue), report_(report),
      feed_(config.feed, std::move(target), "binance", queue, report,
            exchange::WsFeedHooks{nullptr, nullptr, [this] { snapshot_timer_.cancel(); }}),
      snapshot_timer_(feed_.ioc()), snapshot_wanted_(config.symbols.size(), false) {
  if (!rest_url_.tls) throw std::runtime_error("only wss:// and https:// endpoints are supported");
}

FeedThread::~FeedThread() { stop(); }

void FeedThread::request_snapshot(uint32_t index) {
  net::post(feed_.ioc(), [this, index] {
    if (index >= snapshot_wanted_.size() || snapshot_wanted_[index]) return;
    snapshot_wanted_[index] = true;
    snapshot_order_.push_back(index);
    next_snapshot();
  });
}

void FeedThread::next_snapshot() {
  if (snapshot_in_flight_ || snapshot_order_.empty() || feed_.stopping()) return;
  const uint32_t index = snapshot_order_.front();
  snapshot_order_.pop_front();
  snapshot_in_flight_ = true;
  report_.add(exchange::kSnapshotRequests);
  const std::string symbol = config_.symbols[index];
  auto client = std::make_shared<DepthSnapshotClient>(
      feed_.ioc(), feed_.tls(), rest_url_, symbol, config_.snapshot_limit,
      config_.feed.connect_timeout_ms * 2, config_.feed.tls_verify,
      [this, index, symbol](bool ok, int64_t recv_ts_ns, std::string body, std::string error) {
        on_snapshot(index, symbol, ok, recv_ts_ns, std::move(body), error);
      });
  client->start();
}

void FeedThread::on_snapshot(uint32_t index, const std::string& symbol, bool ok, int64_t recv_ts_ns,
                             std::string body, const std::string& error) {
  snapshot_in_flight_ = false;
  snapshot_wanted_[index] = false;
  if (ok) {
    snapshot_failures_in_row_ = 0;
    queue_.push(exchange::make_frame(recv_ts_ns, exchange::FrameKind::kSnapshot, body.data(), body.size(), symbol));
    next_snapshot();
    return;
  }
  report_.add(exchange::kSnapshotFailures);
  report_.log(SH_LOG_WARN, error + "; retrying");
  // Retry with backoff (a 429/418 answer asks us to slow down).
  ++snapshot_failures_in_row_;
  snapshot_wanted_[index] = true;
  snapshot_order_.push_back(index);
  const auto& b = config_.feed.backoff;
  const int64_t delay = std::min<int64_t>(b.max_ms, b.initial_ms << std::min<uint32_t>(snapshot_failures_in_row_, 16));
  snapshot_timer_.expires_after(std::chrono::milliseconds(delay));
  snapshot_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) next_snapshot();
  });
}

}  // namespace binance
