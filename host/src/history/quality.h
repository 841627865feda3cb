// Runbook 001's data quality score and symbol states, per symbol.
//
//   score = 1.0 - (missing_dates_pct * 0.3 + duplicate_pct * 0.2
//                  + zero_negative_flag * 0.2 + extreme_spike_flag * 0.3)
//
// with, over the rows a provider delivered (history/daily_series.h):
//   missing_dates_pct   expected dates between the first and last delivered
//                       date that have no row, over the expected dates
//                       (weekdays for stocks, fx and commodities; every
//                       calendar day for crypto). A fraction, 0..1.
//   duplicate_pct       rows repeating a date already delivered, over the
//                       rows delivered. A fraction, 0..1.
//   zero_negative_flag  1 when any row has an open, high, low, close or adj
//                       close <= 0 (or a negative volume), else 0.
//   extreme_spike_flag  1 when any day-over-day adj close return exceeds
//                       spike_return in absolute value, else 0.
// Rows out of date order are counted and reported (the formula has no term
// for them); they are put in date order before gaps and returns are measured.
// Rows with no close (NaN) count as missing dates.
//
// States (runbook 001):
//   ACTIVE       rows >= required_rows (1260) and score >= min_quality (0.6)
//   DEGRADED     rows in [degraded_rows (1000), 1260) or score < 0.6
//   QUARANTINED  rows < 1000, or a critical failure: no data, an unreadable
//                stored series, or a split not reflected in Adj Close (the
//                close moves by a split ratio and adj close moves with it:
//                every adjusted return across the date is wrong).
// "rows" are distinct dates with a close.
//
// Corporate actions derived where the data allows: a split reflected in Adj
// Close (the close moves by a split ratio, adj close does not), and cash
// dividends (adj close / close steps up on the ex-date; amount = previous
// close * (1 - previous factor / factor)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "history/asset_class.h"
#include "history/daily_series.h"

namespace sh::host {

enum class SymbolState { kActive, kDegraded, kQuarantined };
const char* symbol_state_name(SymbolState s);  // "ACTIVE" | "DEGRADED" | "QUARANTINED"
bool parse_symbol_state(const std::string& name, SymbolState* out);

struct QualitySettings {
  int64_t required_rows = 1260;  // history.required_rows
  int64_t degraded_rows = 1000;  // history.quarantine_below_rows
  double min_quality = 0.6;      // history.min_quality
  double spike_return = 0.5;     // history.spike_return (|adj close return|)
};

struct CorporateAction {
  int32_t day = 0;
  std::string kind;   // "split" | "dividend"
  double value = 0;   // split: shares after per share before (2 = 2-for-1); dividend: cash amount
  bool reflected = true;  // split: false when Adj Close does not reflect it (critical)
};

struct QualityReport {
  size_t rows_delivered = 0;
  size_t rows = 0;  // distinct dates with a close
  size_t expected_dates = 0, missing_dates = 0;
  size_t duplicates = 0, out_of_order = 0, non_positive = 0, spikes = 0;
  double missing_dates_pct = 0, duplicate_pct = 0;
  int zero_negative_flag = 0, extreme_spike_flag = 0;
  double score = 0;
  int32_t first_day = 0, last_day = 0;
  std::vector<CorporateAction> actions;
  std::string critical;  // "" or NO_DATA / SPLIT_NOT_ADJUSTED (with the date)
  SymbolState state = SymbolState::kQuarantined;
  // Why the state: "OK", "INSUFFICIENT_HISTORY", "LOW_QUALITY", or the critical failure.
  std::string reason;
  std::string detail;  // one line a person reads
};

// Reused buffers (assess allocates nothing once they are warm).
struct QualityScratch {
  std::vector<DailyRow> sorted;
};

// Judges one symbol's delivered rows.
void assess_series(const DailySeries& delivered, AssetClass asset_class,
                   const QualitySettings& settings, QualityScratch* scratch, QualityReport* out);

}  // namespace sh::host
