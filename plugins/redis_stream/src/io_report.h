// io_report.h: what the reader thread has to tell the host (counters, log
// lines). Host services may only be called from the thread that calls into
// the plugin, so the reader writes here and poll() forwards both.
#ifndef SH_REDIS_STREAM_IO_REPORT_H
#define SH_REDIS_STREAM_IO_REPORT_H

#include <strategy_host/plugin.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>

namespace redis_stream {

class IoReport {
 public:
  // Host counters, reported as `<instance>.<name>` (README.md, "Counters").
  enum Counter {
    kConnectAttempts, kConnections, kReconnects, kDisconnects, kConnectFailures, kGroupsCreated,
    kEntriesRead, kEventsEmitted, kMalformedEntries, kUnknownTypes, kFilteredEntries, kAcked,
    kCount
  };

  // Any thread.
  void add(Counter c, int64_t delta = 1) { values_[c].fetch_add(delta, std::memory_order_relaxed); }
  int64_t value(Counter c) const { return values_[c].load(std::memory_order_relaxed); }
  void log(sh_log_level level, std::string msg) {
    std::lock_guard<std::mutex> lock(mu_);
    if (lines_.size() >= kMaxLines) {
      ++dropped_lines_;
      return;
    }
    lines_.push_back({level, std::move(msg)});
  }

  // The polling thread: hands new counts and lines to the host.
  void flush(const sh::Host& host) {
    if (!registered_) {
      static const char* kNames[kCount] = {
          "connect_attempts", "connections", "reconnects", "disconnects", "connect_failures",
          "groups_created", "entries_read", "events_emitted", "malformed_entries", "unknown_types",
          "filtered_entries", "acked"};
      for (int i = 0; i < kCount; ++i) ids_[i] = host.counter(kNames[i]);
      registered_ = true;
    }
    for (int i = 0; i < kCount; ++i) {
      const int64_t v = values_[i].load(std::memory_order_relaxed);
      if (v != reported_[i]) {
        host.add(ids_[i], v - reported_[i]);
        reported_[i] = v;
      }
    }
    std::deque<Line> lines;
    uint64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      lines.swap(lines_);
      std::swap(dropped, dropped_lines_);
    }
    for (const Line& l : lines) host.log(l.level, l.msg);
    if (dropped > 0) host.log(SH_LOG_WARN, std::to_string(dropped) + " reader log lines dropped");
  }

 private:
  struct Line {
    sh_log_level level;
    std::string msg;
  };
  static constexpr size_t kMaxLines = 1000;
  std::array<std::atomic<int64_t>, kCount> values_{};
  // Below: touched only by the polling thread.
  std::array<int64_t, kCount> reported_{};
  std::array<uint32_t, kCount> ids_{};
  bool registered_ = false;
  std::mutex mu_;  // guards lines_ and dropped_lines_
  std::deque<Line> lines_;
  uint64_t dropped_lines_ = 0;
};

}  // namespace redis_stream

#endif
