// volume_spike: fires on a minute whose volume is extreme both as a z-score
// and as a rolling quantile rank (the quantile guards against fat tails that
// make a z-score alone fire too often).
#include "volume_spike_core.h"

#include <strategy_host/core_detector.hpp>

namespace {

struct VolumeSpikeTraits {
  static constexpr const char* kName = "volume_spike";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Fires when z_volume and the volume quantile rank both reach their thresholds";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "volume_spike",
  "type": "object",
  "properties": {
    "z_threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0,
                    "description": "fire when z_volume >= z_threshold (high volume only)"},
    "min_quantile": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.95,
                     "description": "and q_volume >= min_quantile"},
    "require_dq_ok": {"type": "boolean", "default": false,
                      "description": "skip rows whose dq is not OK (the host already gates DQ)"}
  },
  "additionalProperties": false
})json";

  using Config = volume_spike::Params;
  static Config parse(const sh::config::Reader& r) {
    Config p;
    p.z_threshold = r.number("z_threshold");
    p.min_quantile = r.number("min_quantile");
    p.require_dq_ok = r.boolean("require_dq_ok");
    return p;
  }
  static uint32_t detect(const sh::FeatureRows& rows, const Config& p, sh_detector_hit* out) {
    return volume_spike::detect_batch(rows, p, out);
  }
};

using VolumeSpike = sh::CoreDetector<VolumeSpikeTraits>;

}  // namespace

SH_EXPORT_PLUGIN(VolumeSpike)
