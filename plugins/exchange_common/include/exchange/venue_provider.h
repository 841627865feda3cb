// venue_provider.h: the plugin class shape the exchange providers share: a
// bounded FrameQueue and IoReport between the venue's feed thread and
// poll(), a FramePump that drains (or replays), records and decodes, and
// the feed started by the first poll(). Feed: the venue's network side,
// with start() and stop().
#ifndef SH_EXCHANGE_VENUE_PROVIDER_H
#define SH_EXCHANGE_VENUE_PROVIDER_H

#include <strategy_host/plugin.hpp>

#include <memory>
#include <string>

#include "exchange/feed_options.h"
#include "exchange/frame_pump.h"
#include "exchange/frame_queue.h"
#include "exchange/io_report.h"
#include "exchange/ws_feed.h"

namespace exchange {

template <typename Feed>
class VenueProvider : public sh::Provider {
 public:
  ~VenueProvider() override { stop_feed(); }

  int64_t clock_ns() override { return pump_.clock_ns(); }
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    return pump_.poll(sink, max_events);
  }

 protected:
  // options: the venue's parsed feed options (copied: the pump reads them
  // before the venue's own members exist).
  VenueProvider(const sh::Host& host, FeedOptions options, const std::string& venue)
      : sh::Provider(host), options_(std::move(options)), queue_(options_.queue_capacity),
        report_(kFeedCounterNames, kFeedCounterCount), pump_(host, options_, venue, queue_, report_) {}

  // Live: the feed starts with the first poll() (never at create(), so
  // `host --validate-config` does not connect), logging banner.
  void attach_feed(std::unique_ptr<Feed> feed, std::string banner) {
    feed_ = std::move(feed);
    pump_.attach_feed(
        [this, banner = std::move(banner)] {
          this->host().info(banner);
          feed_->start();
        },
        [this] { feed_->stop(); });
  }
  // Stops the feed thread and forwards its last report; the venue's
  // destructor calls it before its own members (which the feed may use) go.
  void stop_feed() {
    if (feed_) feed_->stop();
    pump_.close();
  }
  Feed* feed() { return feed_.get(); }

  FeedOptions options_;
  FrameQueue queue_;
  IoReport report_;
  FramePump pump_;

 private:
  std::unique_ptr<Feed> feed_;
};

}  // namespace exchange

#endif
