// feed_thread.cpp: FeedThread. Every state transition is counted in the
// IoReport and logged; poll() forwards both to the host.
#include "provider/feed_thread.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

#include "http/depth_snapshot_client.h"
#include "websocket/tls_context.h"

namespace binance {

namespace net = boost::asio;

namespace {
// The I/O thread's tick: advances the receive clock while the stream is
// quiet (a live minute closes at most this late after its deadline) and
// checks for stale and aged connections. 500 wake-ups/s of an idle thread.
constexpr auto kTick = std::chrono::milliseconds(2);
constexpr auto kConnectWindow = std::chrono::minutes(5);
}  // namespace

FeedThread::FeedThread(const BinanceConfig& config, std::string target, FrameQueue& queue,
                       IoReport& report)
    : config_(config), ws_url_(parse_url(config.ws_url)), rest_url_(parse_url(config.rest_url)),
      target_(ws_url_.path + target), queue_(queue), report_(report),
      tls_(make_tls_context(config.tls_verify, config.ca_file)), reconnect_timer_(ioc_),
      tick_timer_(ioc_), snapshot_timer_(ioc_), snapshot_wanted_(config.symbols.size(), false),
      rng_(std::random_device{}()) {
  if (!ws_url_.tls || !rest_url_.tls)
    throw std::runtime_error("only wss:// and https:// endpoints are supported");
}

FeedThread::~FeedThread() { stop(); }

void FeedThread::start() {
  net::post(ioc_, [this] {
    arm_tick();
    connect();
  });
  thread_ = std::thread([this] {
    ioc_.run();
    loop_done_.store(true, std::memory_order_release);
  });
}

void FeedThread::stop() {
  if (!thread_.joinable()) return;
  net::post(ioc_, [this] {
    stopping_ = true;
    reconnect_timer_.cancel();
    tick_timer_.cancel();
    snapshot_timer_.cancel();
    if (session_) session_->abort(SessionEnd::kStopped);
  });
  // With the timers cancelled and the session closed the loop runs out of
  // work; a snapshot request still in flight is not waited for beyond this.
  for (int i = 0; i < 100 && !loop_done_.load(std::memory_order_acquire); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc_.stop();
  thread_.join();
}

void FeedThread::request_snapshot(uint32_t index) {
  net::post(ioc_, [this, index] {
    if (index >= snapshot_wanted_.size() || snapshot_wanted_[index]) return;
    snapshot_wanted_[index] = true;
    snapshot_order_.push_back(index);
    next_snapshot();
  });
}

void FeedThread::finish() {
  stopping_ = true;
  const char end[] = "stopped";
  queue_.push(make_frame(wall_now_ns(), FrameKind::kEnd, end, sizeof(end) - 1));
  finished_.store(true, std::memory_order_release);
  reconnect_timer_.cancel();
  tick_timer_.cancel();
  snapshot_timer_.cancel();
}

void FeedThread::connect() {
  if (stopping_) return;
  // Binance: 300 connections per attempt every 5 minutes per IP.
  const auto now = Clock::now();
  while (!recent_connects_.empty() && now - recent_connects_.front() > kConnectWindow)
    recent_connects_.pop_front();
  if (static_cast<int64_t>(recent_connects_.size()) >= config_.connects_per_5min) {
    report_.add(IoReport::kRateLimitWaits);
    report_.log(SH_LOG_WARN, "connection rate limit reached (" + std::to_string(config_.connects_per_5min) +
                                 " per 5 min); waiting");
    reconnect_timer_.expires_at(recent_connects_.front() + kConnectWindow);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) connect();
    });
    return;
  }
  recent_connects_.push_back(now);
  report_.add(IoReport::kConnectAttempts);
  frames_in_session_ = 0;
  WsCallbacks cb;
  cb.on_open = [this] { on_open(); };
  cb.on_message = [this](int64_t recv_ts_ns, const char* data, size_t len) {
    last_data_ = Clock::now();
    ++frames_in_session_;
    report_.add(IoReport::kFramesReceived);
    report_.add(IoReport::kBytesReceived, static_cast<int64_t>(len));
    if (!queue_.push(make_frame(recv_ts_ns, FrameKind::kText, data, len)))
      report_.add(IoReport::kQueueOverflowFrames);
  };
  cb.on_ping = [this] {
    report_.add(IoReport::kPingsAnswered);
  };
  cb.on_end = [this](SessionEnd why, const std::string& detail) { on_end(why, detail); };
  session_ = std::make_shared<WsSession>(ioc_, *tls_, ws_url_, target_, config_.connect_timeout_ms,
                                         config_.tls_verify, std::move(cb));
  session_->start();
}

void FeedThread::on_open() {
  open_ = true;
  opened_at_ = last_data_ = Clock::now();
  report_.add(IoReport::kConnected);
  if (sessions_ended_ > 0) report_.add(IoReport::kReconnects);
  report_.log(SH_LOG_INFO, "connected to " + ws_url_.host + ":" + ws_url_.port +
                               (sessions_ended_ > 0 ? " (reconnect)" : ""));
  queue_.push(make_frame(wall_now_ns(), FrameKind::kConnected, target_.data(), target_.size()));
}

void FeedThread::on_end(SessionEnd why, const std::string& detail) {
  const bool was_open = open_;
  open_ = false;
  session_.reset();
  ++sessions_ended_;
  switch (why) {
    case SessionEnd::kConnectFailed: report_.add(IoReport::kConnectFailures); break;
    case SessionEnd::kTlsFailed: report_.add(IoReport::kTlsFailures); break;
    case SessionEnd::kRefused: report_.add(IoReport::kSubscribeRefused); break;
    case SessionEnd::kStale: report_.add(IoReport::kStaleTimeouts); break;
    case SessionEnd::kAged: report_.add(IoReport::kScheduledReconnects); break;
    default: break;
  }
  if (was_open) {
    if (why != SessionEnd::kStopped) report_.add(IoReport::kDisconnects);
    const std::string reason = std::string(session_end_name(why)) + (detail.empty() ? "" : ": " + detail);
    queue_.push(make_frame(wall_now_ns(), FrameKind::kDisconnected, reason.data(), reason.size()));
  }
  const sh_log_level level = why == SessionEnd::kStopped || why == SessionEnd::kAged ? SH_LOG_INFO : SH_LOG_WARN;
  report_.log(level, std::string("session ended (") + session_end_name(why) + ")" +
                         (detail.empty() ? "" : ": " + detail) + " after " +
                         std::to_string(frames_in_session_) + " frames");
  if (stopping_ || why == SessionEnd::kStopped) return;
  if (config_.stop_after_disconnects > 0 && sessions_ended_ >= config_.stop_after_disconnects) {
    report_.log(SH_LOG_INFO, "stop_after_disconnects reached; the feed stops");
    finish();
    return;
  }
  // A session that delivered data resets the backoff; a planned reconnect
  // (age) goes at once.
  schedule_reconnect(was_open && frames_in_session_ > 0);
}

void FeedThread::schedule_reconnect(bool reset_backoff) {
  if (reset_backoff) attempt_ = 0;
  const auto& b = config_.backoff;
  const double base = std::min<double>(static_cast<double>(b.max_ms),
                                       static_cast<double>(b.initial_ms) * std::pow(b.multiplier, attempt_));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double delay_ms = std::max(1.0, base * (1.0 + b.jitter * u(rng_)));
  ++attempt_;
  report_.log(SH_LOG_INFO, "reconnecting in " + std::to_string(static_cast<int64_t>(delay_ms)) +
                               " ms (attempt " + std::to_string(attempt_) + ")");
  reconnect_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000)));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
}

void FeedThread::arm_tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void FeedThread::tick() {
  if (stopping_) return;
  queue_.advance_clock(wall_now_ns());  // the receive clock moves on while the stream is quiet
  const auto now = Clock::now();
  if (open_ && session_) {
    if (now - last_data_ > std::chrono::milliseconds(config_.stale_timeout_ms)) {
      report_.log(SH_LOG_WARN, "no data for " + std::to_string(config_.stale_timeout_ms) +
                                   " ms: the stream is stale; reconnecting");
      session_->abort(SessionEnd::kStale);
    } else if (now - opened_at_ > std::chrono::seconds(config_.max_connection_age_s)) {
      report_.log(SH_LOG_INFO, "connection is " + std::to_string(config_.max_connection_age_s) +
                                   " s old: scheduled reconnect (Binance ends connections at 24 h)");
      session_->abort(SessionEnd::kAged);
    }
  }
  arm_tick();
}

void FeedThread::next_snapshot() {
  if (snapshot_in_flight_ || snapshot_order_.empty() || stopping_) return;
  const uint32_t index = snapshot_order_.front();
  snapshot_order_.pop_front();
  snapshot_in_flight_ = true;
  report_.add(IoReport::kSnapshotRequests);
  const std::string symbol = config_.symbols[index];
  auto client = std::make_shared<DepthSnapshotClient>(
      ioc_, *tls_, rest_url_, symbol, config_.snapshot_limit, config_.connect_timeout_ms * 2,
      config_.tls_verify,
      [this, index, symbol](bool ok, int64_t recv_ts_ns, std::string body, std::string error) {
        snapshot_in_flight_ = false;
        snapshot_wanted_[index] = false;
        if (ok) {
          snapshot_failures_in_row_ = 0;
          queue_.push(make_frame(recv_ts_ns, FrameKind::kSnapshot, body.data(), body.size(), symbol));
          next_snapshot();
          return;
        }
        report_.add(IoReport::kSnapshotFailures);
        report_.log(SH_LOG_WARN, error + "; retrying");
        // Retry with backoff (a 429/418 answer asks us to slow down).
        ++snapshot_failures_in_row_;
        snapshot_wanted_[index] = true;
        snapshot_order_.push_back(index);
        const int64_t delay = std::min<int64_t>(config_.backoff.max_ms,
                                                config_.backoff.initial_ms << std::min<uint32_t>(snapshot_failures_in_row_, 16));
        snapshot_timer_.expires_after(std::chrono::milliseconds(delay));
        snapshot_timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec) next_snapshot();
        });
      });
  client->start();
}

}  // namespace binance
