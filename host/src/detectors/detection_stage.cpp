#include "detectors/detection_stage.h"

#include <spdlog/spdlog.h>

#include <cstddef>

#include "detectors/lua_detector_stage.h"
#include "store/time_format.h"

namespace sh::host {

DetectionStage::DetectionStage(std::vector<std::unique_ptr<DetectorStage>> detectors,
                               ComponentRegistry& registry, RunSummary& summary)
    : detectors_(std::move(detectors)),
      slots_(detectors_.size(), nullptr),
      versions_(detectors_.size()),
      errors_(detectors_.size(), 0),
      summary_(summary) {
  for (size_t i = 0; i < detectors_.size(); ++i) {
    SwapSlot slot;
    slot.component = detectors_[i]->name();
    slot.kind = SH_KIND_DETECTOR;
    if (auto* pd = dynamic_cast<PluginDetector*>(detectors_[i].get())) {
      slot.instance = &pd->instance();
      slot.library = slot.instance->shared_library();
      slot.rebind = [pd](PluginInstance& now) { pd->replace(now); };
    } else if (auto* rule = dynamic_cast<LuaDetectorStage*>(detectors_[i].get())) {
      slot.rule = &rule->rule();
    } else {
      continue;  // another stage type (tests): not swappable
    }
    slots_[i] = &registry.add(std::move(slot));
  }
  hit_sink_.struct_size = sizeof(hit_sink_);
  hit_sink_.sink_ctx = this;
  hit_sink_.emit = &DetectionStage::emit_hits;
}

sh_status DetectionStage::emit_hits(void* ctx, const sh_detector_hit* hits, uint32_t count,
                                    uint32_t item_size) {
  auto& self = *static_cast<DetectionStage*>(ctx);
  if (hits == nullptr || item_size < offsetof(sh_detector_hit, hit_class) + sizeof(const char*)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  const DetectorStage& detector = *self.detectors_[self.current_];
  const auto* p = reinterpret_cast<const unsigned char*>(hits);
  for (uint32_t i = 0; i < count; ++i, p += item_size) {
    const auto& h = *reinterpret_cast<const sh_detector_hit*>(p);
    Hit hit;
    hit.symbol = h.symbol;
    hit.score = h.score;
    const bool has_value = item_size >= offsetof(sh_detector_hit, threshold) + sizeof(double);
    hit.value = has_value ? h.value : std::numeric_limits<double>::quiet_NaN();
    hit.threshold = has_value ? h.threshold : std::numeric_limits<double>::quiet_NaN();
    hit.hit_class = h.hit_class != nullptr && h.hit_class[0] != '\0' ? h.hit_class : detector.name();
    hit.detector = &detector.name();
    hit.detector_version = self.candidate_version_ != nullptr ? self.candidate_version_
                                                              : &self.versions_[self.current_];
    self.hits_->push_back(std::move(hit));
  }
  return SH_OK;
}

Status DetectionStage::on_minute(Minute& minute) {
  const MinuteClose& close = *minute.close;
  hits_ = &minute.hits;
  for (size_t i = 0; i < detectors_.size(); ++i) {
    current_ = i;
    const size_t before = hits_->size();
    const sh_status st = detectors_[i]->detect(minute.batch, close.context, hit_sink_);
    if (hits_->size() != before) {
      // The version that produced the hits (a reload or a rollback changes it).
      versions_[i] = detectors_[i]->version();
      if (slots_[i] != nullptr) versions_[i] += config_version_suffix(*slots_[i]);
    }
    if (st != SH_OK) {
      ++summary_.detector_errors;
      if (should_log(++errors_[i])) {
        spdlog::warn("detector '{}' failed on minute {} ({}): {} [{} so far]", detectors_[i]->name(),
                     format_iso8601_utc(close.minute_ts_ns), abi_status_name(st),
                     detectors_[i]->last_error(), errors_[i]);
      }
    }
    if (slots_[i] != nullptr && slots_[i]->shadow) run_candidate(i, minute);
  }
  summary_.detector_hits += hits_->size();
  hits_ = nullptr;
  return Status::Ok();
}

// A shadow trial: the candidate sees the same rows and context; its hits go
// to minute.shadow_hits, never to the sinks.
void DetectionStage::run_candidate(size_t i, Minute& minute) {
  ShadowCandidate& candidate = *slots_[i]->shadow;
  std::vector<Hit>* serving = hits_;
  hits_ = &minute.shadow_hits;
  candidate_version_ = &candidate.version;
  const sh_status st = candidate.instance
                           ? candidate.instance->detect(minute.batch, minute.close->context, hit_sink_)
                           : candidate.rule->detect(minute.batch, minute.close->context, hit_sink_);
  candidate_version_ = nullptr;
  hits_ = serving;
  if (st != SH_OK && should_log(++candidate_errors_)) {
    const std::string why = candidate.instance ? candidate.instance->last_error()
                                               : candidate.rule->last_error();
    spdlog::warn("shadow candidate {} of '{}' failed on minute {} ({}): {} [{} so far]",
                 candidate.version, detectors_[i]->name(),
                 format_iso8601_utc(minute.close->minute_ts_ns), abi_status_name(st), why,
                 candidate_errors_);
  }
}

}  // namespace sh::host
