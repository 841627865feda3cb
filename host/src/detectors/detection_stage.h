// detectors/: the detectors (C++ plugins and Lua rules behind one
// DetectorStage interface, detector.h) and the DetectionStage that runs them
// at each minute close.
//
// DetectionStage: the detectors of one pipeline (C++ plugins and Lua rules
// together, in config order) run over each minute's batch; their hits go
// into the Minute for the outputs stage. Owns the detectors. A detector
// with a shadow trial running (SwapSlot::shadow) also runs its candidate
// on the same batch, into Minute::shadow_hits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detectors/detector.h"
#include "pipeline/stage.h"

namespace sh::host {

class DetectionStage final : public Stage {
 public:
  // Registers every plugin and Lua detector as a swappable component.
  DetectionStage(std::vector<std::unique_ptr<DetectorStage>> detectors,
                 ComponentRegistry& registry, RunSummary& summary);
  const char* name() const override { return "detection"; }

  Status on_minute(Minute& minute) override;

 private:
  void run_candidate(size_t i, Minute& minute);
  static sh_status emit_hits(void* ctx, const sh_detector_hit* hits, uint32_t count,
                             uint32_t item_size);

  std::vector<std::unique_ptr<DetectorStage>> detectors_;
  std::vector<const SwapSlot*> slots_;  // per detector; null: not swappable (tests)
  std::vector<std::string> versions_;   // per detector: version() + "+cfgN", for hits
  std::vector<uint64_t> errors_;        // per detector
  RunSummary& summary_;
  sh_hit_sink hit_sink_{};
  size_t current_ = 0;                  // detector being called
  std::vector<Hit>* hits_ = nullptr;    // during on_minute
  const std::string* candidate_version_ = nullptr;  // while a shadow candidate runs
  uint64_t candidate_errors_ = 0;       // shadow candidates' failed calls
};

}  // namespace sh::host
