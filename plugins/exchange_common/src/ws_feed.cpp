// ws_feed.cpp: WsFeed. Every state transition is counted in the IoReport
// and logged; poll() forwards both to the host.
#include "exchange/ws_feed.h"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "exchange/backoff.h"
#include "exchange/tls_context.h"

namespace exchange {

namespace net = boost::asio;

const char* const kFeedCounterNames[kFeedCounterCount] = {
    "connect_attempts", "connections", "disconnects", "reconnects", "connect_failures",
    "tls_failures", "subscribe_refused", "stale_timeouts", "scheduled_reconnects",
    "pings_answered", "frames_received", "bytes_received", "queue_overflow_frames",
    "snapshot_requests", "snapshot_failures", "rate_limit_waits"};

namespace {
// The I/O thread's tick: advances the receive clock while the stream is
// quiet (a live minute closes at most this late after its deadline) and
// checks for stale and aged connections. 500 wake-ups/s of an idle thread.
constexpr auto kTick = std::chrono::milliseconds(2);
constexpr auto kConnectWindow = std::chrono::minutes(5);
}  // namespace

WsFeed::WsFeed(const FeedOptions& options, std::string target, std::string venue,
               FrameQueue& queue, IoReport& report, WsFeedHooks hooks)
    : options_(options), ws_url_(parse_url(options.ws_url)), venue_(std::move(venue)),
      queue_(queue), report_(report), hooks_(std::move(hooks)),
      tls_(make_tls_context(options.tls_verify, options.ca_file)), reconnect_timer_(ioc_),
      tick_timer_(ioc_), rng_(std::random_device{}()) {
  if (!ws_url_.tls) throw std::runtime_error("only wss:// endpoints are supported");
  target_ = ws_url_.path + target;
  if (target_.empty()) target_ = "/";
}

WsFeed::~WsFeed() { stop(); }

void WsFeed::start() {
  net::post(ioc_, [this] {
    arm_tick();
    connect();
  });
  thread_ = std::thread([this] {
    ioc_.run();
    loop_done_.store(true, std::memory_order_release);
  });
}

void WsFeed::cancel_timers() {
  reconnect_timer_.cancel();
  tick_timer_.cancel();
  if (hooks_.on_stop) hooks_.on_stop();
}

void WsFeed::stop() {
  if (!thread_.joinable()) return;
  net::post(ioc_, [this] {
    stopping_ = true;
    cancel_timers();
    if (session_) session_->abort(SessionEnd::kStopped);
  });
  // With the timers cancelled and the session closed the loop runs out of
  // work; a venue request still in flight is not waited for beyond this.
  for (int i = 0; i < 100 && !loop_done_.load(std::memory_order_acquire); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc_.stop();
  thread_.join();
}

void WsFeed::finish() {
  stopping_ = true;
  const char end[] = "stopped";
  queue_.push(make_frame(wall_now_ns(), FrameKind::kEnd, end, sizeof(end) - 1));
  finished_.store(true, std::memory_order_release);
  cancel_timers();
}

bool WsFeed::rate_limited(Clock::time_point now) {
  while (!recent_connects_.empty() && now - recent_connects_.front() > kConnectWindow)
    recent_connects_.pop_front();
  if (static_cast<int64_t>(recent_connects_.size()) < options_.connects_per_5min) return false;
  report_.add(kRateLimitWaits);
  report_.log(SH_LOG_WARN, "connection rate limit reached (" + std::to_string(options_.connects_per_5min) +
                               " per 5 min); waiting");
  reconnect_timer_.expires_at(recent_connects_.front() + kConnectWindow);
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
  return true;
}

void WsFeed::connect() {
  if (stopping_) return;
  const auto now = Clock::now();
  if (rate_limited(now)) return;
  recent_connects_.push_back(now);
  report_.add(kConnectAttempts);
  frames_in_session_ = 0;
  WsCallbacks cb;
  cb.on_open = [this] { on_open(); };
  cb.on_message = [this](int64_t recv_ts_ns, const char* data, size_t len) { on_message(recv_ts_ns, data, len); };
  cb.on_ping = [this] { report_.add(kPingsAnswered); };
  cb.on_end = [this](SessionEnd why, const std::string& detail) { on_end(why, detail); };
  session_ = std::make_shared<WsSession>(ioc_, *tls_, ws_url_, target_, options_.connect_timeout_ms,
                                         options_.tls_verify, std::move(cb),
                                         "strategy-host-" + venue_ + "/1.0");
  session_->start();
}

void WsFeed::on_message(int64_t recv_ts_ns, const char* data, size_t len) {
  last_data_ = Clock::now();
  ++frames_in_session_;
  report_.add(kFramesReceived);
  report_.add(kBytesReceived, static_cast<int64_t>(len));
  if (!queue_.push(make_frame(recv_ts_ns, FrameKind::kText, data, len))) report_.add(kQueueOverflowFrames);
  std::string detail;
  if (hooks_.is_refusal && session_ && hooks_.is_refusal(data, len, &detail))
    session_->abort(SessionEnd::kRefused, "server refused the subscription: " + detail);
}

void WsFeed::on_open() {
  open_ = true;
  opened_at_ = last_data_ = Clock::now();
  report_.add(kConnected);
  if (sessions_ended_ > 0) report_.add(kReconnects);
  report_.log(SH_LOG_INFO, "connected to " + ws_url_.host + ":" + ws_url_.port +
                               (sessions_ended_ > 0 ? " (reconnect)" : ""));
  queue_.push(make_frame(wall_now_ns(), FrameKind::kConnected, target_.data(), target_.size()));
  if (hooks_.on_open && session_) hooks_.on_open(*session_);
}

void WsFeed::on_end(SessionEnd why, const std::string& detail) {
  const bool was_open = open_;
  open_ = false;
  session_.reset();
  ++sessions_ended_;
  switch (why) {
    case SessionEnd::kConnectFailed: report_.add(kConnectFailures); break;
    case SessionEnd::kTlsFailed: report_.add(kTlsFailures); break;
    case SessionEnd::kRefused: report_.add(kSubscribeRefused); break;
    case SessionEnd::kStale: report_.add(kStaleTimeouts); break;
    case SessionEnd::kAged: report_.add(kScheduledReconnects); break;
    default: break;
  }
  if (was_open) {
    if (why != SessionEnd::kStopped) report_.add(kDisconnects);
    const std::string reason = std::string(session_end_name(why)) + (detail.empty() ? "" : ": " + detail);
    queue_.push(make_frame(wall_now_ns(), FrameKind::kDisconnected, reason.data(), reason.size()));
  }
  const sh_log_level level = why == SessionEnd::kStopped || why == SessionEnd::kAged ? SH_LOG_INFO : SH_LOG_WARN;
  report_.log(level, std::string("session ended (") + session_end_name(why) + ")" +
                         (detail.empty() ? "" : ": " + detail) + " after " +
                         std::to_string(frames_in_session_) + " frames");
  if (stopping_ || why == SessionEnd::kStopped) return;
  if (options_.stop_after_disconnects > 0 && sessions_ended_ >= options_.stop_after_disconnects) {
    report_.log(SH_LOG_INFO, "stop_after_disconnects reached; the feed stops");
    finish();
    return;
  }
  // A session that delivered data resets the backoff (a refusal does not:
  // the server talked, but only to say no).
  schedule_reconnect(was_open && frames_in_session_ > 0 && why != SessionEnd::kRefused);
}

void WsFeed::schedule_reconnect(bool reset_backoff) {
  if (reset_backoff) attempt_ = 0;
  const double delay_ms = backoff_delay_ms(options_.backoff, attempt_, rng_);
  ++attempt_;
  report_.log(SH_LOG_INFO, "reconnecting in " + std::to_string(static_cast<int64_t>(delay_ms)) +
                               " ms (attempt " + std::to_string(attempt_) + ")");
  reconnect_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000)));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
}

void WsFeed::arm_tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void WsFeed::tick() {
  if (stopping_) return;
  queue_.advance_clock(wall_now_ns());  // the receive clock moves on while the stream is quiet
  const auto now = Clock::now();
  if (open_ && session_) {
    if (now - last_data_ > std::chrono::milliseconds(options_.stale_timeout_ms)) {
      report_.log(SH_LOG_WARN, "no data for " + std::to_string(options_.stale_timeout_ms) +
                                   " ms: the stream is stale; reconnecting");
      session_->abort(SessionEnd::kStale);
    } else if (now - opened_at_ > std::chrono::seconds(options_.max_connection_age_s)) {
      report_.log(SH_LOG_INFO, "connection is " + std::to_string(options_.max_connection_age_s) +
                                   " s old: scheduled reconnect (" + venue_ + " ends long-lived connections)");
      session_->abort(SessionEnd::kAged);
    }
  }
  arm_tick();
}

}  // namespace exchange
