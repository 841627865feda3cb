// subscriber.h: the coinbase provider's network side: exchange::WsFeed
// keeps the session alive on its own thread (reconnects, backoff, rate cap,
// stale and age limits); this sends the subscriptions Coinbase requires
// within 5 seconds of connecting (one message per channel, heartbeats
// first), spots a refused subscription ({"type":"error"}), and resubscribes
// level2 when the decoder lost data (a new subscription brings a new
// snapshot). Never blocks on poll().
#ifndef SH_COINBASE_PROVIDER_SUBSCRIBER_H
#define SH_COINBASE_PROVIDER_SUBSCRIBER_H

#include <string>
#include <vector>

#include "common/coinbase_config.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_feed.h"

namespace coinbase {

// {"type":"subscribe","product_ids":[...],"channel":"<channel>"} (the
// heartbeats channel takes no product ids); type may be "unsubscribe".
std::string subscription_message(const std::string& type, const std::string& channel,
                                 const std::vector<std::string>& products);

// True when a frame is Coinbase's {"type":"error",...}; *detail: the frame.
bool is_error_frame(const char* data, size_t len, std::string* detail);

class Subscriber {
 public:
  // Throws std::runtime_error when the TLS context cannot be built.
  Subscriber(const CoinbaseConfig& config, exchange::FrameQueue& queue, exchange::IoReport& report);
  void start() { feed_.start(); }
  void stop() { feed_.stop(); }
  // Any thread: resubscribe level2 on the current session (none: the next
  // session subscribes anyway).
  void resync_books();

 private:
  void subscribe(exchange::WsSession& session);

  const CoinbaseConfig& config_;
  exchange::IoReport& report_;
  exchange::WsFeed feed_;
};

}  // namespace coinbase

#endif
