// AlertStates: the raise / clear state machine of every alert kind, with
// hysteresis, and its durable form.
//
// Per kind and minute, given the figure (AlertReading):
//   not raised, figure at or past `raise`            -> raised (counted);
//   raised, figure back past `clear` (the safe side
//     of raise) and raised for at least hold_minutes -> cleared (counted);
//   otherwise, or the figure unknown this minute     -> unchanged.
// So a figure oscillating around `raise` raises once and stays raised until
// it has really come back. The state (active alerts, raised / cleared
// totals) is saved in the minute's transaction (meta key "ops/alerts"), so
// a restart neither forgets a raised alert nor raises it again.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ops/alert_board.h"
#include "ops/alert_config.h"
#include "store/state_store.h"
#include "store/status.h"

namespace sh::host {

inline constexpr const char* kMetaAlerts = "ops/alerts";

// What an ops stage resumes from in a persistent mode: the store's last
// committed minute (*last_minute_ts_ns unchanged when none) and the record
// under meta `key` (*found false when none).
Status read_ops_record(const StateStore& store, const char* key, int64_t* last_minute_ts_ns,
                       std::string* record, bool* found);

// One kind's figure at a minute close (ops/alert_figures.h computes them).
struct AlertReading {
  bool known = false;  // false: no figure this minute (layer off, window not full)
  double value = std::numeric_limits<double>::quiet_NaN();  // in the rule's unit
  std::string detail;  // the figure in words, for the message
};

// A raise or a clear, as written to alerts.jsonl, the stream and the log.
struct AlertTransition {
  AlertKind kind = AlertKind::kVar;
  bool raised = true;  // false: cleared
  AlertSeverity severity = AlertSeverity::kWarning;
  int64_t ts_ns = 0;         // end of the minute (event time)
  int64_t minute_ts_ns = 0;  // its start (the feed's minute)
  double value = 0;
  double threshold = 0;      // raise threshold on a raise, clear threshold on a clear
  std::string message;

  const char* code() const { return alert_kind_info(kind).code; }
  // One JSON object, no newline: ts, minute_ts_ns, code, severity, state,
  // value, threshold, message.
  std::string json_line() const;
};

class AlertStates {
 public:
  // One minute for `kind`: the transition it makes, if any (appended).
  void evaluate(AlertKind kind, const AlertRuleConfig& rule, const AlertReading& reading,
                int64_t minute_ts_ns, int64_t minute_end_ns, std::vector<AlertTransition>* out);

  bool active(AlertKind kind) const { return slots_[static_cast<size_t>(kind)].active; }
  std::vector<ActiveAlert> active_alerts() const;
  std::vector<AlertCount> counts() const;

  // The durable form (JSON) and back; restore refuses a malformed record.
  std::string save() const;
  Status restore(const std::string& text);

 private:
  struct Slot {
    bool active = false;
    ActiveAlert alert;
    uint64_t raised = 0;
    uint64_t cleared = 0;
  };
  std::array<Slot, kAlertKindCount> slots_{};
};

}  // namespace sh::host
