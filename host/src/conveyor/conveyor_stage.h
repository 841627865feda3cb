// conveyor/: market events in, closed minutes out: bars, features, baselines,
// DQ, market context (a library on the SDK alone, conveyor.h) and the
// ConveyorStage that runs it as the pipeline's first stage.
//
// ConveyorStage: the conveyor as the first stage of the pipeline. Events in;
// closed minutes (feature rows and market context) out; each minute's rows
// go into its snapshot write (features_snapshot UPSERT). Owns the Conveyor
// and, in front of it, the MarketDataGuard: a quarantined event never reaches
// the conveyor; it is counted by reason, logged (the first few per reason,
// with its input position) and written to the rejects file.
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "conveyor/conveyor.h"
#include "conveyor/market_data_guard.h"
#include "pipeline/stage.h"

namespace sh::host {

class ConveyorStage final : public Stage {
 public:
  ConveyorStage(const ConveyorConfig& config, const MarketDataGuardConfig& guard,
                const SymbolTable& symbols, RunSummary& summary);
  ~ConveyorStage() override;
  Status open(StageContext& ctx) override;
  Status finish() override;
  const char* name() const override { return "conveyor"; }

  void on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) override;
  void recycle(std::vector<MinuteClose>& processed) override { conveyor_.recycle(processed); }
  void on_clock(int64_t recv_clock_ns, std::vector<MinuteClose>& closed) override;
  Status on_minute(Minute& minute) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  void contribute(RunSummary& summary) const override;

 private:
  // The batch less its quarantined events (null when all passed: the batch
  // goes to the conveyor as it came).
  const EventBatch* screen(const EventBatch& batch);
  void report(const sh_market_event& ev, Quarantine q, uint64_t position);

  Conveyor conveyor_;
  MarketDataGuard guard_;
  const SymbolTable& symbols_;
  RunSummary& summary_;
  const std::atomic<uint64_t>* events_in_ = nullptr;
  std::FILE* rejects_ = nullptr;  // <output_dir>/<rejects_file>
  std::string rejects_path_;
  std::vector<sh_market_event> kept_;  // scratch: the accepted events of a batch
  EventBatch kept_batch_;
  // The minute whose commit on_commit reports (set in on_minute).
  struct Committing {
    int64_t minute_ts_ns = 0;
    size_t rows = 0;
    size_t ok = 0;  // rows with dq ok
  };
  Committing committing_;
  uint64_t logged_[static_cast<size_t>(Quarantine::kCount)] = {};
  bool skew_warned_ = false;
};

}  // namespace sh::host
