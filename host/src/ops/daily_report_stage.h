// DailyReportStage: the daily report (runbook 003) at the UTC day boundary,
// after the alert stage (it counts the alerts raised at each minute).
//
// Each decided minute adds to the day's DailyTally (ops/daily_report.h):
// trades (fills), realized PnL and fees of the fills, the book's PnL,
// denials by reason, alerts raised by code. When the first minute of a new
// UTC day closes, the previous day's report is written to
// <output_dir>/<daily_report.dir>/YYYY-MM-DD.json (atomically: a temporary
// file renamed over) with a line in the log; at the end of a run the day so
// far is written the same way, marked "partial": true (the day's complete
// report replaces it at the boundary).
//
// Durable: the tally and the last day reported commit with every minute
// (meta "ops/daily_report"), so a restart mid-day goes on counting the same
// day, a day is reported complete once, and a minute a restart catches up
// on is not counted twice. The reports join the output digest (stream
// "daily_reports"). Replay starts with no reports (the directory's
// YYYY-MM-DD.json files are removed at open, as the feeds are truncated).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "ops/daily_report.h"
#include "pipeline/stage.h"

namespace sh::host {

class DailyReportStage final : public Stage {
 public:
  DailyReportStage() = default;
  const char* name() const override { return "daily_report"; }

  Status open(StageContext& ctx) override;
  Status on_minute(Minute& minute) override;
  Status persist(const Minute& minute, StateTxn& txn) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  Status finish() override;
  // /api/status and the page: the day so far and the last complete report.
  void describe(StatusSnapshot& status) const override;

 private:
  Status restore();
  Status remove_replay_reports() const;
  void add(const Minute& minute, const std::map<std::string, uint64_t>& new_denials);
  Status write_report(const DailyTally& tally, bool partial);

  StageContext* ctx_ = nullptr;
  std::filesystem::path dir_;
  DailyTally tally_;
  int64_t last_reported_day_ = INT64_MIN;
  DailyTally committed_tally_;
  int64_t committed_reported_day_ = INT64_MIN;
  std::map<std::string, uint64_t> seen_denied_;  // the run summary's, at the last minute
  int64_t resume_after_ns_ = INT64_MIN;          // the store's last minute at open
  bool changed_ = false;
  std::string last_report_;  // the last complete report written by this run
};

}  // namespace sh::host
