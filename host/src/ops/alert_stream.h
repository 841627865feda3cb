// AlertStream: raises and clears appended to a Redis stream (default
// `risk.alerts`), one entry per transition:
//   XADD risk.alerts MAXLEN ~ <maxlen> * code VAR_HIGH severity warning
//        state raised value 1.93 threshold 1.8 ts 2024-01-02T01:55:00Z
//        message "..." alert <the alerts.jsonl line>
// The pipeline thread only queues entries (after the minute's commit); a
// thread of this object's own sends them, so a slow or absent Redis never
// holds a minute close. The queue is bounded (kMaxQueued entries, the
// oldest dropped and counted); a failed send is logged once per outage and
// retried every second; the destructor makes one last attempt to deliver
// what is queued. Delivery is at-least-once (a resend after a broken
// connection can repeat an entry): consumers deduplicate by (code, ts, state).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/pipeline_config.h"

namespace sh::host {

struct AlertTransition;

struct AlertStreamOptions {
  RedisSettings redis;                // the config's redis: section
  std::string stream = "risk.alerts";
  uint64_t maxlen = 10000;            // approximate cap; 0 = unbounded
};

class AlertStream {
 public:
  static constexpr size_t kMaxQueued = 10000;

  explicit AlertStream(AlertStreamOptions options);
  ~AlertStream();
  AlertStream(const AlertStream&) = delete;
  AlertStream& operator=(const AlertStream&) = delete;

  // Pipeline thread: queues one entry (never blocks on the network).
  void post(const AlertTransition& t, const std::string& json_line);

 private:
  void run();
  std::vector<std::vector<std::string>> take();

  AlertStreamOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::string>> queue_;  // guarded by mu_
  uint64_t dropped_ = 0;                        // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  std::thread thread_;
};

}  // namespace sh::host
