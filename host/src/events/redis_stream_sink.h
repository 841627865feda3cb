// RedisStreamSink: events appended to a Redis stream, one entry per event:
//   XADD <stream> MAXLEN ~ <maxlen> * seq <seq> symbol <symbol> class <class>
//        event <format_event_json line>
// (MAXLEN is left out when maxlen is 0.) write() buffers; flush() sends the
// minute's entries in one pipeline. If the connection is down or breaks,
// flush() reconnects once and resends what was not acknowledged; if that
// fails too, the entries stay buffered for the next flush() and the error
// names host:port. Delivery is at-least-once: a resend after a broken
// connection can duplicate an entry the server had already added, so
// consumers deduplicate by `seq`.
#ifndef SH_HOST_EVENTS_REDIS_STREAM_SINK_H
#define SH_HOST_EVENTS_REDIS_STREAM_SINK_H

#include <cstdint>
#include <string>
#include <vector>

#include "events/event_sink.h"
#include "events/redis_client.h"

namespace sh::host {

class OutputDigest;

struct RedisStreamSinkOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 1000;   // connect and per-reply timeout
  std::string stream = "events";
  uint64_t maxlen = 100000;  // approximate cap ("MAXLEN ~"); 0 = unbounded
  // Accepted event lines ("<json>\n") are fed to digest->add(digest_stream, .).
  OutputDigest* digest = nullptr;  // not owned
  std::string digest_stream = "redis_events";
};

class RedisStreamSink : public EventSink {
 public:
  // Does not connect: the first flush() does (the host can start while Redis
  // is still coming up).
  explicit RedisStreamSink(RedisStreamSinkOptions options);

  Status write(const EventRecord& record) override;
  Status flush() override;

  size_t pending() const { return pending_.size(); }
  std::string endpoint() const { return client_.endpoint(); }

 private:
  Status send_pending();

  RedisStreamSinkOptions options_;
  RedisClient client_;
  std::vector<std::vector<std::string>> pending_;  // XADD argv per event
};

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_REDIS_STREAM_SINK_H
