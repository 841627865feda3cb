// spread_blowout: fires when the closing spread is extreme relative to its
// own history (z_spread) or wide in absolute terms (spread_bps).
#include "spread_blowout_core.h"

#include <strategy_host/core_detector.hpp>

namespace {

struct SpreadBlowoutTraits {
  static constexpr const char* kName = "spread_blowout";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Fires when z_spread reaches a threshold or spread_bps reaches an absolute cap";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "spread_blowout",
  "type": "object",
  "properties": {
    "z_threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0,
                    "description": "fire when z_spread >= z_threshold"},
    "max_spread_bps": {"type": "number", "exclusiveMinimum": 0, "default": 50.0,
                       "description": "or when spread_bps >= max_spread_bps"},
    "require_dq_ok": {"type": "boolean", "default": false,
                      "description": "skip rows whose dq is not OK (the host already gates DQ)"}
  },
  "additionalProperties": false
})json";

  using Config = spread_blowout::Params;
  static Config parse(const sh::config::Reader& r) {
    Config p;
    p.z_threshold = r.number("z_threshold");
    p.max_spread_bps = r.number("max_spread_bps");
    p.require_dq_ok = r.boolean("require_dq_ok");
    return p;
  }
  static uint32_t detect(const sh::FeatureRows& rows, const Config& p, sh_detector_hit* out) {
    return spread_blowout::detect_batch(rows, p, out);
  }
};

using SpreadBlowout = sh::CoreDetector<SpreadBlowoutTraits>;

}  // namespace

SH_EXPORT_PLUGIN(SpreadBlowout)
