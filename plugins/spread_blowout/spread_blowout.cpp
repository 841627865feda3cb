// spread_blowout: fires when the closing spread is extreme relative to its
// own history (z_spread) or wide in absolute terms (spread_bps).
#include "spread_blowout_core.h"

#include <strategy_host/plugin.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

double positive_number(const sh::Json& v, const char* key) {
  if (!v.is_number()) throw sh::ConfigError(std::string(key) + " must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || !(x > 0.0)) throw sh::ConfigError(std::string(key) + " must be > 0");
  return x;
}

// Builds a whole Params or throws; absent keys take their defaults.
spread_blowout::Params parse_config(const sh::Json& j) {
  if (!j.is_object()) throw sh::ConfigError("config must be a JSON object");
  spread_blowout::Params p;
  for (const auto& kv : j.items()) {
    const std::string& k = kv.key();
    if (k == "z_threshold") {
      p.z_threshold = positive_number(kv.value(), "z_threshold");
    } else if (k == "max_spread_bps") {
      p.max_spread_bps = positive_number(kv.value(), "max_spread_bps");
    } else if (k == "require_dq_ok") {
      if (!kv.value().is_boolean()) throw sh::ConfigError("require_dq_ok must be a boolean");
      p.require_dq_ok = kv.value().get<bool>();
    } else {
      throw sh::ConfigError("unknown config key '" + k + "'");
    }
  }
  return p;
}

class SpreadBlowout final : public sh::Detector {
 public:
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
  static constexpr bool kLiveConfig = true;

  SpreadBlowout(const sh::Host& host, const sh::Json& config)
      : sh::Detector(host), params_(parse_config(config)) {}

  void set_config(const sh::Json& config) override { params_ = parse_config(config); }

  void detect(const sh::FeatureRows& rows, const sh_market_context&,
              const sh::HitSink& out) override {
    if (rows.empty()) return;
    if (hits_.size() < rows.size()) hits_.resize(rows.size());
    const uint32_t n = spread_blowout::detect_batch(rows, params_, hits_.data());
    if (n == 0) return;
    if (out.emit(hits_.data(), n) != SH_OK)
      throw std::runtime_error("host refused " + std::to_string(n) + " hits");
  }

 private:
  spread_blowout::Params params_;
  std::vector<sh_detector_hit> hits_;  // reused output buffer, one slot per row
};

}  // namespace

SH_EXPORT_PLUGIN(SpreadBlowout)
