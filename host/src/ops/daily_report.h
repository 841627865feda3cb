// DailyTally: one UTC day's figures for the daily report (runbook 003,
// "Evening Checklist": trades, PnL; plus denials and alerts), summed minute
// by minute, and the report made from them.
//
// The report, <output_dir>/<daily_report.dir>/YYYY-MM-DD.json:
//   {"date":"2024-01-02","partial":false,
//    "first_minute":"2024-01-02T00:00:00Z","last_minute":"2024-01-02T23:59:00Z","minutes":1440,
//    "pnl":{"total_usd":..,"realized_usd":..,"unrealized_usd":..,"fees_usd":..,
//           "start_equity_usd":..,"end_equity_usd":..},      (null without a decision layer)
//    "trades":37,
//    "denials":{"total":81,"by_reason":{"CIRCUIT_OPEN":75,"LOW_CONFIDENCE":6}},
//    "alerts":{"raised":2,"by_code":{"VAR_HIGH":1,"DQ_LOW":1}}}
// total = equity at the day's last minute - equity at the previous day's
// last close (the broker's day start); realized = what the day's fills
// realized; unrealized = the open positions' at the day's last minute.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "store/status.h"

namespace sh::host {

inline constexpr const char* kMetaDailyReport = "ops/daily_report";
inline constexpr int64_t kNsPerDay = int64_t{86400} * 1'000'000'000;

struct DailyTally {
  int64_t day = 0;  // days since the epoch (UTC)
  int64_t first_minute_ts_ns = 0;
  int64_t last_minute_ts_ns = 0;
  uint64_t minutes = 0;  // 0: nothing tallied yet
  bool decided = false;  // the decision layer decided at least one minute
  double start_equity_usd = std::numeric_limits<double>::quiet_NaN();
  double end_equity_usd = std::numeric_limits<double>::quiet_NaN();
  double pnl_usd = 0;         // the broker's daily PnL at the last decided minute
  double realized_usd = 0;    // summed over the day's fills
  double fees_usd = 0;
  double unrealized_usd = 0;  // at the last decided minute
  uint64_t trades = 0;
  std::map<std::string, uint64_t> denied;  // by risk reason
  std::map<std::string, uint64_t> alerts;  // raised, by code

  // "YYYY-MM-DD".
  std::string date() const;
  // The report (one JSON document, no trailing newline).
  std::string report_json(bool partial) const;
  // The log line: "daily report 2024-01-02 (partial): pnl ... USD ...".
  std::string summary_line(bool partial) const;
};

// The durable form: the day being tallied and the last day reported.
std::string daily_state_json(const DailyTally& tally, int64_t last_reported_day);
Status daily_state_from_json(const std::string& text, DailyTally* tally, int64_t* last_reported_day);

}  // namespace sh::host
