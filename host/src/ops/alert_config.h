// ops/: operations: alerts on the runbooks' thresholds (alert_*), the
// daily report (daily_report_*), and the stages that run them at each
// minute close, after the outputs stage.
//
// AlertConfig: the `alerts:` and `daily_report:` sections of the host
// config, parsed and validated at load time (errors are ConfigError lines
// "FILE:LINE:COL: message" naming the key, e.g. "alerts.var.clear").
//
//   alerts:
//     enabled: true
//     file: alerts.jsonl          # in output_dir; one line per raise and clear
//     redis_stream: risk.alerts   # XADD after the minute's commit (with redis:, not in replay)
//     redis_maxlen: 10000
//     hold_minutes: 5             # every alert's default minimum time raised
//     var: {raise: 1.8, clear: 1.6}                 # each alert: enabled, severity,
//     daily_loss: {raise: 80, clear: 70}            #   raise, clear, hold_minutes and
//     ...                                           #   its own keys (see kAlertKinds)
//   daily_report: {enabled: true, dir: daily}       # in output_dir
//
// The defaults are the runbooks' figures (000: health bands; 003: risk
// alerts). Each alert raises when its figure crosses `raise` and clears only
// when it is back past `clear` (on the safe side of raise) and has been
// raised for hold_minutes: a figure oscillating around the raise threshold
// raises once.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "config/host_config.h"

namespace sh::host {

enum class AlertSeverity : uint8_t { kInfo, kWarning, kCritical };
// "info", "warning", "critical".
const char* alert_severity_name(AlertSeverity severity);

// Every alert kind, in the order they are evaluated and listed.
enum class AlertKind : uint8_t {
  kVar,             // VAR_HIGH: portfolio VaR, percent of equity
  kDailyLoss,       // DAILY_LOSS_NEAR: the day's loss, percent of the daily loss limit
  kDrawdown,        // DRAWDOWN_NEAR: drawdown, percent of the drawdown limit
  kBaselineDrift,   // BASELINE_DRIFT: z-scores' mean / std over a window
  kDq,              // DQ_LOW: share of rows dq ok over a window, percent
  kBarFinalize,     // BAR_FINALIZE_SLOW: p95 of the live finalize time over a window, ms
  kFeedStale,       // FEED_STALE: age of the stalest symbol's latest event, s
  kSuppression,     // SUPPRESSION_HIGH: share of gated events suppressed over a window, percent
  kModelSwitches,   // MODEL_SWITCH_RATE: model-router switches per hour over a window
  kCount
};
inline constexpr size_t kAlertKindCount = static_cast<size_t>(AlertKind::kCount);

// Static facts of a kind: its config key, code and default direction.
struct AlertKindInfo {
  const char* key;         // under alerts:
  const char* code;        // in alerts.jsonl, the stream, the log, `host status`
  bool above;              // raises when the figure is above raise (else below)
  const char* unit;        // of raise / clear, for messages and the README
};
const AlertKindInfo& alert_kind_info(AlertKind kind);

struct AlertRuleConfig {
  bool enabled = true;
  AlertSeverity severity = AlertSeverity::kWarning;
  double raise = 0;   // above kinds: figure >= raise raises; below: figure < raise
  double clear = 0;   // above kinds: figure <= clear may clear; below: figure >= clear
  uint32_t hold_minutes = 5;
  uint32_t window_minutes = 0;  // windowed kinds: closed minutes in the window
  uint64_t min_samples = 0;     // baseline_drift: z values; suppression: gated events
  // daily_loss / drawdown: the limit in percent; NaN = the risk chain's
  // (daily_loss's daily_loss_pct, drawdown_lock's max_drawdown_pct).
  double limit_pct = std::numeric_limits<double>::quiet_NaN();
  // baseline_drift: the runbook's green band |mean| <= max_abs_mean, std in
  // [min_std, max_std]; raise / clear are on the drift ratio (1 = the band's edge).
  double max_abs_mean = 0.2;
  double min_std = 0.8;
  double max_std = 1.2;
};

struct AlertConfig {
  bool enabled = true;
  std::string file = "alerts.jsonl";        // in output_dir; "" = no file
  std::string redis_stream = "risk.alerts";  // "" = none; used only with redis:
  uint64_t redis_maxlen = 10000;
  std::array<AlertRuleConfig, kAlertKindCount> rules{};

  const AlertRuleConfig& rule(AlertKind k) const { return rules[static_cast<size_t>(k)]; }
};

struct DailyReportConfig {
  bool enabled = true;
  std::string dir = "daily";  // in output_dir
};

// The defaults above with every rule at its runbook figure.
AlertConfig default_alert_config();

// Parses config.root()["alerts"] (absent: the defaults). Throws ConfigError.
AlertConfig parse_alert_config(const HostConfig& config);
// Parses config.root()["daily_report"] (absent: the defaults). Throws ConfigError.
DailyReportConfig parse_daily_report_config(const HostConfig& config);

}  // namespace sh::host
