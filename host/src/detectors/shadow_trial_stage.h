// ShadowTrialStage: the outputs of shadow trials (README "Shadow trials").
// At each minute close, for every detector whose candidate ran beside it
// (DetectionStage, Minute::shadow_hits), writes the candidate's hits to
// <output_dir>/shadow/<component>.jsonl, one line per hit with its minute,
// and adds the minute to the ShadowBoard's comparison of serving against
// candidate; the same for the experts' and risk policies' trials, whose
// evidence and verdicts the decision stage put in Minute::shadow_outputs
// (so this stage runs after the decision stage). Nothing here reaches the sinks, the decision layer or a venue,
// and the files are not part of the output digest: a session with a trial
// has the digest of the same session without it (until a promote).
//
// A replay truncates the files at open(), like its other outputs; the live
// modes append. A file that cannot be written is logged and the run goes on.
// After each minute the board is also written to <output_dir>/shadow/
// comparison.json for `host status`.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "events/jsonl_file_sink.h"
#include "pipeline/stage.h"

namespace sh::host {

class ShadowTrialStage final : public Stage {
 public:

  const char* name() const override { return "shadow trials"; }

  Status open(StageContext& ctx) override;
  Status on_minute(Minute& minute) override;
  Status on_commit(Minute& minute, const Status& commit) override;
  Status finish() override;

 private:
  // The hits of `component` in `hits` (serving or candidate) as compared.
  ShadowHitSet hit_set(const std::vector<Hit>& hits, const std::string& component) const;
  void write_hits(const std::string& component, const Minute& minute);
  void write_output(const ShadowOutput& out, const Minute& minute);
  JsonlFileSink* file_for(const std::string& component);
  void flush_all();
  void write_comparison();

  StageContext* ctx_ = nullptr;
  std::filesystem::path dir_;
  std::map<std::string, std::unique_ptr<JsonlFileSink>> files_;  // by component
  uint64_t write_errors_ = 0;
};

}  // namespace sh::host
