// conveyor/: market events in, closed minutes out: bars, features, baselines,
// DQ, market context (a library on the SDK alone, conveyor.h) and the
// ConveyorStage that runs it as the pipeline's first stage.
//
// ConveyorStage: the conveyor as the first stage of the pipeline. Events in;
// closed minutes (feature rows and market context) out; each minute's rows
// go into its snapshot write (features_snapshot UPSERT). Owns the Conveyor.
#pragma once

#include <vector>

#include "conveyor/conveyor.h"
#include "pipeline/stage.h"

namespace sh::host {

class ConveyorStage final : public Stage {
 public:
  ConveyorStage(const ConveyorConfig& config, const SymbolTable& symbols, RunSummary& summary);
  const char* name() const override { return "conveyor"; }

  void on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) override;
  void recycle(std::vector<MinuteClose>& processed) override { conveyor_.recycle(processed); }
  Status on_minute(Minute& minute) override;
  void contribute(RunSummary& summary) const override;

 private:
  Conveyor conveyor_;
  const SymbolTable& symbols_;
  RunSummary& summary_;
};

}  // namespace sh::host
