// return_spike: fires on a minute whose return is both statistically extreme
// (|z_ret|) and economically large (|log_ret| in bps).
#include "return_spike_core.h"

#include <strategy_host/core_detector.hpp>

namespace {

struct ReturnSpikeTraits {
  static constexpr const char* kName = "return_spike";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Fires when |z_ret| and |log_ret| (bps) both reach their thresholds";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "return_spike",
  "type": "object",
  "properties": {
    "z_threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0,
                    "description": "fire when |z_ret| >= z_threshold"},
    "min_abs_ret_bps": {"type": "number", "minimum": 0, "default": 10.0,
                        "description": "and |log_ret| * 1e4 >= min_abs_ret_bps"},
    "require_dq_ok": {"type": "boolean", "default": false,
                      "description": "skip rows whose dq is not OK (the host already gates DQ)"}
  },
  "additionalProperties": false
})json";

  using Config = return_spike::Params;
  static Config parse(const sh::config::Reader& r) {
    Config p;
    p.z_threshold = r.number("z_threshold");
    p.min_abs_ret_bps = r.number("min_abs_ret_bps");
    p.require_dq_ok = r.boolean("require_dq_ok");
    return p;
  }
  static uint32_t detect(const sh::FeatureRows& rows, const Config& p, sh_detector_hit* out) {
    return return_spike::detect_batch(rows, p, out);
  }
};

using ReturnSpike = sh::CoreDetector<ReturnSpikeTraits>;

}  // namespace

SH_EXPORT_PLUGIN(ReturnSpike)
