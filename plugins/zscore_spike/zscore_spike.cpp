// zscore_spike: a generic detector that fires when a chosen z-score of a
// minute's feature row reaches a threshold in absolute value.
#include "zscore_spike_core.h"

#include <strategy_host/core_detector.hpp>

#include <string>

namespace {

struct ZScoreSpikeTraits {
  static constexpr const char* kName = "zscore_spike";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Fires when |z| of a chosen feature (z_ret, z_volume or z_spread) reaches a threshold";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "zscore_spike",
  "type": "object",
  "properties": {
    "field": {"type": "string", "enum": ["z_ret", "z_volume", "z_spread"], "default": "z_ret",
              "description": "feature row z-score to watch"},
    "threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0,
                  "description": "fire when |value| >= threshold (standard deviations)"},
    "class": {"type": "string", "minLength": 1, "default": "zscore_spike",
              "description": "hit class reported with each hit"},
    "require_dq_ok": {"type": "boolean", "default": false,
                      "description": "skip rows whose dq is not OK (the host already gates DQ)"}
  },
  "additionalProperties": false
})json";

  // The parsed config (defaults: the schema's); the hit class is owned here
  // and lent to the core.
  struct Config {
    zscore_spike::Field field{};
    double threshold{};
    std::string hit_class;
    bool require_dq_ok{};
  };
  static Config parse(const sh::config::Reader& r) {
    using zscore_spike::Field;
    Config c;
    c.field = r.choice<Field>(
        "field", {{"z_ret", Field::kZRet}, {"z_volume", Field::kZVolume}, {"z_spread", Field::kZSpread}});
    c.threshold = r.number("threshold");
    c.hit_class = r.string("class");
    c.require_dq_ok = r.boolean("require_dq_ok");
    return c;
  }
  static uint32_t detect(const sh::FeatureRows& rows, const Config& c, sh_detector_hit* out) {
    zscore_spike::Params p;
    p.value_offset = zscore_spike::field_offset(c.field);
    p.threshold = c.threshold;
    p.hit_class = c.hit_class.c_str();
    p.require_dq_ok = c.require_dq_ok;
    return zscore_spike::detect_batch(rows, p, out);
  }
};

using ZScoreSpike = sh::CoreDetector<ZScoreSpikeTraits>;

}  // namespace

SH_EXPORT_PLUGIN(ZScoreSpike)
