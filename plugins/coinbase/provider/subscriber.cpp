// subscriber.cpp: Subscriber and the subscription messages (Advanced Trade
// WebSocket Overview: "Subscribe": {"type", "product_ids", "channel"}, one
// channel per message, a subscribe within 5 s of connecting or the server
// disconnects; "Unsubscribe" has the same shape).
#include "provider/subscriber.h"

#include <boost/asio/post.hpp>

#include <cstring>

#include <nlohmann/json.hpp>

namespace coinbase {

std::string subscription_message(const std::string& type, const std::string& channel,
                                 const std::vector<std::string>& products) {
  nlohmann::json j = {{"type", type}};
  if (channel != "heartbeats") j["product_ids"] = products;
  j["channel"] = channel;
  return j.dump();
}

bool is_error_frame(const char* data, size_t len, std::string* detail) {
  // Market data is large and never an error: look only at short frames.
  static const char kNeedle[] = "\"type\":\"error\"";
  if (len > 4096 || len < sizeof(kNeedle) - 1) return false;
  if (memmem(data, len, kNeedle, sizeof(kNeedle) - 1) == nullptr) return false;
  detail->assign(data, std::min<size_t>(len, 200));
  return true;
}

Subscriber::Subscriber(const CoinbaseConfig& config, exchange::FrameQueue& queue, exchange::IoReport& report)
    : config_(config), report_(report),
      feed_(config.feed, "", "coinbase", queue, report,
            exchange::WsFeedHooks{[this](exchange::WsSession& s) { subscribe(s); }, is_error_frame, nullptr}) {}

void Subscriber::subscribe(exchange::WsSession& session) {
  session.send(subscription_message("subscribe", "heartbeats", config_.products));
  if (config_.market_trades) session.send(subscription_message("subscribe", "market_trades", config_.products));
  if (config_.ticker) session.send(subscription_message("subscribe", "ticker", config_.products));
  if (config_.level2) session.send(subscription_message("subscribe", "level2", config_.products));
}

void Subscriber::resync_books() {
  boost::asio::post(feed_.ioc(), [this] {
    exchange::WsSession* s = feed_.session();
    if (s == nullptr || feed_.stopping()) return;
    report_.add(exchange::kSnapshotRequests);
    report_.log(SH_LOG_WARN, "resubscribing level2 for new book snapshots");
    s->send(subscription_message("unsubscribe", "level2", config_.products));
    s->send(subscription_message("subscribe", "level2", config_.products));
  });
}

}  // namespace coinbase
