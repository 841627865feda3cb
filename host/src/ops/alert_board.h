// AlertBoard: the alerts as the rest of the process may read them (the HTTP
// server's /api/status and /metrics, `host status` through the store). The
// pipeline thread's alert stage (ops/alert_stage.h) publishes a new snapshot
// after each minute whose commit changed an alert; readers get copies.
//
// Thread-safe: every method may be called from any thread. State below is
// protected by mu_. Reads cost one lock and a copy of a few small records.
//
// For /api/status: active() is the list to show ("active alerts": code,
// severity, since when, the figure and threshold at the raise, the
// message). For /metrics: counts() gives, per code, monotonically growing
// raised / cleared totals (counters: strategy_host_alerts_raised_total
// {code="VAR_HIGH"}) and active() the gauge (strategy_host_alert_active).
// The totals are those of the store (they survive a restart in persistent
// modes; a replay starts from zero).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "ops/alert_config.h"

namespace sh::host {

struct ActiveAlert {
  std::string code;             // "VAR_HIGH", ... (alert_kind_info(kind).code)
  AlertSeverity severity = AlertSeverity::kWarning;
  int64_t raised_ts_ns = 0;     // end of the minute it was raised at (event time)
  double value = 0;             // the figure at the raise
  double threshold = 0;         // the raise threshold, in the figure's unit
  std::string message;          // the raise's message, with figure and threshold
};

struct AlertCount {
  std::string code;
  uint64_t raised = 0;
  uint64_t cleared = 0;
};

class AlertBoard {
 public:
  // Active alerts in kind order (at most one per code).
  std::vector<ActiveAlert> active() const {
    std::lock_guard<std::mutex> lock(mu_);
    return active_;
  }
  // One entry per alert code, kind order, zeros included.
  std::vector<AlertCount> counts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  // Pipeline thread (the alert stage): replaces the snapshot.
  void publish(std::vector<ActiveAlert> active, std::vector<AlertCount> counts) {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = std::move(active);
    counts_ = std::move(counts);
  }

 private:
  mutable std::mutex mu_;
  std::vector<ActiveAlert> active_;  // guarded by mu_
  std::vector<AlertCount> counts_;   // guarded by mu_
};

}  // namespace sh::host
