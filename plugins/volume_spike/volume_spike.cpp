// volume_spike: fires on a minute whose volume is extreme both as a z-score
// and as a rolling quantile rank (the quantile guards against fat tails that
// make a z-score alone fire too often).
#include "volume_spike_core.h"

#include <strategy_host/plugin.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

// Builds a whole Params or throws; absent keys take their defaults.
volume_spike::Params parse_config(const sh::Json& j) {
  if (!j.is_object()) throw sh::ConfigError("config must be a JSON object");
  volume_spike::Params p;
  for (const auto& kv : j.items()) {
    const std::string& k = kv.key();
    const sh::Json& v = kv.value();
    if (k == "z_threshold") {
      if (!v.is_number()) throw sh::ConfigError("z_threshold must be a number");
      p.z_threshold = v.get<double>();
      if (!std::isfinite(p.z_threshold) || !(p.z_threshold > 0.0))
        throw sh::ConfigError("z_threshold must be > 0");
    } else if (k == "min_quantile") {
      if (!v.is_number()) throw sh::ConfigError("min_quantile must be a number");
      p.min_quantile = v.get<double>();
      if (!(p.min_quantile >= 0.0 && p.min_quantile <= 1.0))
        throw sh::ConfigError("min_quantile must be within 0..1");
    } else if (k == "require_dq_ok") {
      if (!v.is_boolean()) throw sh::ConfigError("require_dq_ok must be a boolean");
      p.require_dq_ok = v.get<bool>();
    } else {
      throw sh::ConfigError("unknown config key '" + k + "'");
    }
  }
  return p;
}

class VolumeSpike final : public sh::Detector {
 public:
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
  static constexpr bool kLiveConfig = true;

  VolumeSpike(const sh::Host& host, const sh::Json& config)
      : sh::Detector(host), params_(parse_config(config)) {}

  void set_config(const sh::Json& config) override { params_ = parse_config(config); }

  void detect(const sh::FeatureRows& rows, const sh_market_context&,
              const sh::HitSink& out) override {
    if (rows.empty()) return;
    if (hits_.size() < rows.size()) hits_.resize(rows.size());
    const uint32_t n = volume_spike::detect_batch(rows, params_, hits_.data());
    if (n == 0) return;
    if (out.emit(hits_.data(), n) != SH_OK)
      throw std::runtime_error("host refused " + std::to_string(n) + " hits");
  }

 private:
  volume_spike::Params params_;
  std::vector<sh_detector_hit> hits_;  // reused output buffer, one slot per row
};

}  // namespace

SH_EXPORT_PLUGIN(VolumeSpike)
