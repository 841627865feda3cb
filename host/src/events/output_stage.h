// events/: outputs: the event gate (debounce, cooldown, budget), event
// records, sinks (JSONL files, Redis streams), feed recovery, the output
// digest, and the OutputStage that turns a minute's hits into events.
//
// OutputStage: the detectors' hits become events. Owns the event gate
// (debounce, cooldown, budget; its state commits with the minute), the
// routing by run mode (main, shadow, dry-run candidates), the event feed
// files (written before the commit) and the Redis stream sink (fed only
// committed minutes).
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "events/event_gate.h"
#include "events/event_sink.h"
#include "events/jsonl_file_sink.h"
#include "pipeline/stage.h"

namespace sh::host {

class OutputStage final : public Stage {
 public:
  OutputStage() = default;
  const char* name() const override { return "outputs"; }

  Status open(StageContext& ctx) override;
  Status on_minute(Minute& minute) override;
  Status persist(const Minute& minute, StateTxn& txn) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  Status finish() override;

 private:
  Status open_sinks(bool truncate);
  // The shadow file for a held-back event; null: the main sinks.
  JsonlFileSink* route(const EventRecord& record);
  void offer(const Hit& hit, const MinuteClose& close, Minute& minute);
  Status write_feeds();
  Status trim_feeds();

  StageContext* ctx_ = nullptr;
  std::unique_ptr<EventGate> gate_;
  std::unique_ptr<JsonlFileSink> main_jsonl_;
  std::unique_ptr<JsonlFileSink> shadow_jsonl_;
  std::unique_ptr<JsonlFileSink> candidates_jsonl_;
  std::unique_ptr<EventSink> redis_sink_;
  // This minute's events and their file (null: the main sinks).
  std::vector<std::pair<EventRecord, JsonlFileSink*>> outputs_;
};

}  // namespace sh::host
