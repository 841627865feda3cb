// AlertStage: the runbooks' alerts, evaluated once per closed minute after
// the outputs stage, from figures the pipeline already computed
// (ops/alert_figures.h), through the hysteresis of ops/alert_state.h.
//
// Each raise and clear becomes, for the minute it happened at:
//   a line of <output_dir>/alerts.jsonl (written before the minute's commit,
//     trimmed to the store at the next start like every feed; the digest's
//     "alerts" stream, so a replay is checked to reproduce them);
//   a log line (warning on a raise, info on a clear);
//   after the commit, an entry of the Redis stream `alerts.redis_stream`
//     (with redis:, never in replay; ops/alert_stream.h);
//   and the AlertBoard snapshot (ops/alert_board.h) the HTTP server reads.
// The state (active alerts, totals) commits with the minute (meta
// "ops/alerts"); `host status` shows the active ones. Minutes a restart
// catches up on (already committed) are not evaluated again.
// Timestamps are the minute's end in event time: the file is a function of
// the input, in replay and for a recorded live session alike.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "events/jsonl_file_sink.h"
#include "ops/alert_board.h"
#include "ops/alert_figures.h"
#include "ops/alert_state.h"
#include "ops/alert_stream.h"
#include "pipeline/stage.h"

namespace sh::host {

class AlertStage final : public Stage {
 public:
  explicit AlertStage(AlertBoard& board) : board_(board) {}
  const char* name() const override { return "alerts"; }

  Status open(StageContext& ctx) override;
  Status on_minute(Minute& minute) override;
  Status persist(const Minute& minute, StateTxn& txn) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  Status finish() override;
  void contribute(RunSummary& summary) const override;
  void describe(StatusSnapshot& status) const override;

 private:
  Status restore();
  Status write_lines();
  void publish();

  AlertBoard& board_;
  StageContext* ctx_ = nullptr;
  std::unique_ptr<AlertFigures> figures_;
  AlertStates states_;
  AlertStates committed_;  // as of the last committed minute
  std::unique_ptr<JsonlFileSink> file_;
  std::unique_ptr<AlertStream> stream_;
  std::vector<AlertTransition> transitions_;  // this minute's
  std::vector<std::string> lines_;            // their alerts.jsonl lines
  int64_t resume_after_ns_ = INT64_MIN;       // the store's last minute at open
  bool evaluated_ = false;                    // this minute was evaluated
  std::map<std::string, uint64_t> run_raised_;   // this run's, by code
  std::map<std::string, uint64_t> run_cleared_;
};

}  // namespace sh::host
