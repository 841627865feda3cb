// io_report.h: what a network thread has to tell the host (counters, log
// lines). The host services may only be called from the thread that calls
// into the plugin, so the network thread writes here and poll() forwards.
// The counters are the caller's: an enum indexing a table of host counter
// names (at most kMaxCounters).
#ifndef SH_EXCHANGE_IO_REPORT_H
#define SH_EXCHANGE_IO_REPORT_H

#include <strategy_host/plugin.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

namespace exchange {

class IoReport {
 public:
  static constexpr size_t kMaxCounters = 32;

  // names[0, count): host counter names (reported as `<instance>.<name>`);
  // the table must outlive the report.
  IoReport(const char* const* names, size_t count)
      : names_(names), count_(count < kMaxCounters ? count : kMaxCounters) {}

  // Any thread.
  void add(int c, int64_t delta = 1) { values_[static_cast<size_t>(c)].fetch_add(delta, std::memory_order_relaxed); }
  int64_t value(int c) const { return values_[static_cast<size_t>(c)].load(std::memory_order_relaxed); }
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
      for (size_t i = 0; i < count_; ++i) ids_[i] = host.counter(names_[i]);
      registered_ = true;
    }
    for (size_t i = 0; i < count_; ++i) {
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
    if (dropped > 0) host.log(SH_LOG_WARN, std::to_string(dropped) + " I/O log lines dropped");
  }

 private:
  struct Line {
    sh_log_level level;
    std::string msg;
  };
  static constexpr size_t kMaxLines = 1000;
  const char* const* names_;
  const size_t count_;
  std::array<std::atomic<int64_t>, kMaxCounters> values_{};
  // Below: touched only by the polling thread.
  std::array<int64_t, kMaxCounters> reported_{};
  std::array<uint32_t, kMaxCounters> ids_{};
  bool registered_ = false;
  std::mutex mu_;  // guards lines_ and dropped_lines_
  std::deque<Line> lines_;
  uint64_t dropped_lines_ = 0;
};

}  // namespace exchange

#endif
