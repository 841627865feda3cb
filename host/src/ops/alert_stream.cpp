#include "ops/alert_stream.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "events/redis_client.h"
#include "ops/alert_state.h"
#include "services/text_util.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

std::string stream_number(double v) { return std::isfinite(v) ? format_g(v, 17) : "null"; }

}  // namespace

AlertStream::AlertStream(AlertStreamOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

AlertStream::~AlertStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AlertStream::post(const AlertTransition& t, const std::string& json_line) {
  std::vector<std::string> argv = {"XADD", options_.stream};
  if (options_.maxlen > 0) {
    argv.insert(argv.end(), {"MAXLEN", "~", std::to_string(options_.maxlen)});
  }
  argv.insert(argv.end(), {"*", "code", t.code(), "severity", alert_severity_name(t.severity), "state",
                           t.raised ? "raised" : "cleared", "value", stream_number(t.value), "threshold",
                           stream_number(t.threshold), "ts", format_iso8601_utc(t.ts_ns), "message",
                           t.message, "alert", json_line});
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(argv));
    if (queue_.size() > kMaxQueued) {
      queue_.pop_front();
      ++dropped_;
    }
  }
  cv_.notify_one();
}

std::vector<std::vector<std::string>> AlertStream::take() {
  std::vector<std::vector<std::string>> out(std::make_move_iterator(queue_.begin()),
                                            std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

// The sender: waits for entries, sends them in one pipeline; on failure puts
// back what was not acknowledged and retries a second later.
void AlertStream::run() {
  RedisClient client(options_.redis.host, options_.redis.port, options_.redis.timeout_ms);
  bool outage_logged = false;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    const bool stopping = stop_;
    if (dropped_ > 0) {
      spdlog::warn("alerts: redis stream {}: {} entries dropped while Redis was unreachable (queue bound {})",
                   options_.stream, dropped_, kMaxQueued);
      dropped_ = 0;
    }
    std::vector<std::vector<std::string>> batch = take();
    lock.unlock();
    Status st = Status::Ok();
    size_t sent = 0;
    if (!batch.empty()) {
      if (!client.connected()) st = client.connect();
      std::vector<RedisReply> replies;
      if (st.ok()) st = client.pipeline(batch, &replies);
      sent = replies.size();
      if (st.code() == Status::Code::kRemoteError) {
        spdlog::warn("alerts: redis stream {}: {}", options_.stream, st.message());
        sent = batch.size();  // rejected by the server: resending cannot help
        st = Status::Ok();
      }
    }
    lock.lock();
    if (!st.ok()) {
      if (!outage_logged) {
        spdlog::warn("alerts: redis stream {}: {} ({} entries kept, retried every second)", options_.stream,
                     st.message(), batch.size() - sent);
        outage_logged = true;
      }
      client.close();
      for (size_t i = batch.size(); i > sent; --i) queue_.push_front(std::move(batch[i - 1]));
      if (stopping) return;  // the last attempt failed: the store and alerts.jsonl have them
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
      continue;
    }
    outage_logged = false;
    if (stopping && queue_.empty()) return;
  }
}

}  // namespace sh::host
