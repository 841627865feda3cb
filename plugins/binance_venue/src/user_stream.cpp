// user_stream.cpp: UserStream.
#include "user_stream.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "exchange/tls_context.h"

namespace binance_venue {

namespace net = boost::asio;

UserStream::UserStream(const std::string& ws_url, const std::string& ca_file, int64_t timeout_ms,
                       int64_t stale_timeout_ms, UserStreamHooks hooks)
    : url_(exchange::parse_url(ws_url)), timeout_ms_(timeout_ms), stale_timeout_ms_(stale_timeout_ms),
      hooks_(std::move(hooks)), tls_(exchange::make_tls_context(true, ca_file)), reconnect_timer_(ioc_),
      stale_timer_(ioc_) {
  if (!url_.tls) throw std::invalid_argument("ws_url must be wss://: " + ws_url);
  backoff_.initial_ms = 200;
  backoff_.max_ms = 30000;
}

UserStream::~UserStream() { stop(); }

void UserStream::start() {
  thread_ = std::thread([this] {
    auto guard = net::make_work_guard(ioc_);
    net::post(ioc_, [this] {
      connect();
      arm_stale_check();
    });
    ioc_.run();
  });
}

void UserStream::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  net::post(ioc_, [this] {
    reconnect_timer_.cancel();
    stale_timer_.cancel();
    if (session_) session_->abort(exchange::SessionEnd::kStopped);
    ioc_.stop();
  });
  thread_.join();
}

void UserStream::connect() {
  if (stopping_) return;
  refused_ = false;
  refusal_.clear();
  exchange::WsCallbacks cb;
  cb.on_open = [this] {
    open_ = true;
    last_activity_ = std::chrono::steady_clock::now();
    if (session_) session_->send(hooks_.subscribe_request());
  };
  cb.on_message = [this](int64_t, const char* data, size_t len) {
    last_activity_ = std::chrono::steady_clock::now();
    on_message(data, len);
  };
  cb.on_ping = [this] { last_activity_ = std::chrono::steady_clock::now(); };
  cb.on_end = [this](exchange::SessionEnd why, const std::string& detail) { on_end(why, detail); };
  const std::string target = url_.path.empty() ? "/" : url_.path;
  session_ = std::make_shared<exchange::WsSession>(ioc_, *tls_, url_, target, timeout_ms_, true,
                                                   std::move(cb), "strategy-host-binance-venue/1.0");
  session_->start();
}

void UserStream::on_message(const char* data, size_t len) {
  try {
    handle_message(data, len);
  } catch (const std::exception&) {
    // A frame of an unexpected shape: ignored (never through the io thread).
  }
}

void UserStream::handle_message(const char* data, size_t len) {
  nlohmann::json j = nlohmann::json::parse(data, data + len, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  if (j.contains("event")) {
    if (hooks_.on_event) hooks_.on_event(data, len);
    const auto& ev = j["event"];
    if (ev.is_object() && ev.value("e", "") == "eventStreamTerminated" && session_) {
      subscribed_ = false;
      session_->abort(exchange::SessionEnd::kClosedByServer, "eventStreamTerminated");
    }
    return;
  }
  if (j.contains("status") && j.contains("id")) {  // the subscribe answer
    const int status = j["status"].is_number_integer() ? j["status"].get<int>() : 0;
    if (status == 200) {
      subscribed_ = true;
      attempt_ = 0;
      const bool again = subscriptions_++ > 0;
      if (hooks_.on_subscribed) hooks_.on_subscribed(true, 0, "", again);
      return;
    }
    int code = 0;
    std::string msg;
    if (j.contains("error") && j["error"].is_object()) {
      code = j["error"].value("code", 0);
      msg = j["error"].value("msg", "");
    }
    if (hooks_.on_subscribed) hooks_.on_subscribed(false, code, msg, false);
    refused_ = true;
    refusal_ = "subscription refused: status " + std::to_string(status) + " code " +
               std::to_string(code) + " " + msg;
    if (session_) session_->abort(exchange::SessionEnd::kRefused, refusal_);
  }
}

void UserStream::arm_stale_check() {
  const int64_t every = std::max<int64_t>(100, std::min<int64_t>(1000, stale_timeout_ms_ / 4));
  stale_timer_.expires_after(std::chrono::milliseconds(every));
  stale_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    if (open_ && session_ &&
        std::chrono::steady_clock::now() - last_activity_ > std::chrono::milliseconds(stale_timeout_ms_))
      session_->abort(exchange::SessionEnd::kStale,
                      "nothing received for " + std::to_string(stale_timeout_ms_) + " ms");
    arm_stale_check();
  });
}

void UserStream::on_end(exchange::SessionEnd why, const std::string& detail) {
  subscribed_ = false;
  open_ = false;
  session_.reset();
  if (stopping_ || why == exchange::SessionEnd::kStopped) return;
  // A refused subscription (bad key, clock) waits at least 5 s.
  double delay = exchange::backoff_delay_ms(backoff_, attempt_++, rng_);
  if (refused_ && delay < 5000) delay = 5000;
  if (hooks_.on_disconnect)
    hooks_.on_disconnect(std::string(exchange::session_end_name(why)) +
                             (detail.empty() ? "" : ": " + detail),
                         delay);
  reconnect_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(delay)));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
}

}  // namespace binance_venue
