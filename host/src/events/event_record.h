// Event records: what a detector hit becomes once the event gate lets it
// through, and the one function that renders it as a JSON line (used by the
// JSONL sinks, the Redis stream sink and the `events` database alike, so the
// bytes are the same everywhere).
#ifndef SH_HOST_EVENTS_EVENT_RECORD_H
#define SH_HOST_EVENTS_EVENT_RECORD_H

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <strategy_host/abi.h>

#include "store/status.h"

namespace sh::host {

// A detector hit with its symbol resolved to a name (symbol ids are
// process-local) and its origin attached. Input of the EventGate.
struct EventCandidate {
  std::string symbol;
  int64_t minute_ts_ns = 0;  // the minute the hit belongs to: event time
  std::string hit_class;     // e.g. "return_spike"
  double score = 0.0;        // 0..100 as reported by the detector
  double value = std::numeric_limits<double>::quiet_NaN();      // measured value
  double threshold = std::numeric_limits<double>::quiet_NaN();  // threshold crossed
  std::string detector;          // plugin or rule name
  std::string detector_version;  // its version, for attribution across swaps
  sh_dq_status dq = SH_DQ_OK;    // DQ of the row the hit was computed on
};

// A published event.
struct EventRecord : EventCandidate {
  uint64_t seq = 0;  // strictly increasing over the life of the state store
  int severity = 0;  // 0..100: round(clamp(score * class weight, 0, 100))
};

// One JSON object, no trailing newline, fields in this fixed order:
//   seq, minute (ISO-8601 UTC), minute_ts_ns, symbol, class, score, severity,
//   value, threshold, detector, detector_version, dq (text: ok|stale_book|...)
// Doubles are shortest round-trip text; NaN is null.
// Example:
//   {"seq":7,"minute":"2024-01-02T00:05:00Z","minute_ts_ns":1704153900000000000,
//    "symbol":"BTCUSDT","class":"return_spike","score":87.5,"severity":88,
//    "value":4.25,"threshold":3,"detector":"spike","detector_version":"1.2.0","dq":"ok"}
std::string format_event_json(const EventRecord& record);

// Inverse of format_event_json (also accepts any field order). Used to read
// the `events` database back.
Status parse_event_json(std::string_view line, EventRecord* record);

}  // namespace sh::host

#endif  // SH_HOST_EVENTS_EVENT_RECORD_H
