// AlertFigures: the figure behind each alert kind, computed once per closed
// minute from what the pipeline already has: the minute's rows (DQ,
// z-scores, feed staleness), the decision layer's figures (VaR, daily PnL,
// drawdown, fills, model switches; Minute::decision), the run summary's
// event-gate counts (suppression), the live finalize time
// (Minute::finalize_ms) and the risk chain's limits (the serving config of
// the daily_loss and drawdown_lock policies, through the component
// registry, so a reload of a limit moves the alert with it).
//
// Windowed figures (DQ share, baseline drift, finalize p95, suppression,
// model-switch rate) are over the last window_minutes closed minutes and
// unknown until the window is full. Pipeline thread only; O(symbols) per
// minute plus O(1) per window.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>

#include "ops/alert_config.h"
#include "ops/alert_state.h"
#include "pipeline/component_registry.h"
#include "pipeline/run_summary.h"
#include "pipeline/stage.h"
#include "services/symbol_table.h"

namespace sh::host {

// Running sums over the last `capacity` minutes, N figures per minute.
template <size_t N>
class AlertWindow {
 public:
  void set_capacity(size_t capacity) { capacity_ = capacity; }
  void push(const std::array<double, N>& v) {
    minutes_.push_back(v);
    for (size_t i = 0; i < N; ++i) sum_[i] += v[i];
    if (minutes_.size() > capacity_) {
      for (size_t i = 0; i < N; ++i) sum_[i] -= minutes_.front()[i];
      minutes_.pop_front();
    }
  }
  bool full() const { return capacity_ > 0 && minutes_.size() >= capacity_; }
  const std::array<double, N>& sum() const { return sum_; }

 private:
  size_t capacity_ = 0;
  std::deque<std::array<double, N>> minutes_;
  std::array<double, N> sum_{};
};

// A risk policy's limit as it serves: `key` of the first risk component
// running `plugin`, or its schema default; cached per config version.
class RiskLimit {
 public:
  RiskLimit(const char* plugin, const char* key) : plugin_(plugin), key_(key) {}
  // NaN when no such policy serves (or it names no usable limit).
  double percent(const ComponentRegistry& registry);

 private:
  const char* plugin_;
  const char* key_;
  const SwapSlot* slot_ = nullptr;
  uint64_t version_ = 0;
  const void* library_ = nullptr;
  double cached_ = std::numeric_limits<double>::quiet_NaN();
};

class AlertFigures {
 public:
  AlertFigures(const AlertConfig& config, const ComponentRegistry& registry, const SymbolTable& symbols);

  // One decided minute: updates the windows and every kind's reading.
  void add_minute(const Minute& minute, const RunSummary& summary, int64_t bar_interval_ns);
  // After a commit (live): that minute's finalize time, ms.
  void add_finalize_ms(double ms);

  const AlertReading& reading(AlertKind kind) const { return readings_[static_cast<size_t>(kind)]; }

 private:
  void read_portfolio(const DecisionFigures& d);
  void read_rows(const MinuteClose& close, int64_t bar_interval_ns);
  void read_drift();
  void read_gate(const RunSummary& summary);
  void read_finalize();
  AlertReading& at(AlertKind kind) { return readings_[static_cast<size_t>(kind)]; }
  const AlertRuleConfig& rule(AlertKind kind) const { return config_.rule(kind); }

  const AlertConfig& config_;
  const ComponentRegistry& registry_;
  const SymbolTable& symbols_;
  std::array<AlertReading, kAlertKindCount> readings_{};
  RiskLimit daily_loss_limit_{"daily_loss", "daily_loss_pct"};
  RiskLimit drawdown_limit_{"drawdown_lock", "max_drawdown_pct"};
  AlertWindow<2> dq_;          // rows dq ok, rows
  AlertWindow<9> drift_;       // per z field: count, sum, sum of squares
  AlertWindow<2> gate_;        // suppressed, gated (suppressed + published + shadowed)
  AlertWindow<1> switches_;    // model-router switches
  std::deque<double> finalize_ms_;
  uint64_t seen_suppressed_ = 0;
  uint64_t seen_passed_ = 0;
};

}  // namespace sh::host
