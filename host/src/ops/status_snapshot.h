// ops/: operating a running host: the status snapshot the pipeline thread
// publishes, the HTTP server (/health, /api/ready, /api/status, /metrics,
// operator commands) and the Prometheus exposition. Nothing here runs on the
// pipeline thread but the snapshot's assembly (status_publisher.h).
//
// StatusSnapshot: an immutable picture of the host, made on the pipeline
// thread after each batch of minute closes and after swaps, and read by the
// HTTP threads (StatusBoard). Each part is filled by the one who owns the
// data: the loop (counters, components, latency), and each stage through
// Stage::describe() (the decision stage: book and risk state; the swap
// stage: reload history; ingress: providers; the alert stage: alerts).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ops/alert_board.h"
#include "pipeline/run_summary.h"

namespace sh::host {

// Cumulative histogram over fixed bounds (seconds), as Prometheus exposes it.
struct LatencyHistogram {
  // Upper bounds in seconds, +Inf implied: 10 us .. 10 s.
  static constexpr std::array<double, 16> kBounds = {
      1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
      5e-3, 1e-2,   2.5e-2, 5e-2, 0.1, 0.5,   1.0,  10.0};
  std::array<uint64_t, kBounds.size() + 1> counts{};  // per bucket, not cumulative; last: +Inf
  uint64_t count = 0;
  double sum_seconds = 0;

  void observe_ns(int64_t ns) {
    const double s = static_cast<double>(ns) * 1e-9;
    size_t b = 0;
    while (b < kBounds.size() && s > kBounds[b]) ++b;
    ++counts[b];
    ++count;
    sum_seconds += s;
  }
};

struct ComponentStatus {
  std::string name;
  std::string kind;     // provider, detector, expert, risk, venue
  std::string plugin;   // plugin name, or "lua"
  std::string version;  // serving label: "1.0.0", "1.0.0+cfg3", "lua:<hash>"
  uint64_t config_version = 0;
  std::string origin;   // how the serving version came: startup, reload, ...
};

struct ProviderStatus {
  std::string name;
  bool connected = false;  // has delivered an event or a receive clock
  bool finished = false;   // end of data (or failed)
  bool failed = false;
  uint64_t events = 0;
  int64_t clock_ns = 0;    // receive clock (live sources), 0 = none
};

struct PositionStatus {
  std::string symbol;
  double qty = 0;
  double avg_price = 0;
  double mark_price = 0;
  double notional_usd = 0;
  double unrealized_pnl_usd = 0;
};

// A risk component's state (its durable state as JSON text, when it keeps
// one); a circuit breaker's "state", a kill switch's file.
struct RiskComponentStatus {
  std::string name;
  std::string plugin;
  std::string state_json;  // "" = none
  bool breaker = false;    // a circuit_breaker: open = its state is not CLOSED
  bool open = false;
  bool kill_switch = false;  // a kill_switch: engaged = its file exists
  bool engaged = false;
  std::string path;
};

struct SwapStatus {
  int64_t wall_ns = 0;
  std::string component;
  bool applied = false;
  uint64_t config_version = 0;  // the config_versions entry written (applied)
  std::string label;            // its label (operator's, or the content hash's head)
  std::string reason;   // refused: why
  uint64_t effective_seq = 0;
  double duration_seconds = 0;  // enqueued -> serving (or refused)
};

struct DecisionStatus {
  bool enabled = false;
  double equity_usd = std::numeric_limits<double>::quiet_NaN();
  double cash_usd = std::numeric_limits<double>::quiet_NaN();
  double realized_pnl_usd = std::numeric_limits<double>::quiet_NaN();
  double unrealized_pnl_usd = std::numeric_limits<double>::quiet_NaN();
  double daily_pnl_usd = std::numeric_limits<double>::quiet_NaN();
  double drawdown_pct = std::numeric_limits<double>::quiet_NaN();
  double var_pct = std::numeric_limits<double>::quiet_NaN();
  bool emergency_stop = false;
  bool paused = false;
  bool emergency_reduce = false;
  uint64_t working_orders = 0;
  std::vector<PositionStatus> positions;  // open ones, by symbol
  std::vector<RiskComponentStatus> risk;
};

struct StatusSnapshot {
  std::string mode;
  int64_t started_wall_ns = 0;
  int64_t published_wall_ns = 0;
  bool store_open = false;
  uint32_t warmup_minutes = 0;   // conveyor.baseline_warmup
  int64_t bar_interval_ns = 0;
  int64_t last_minute_ts_ns = 0;  // 0 = none closed yet
  RunSummary summary;             // the run's figures so far
  std::vector<ComponentStatus> components;
  std::vector<ProviderStatus> providers;
  DecisionStatus decision;
  std::vector<SwapStatus> swaps;  // recent, oldest first
  std::vector<ActiveAlert> alerts;       // the alert stage's (ops/alert_board.h)
  std::vector<AlertCount> alert_counts;  // raised / cleared totals per code
  LatencyHistogram close_latency;
  LatencyHistogram decision_latency;
  LatencyHistogram swap_latency;
  // The status page's plots: one point per published closed minute, oldest
  // first, at most StatusPublisher::kSeriesPoints (12 h of minutes).
  std::vector<int64_t> series_minute_ts_ns;
  std::vector<double> series_equity_usd;  // NaN without a decision layer
  std::vector<double> series_close_ms;    // the slowest close since the last point
  // The daily report stage's (JSON texts; "" = none): the day so far
  // (partial) and the last complete day's report written by this run.
  std::string daily_today_json;
  std::string daily_last_json;
  // The shadow trials' comparisons (pipeline/shadow_board.h), a JSON array
  // text; "" = no trial ran.
  std::string shadow_trials_json;
  // Runbook 001's symbol states the governance gate applies, a JSON object
  // text {"gate", "counts", "states": {symbol: state}}; "" = no history:.
  std::string governance_json;
};

// Where the pipeline thread publishes and the HTTP threads read: a
// shared_ptr swap under a mutex (readers hold their copy as long as they
// like; the writer never waits for them).
class StatusBoard {
 public:
  void publish(std::shared_ptr<const StatusSnapshot> s) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(s);
  }
  // Null until the first publish.
  std::shared_ptr<const StatusSnapshot> current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const StatusSnapshot> current_;  // guarded by mu_
};

}  // namespace sh::host
