// zscore_spike: a generic detector that fires when a chosen z-score of a
// minute's feature row reaches a threshold in absolute value.
#include "zscore_spike_core.h"

#include <strategy_host/plugin.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

// The parsed config; built whole, then swapped in (all-or-nothing).
struct Config {
  zscore_spike::Field field = zscore_spike::Field::kZRet;
  double threshold = 4.0;
  std::string hit_class = "zscore_spike";
  bool require_dq_ok = false;
};

Config parse_config(const sh::Json& j) {
  if (!j.is_object()) throw sh::ConfigError("config must be a JSON object");
  Config c;
  for (const auto& kv : j.items()) {
    const std::string& k = kv.key();
    const sh::Json& v = kv.value();
    if (k == "field") {
      if (!v.is_string()) throw sh::ConfigError("field must be a string");
      const std::string f = v.get<std::string>();
      if (f == "z_ret") c.field = zscore_spike::Field::kZRet;
      else if (f == "z_volume") c.field = zscore_spike::Field::kZVolume;
      else if (f == "z_spread") c.field = zscore_spike::Field::kZSpread;
      else throw sh::ConfigError("field must be one of z_ret, z_volume, z_spread; got '" + f + "'");
    } else if (k == "threshold") {
      if (!v.is_number()) throw sh::ConfigError("threshold must be a number");
      c.threshold = v.get<double>();
      if (!(c.threshold > 0.0) || !std::isfinite(c.threshold))
        throw sh::ConfigError("threshold must be > 0");
    } else if (k == "class") {
      if (!v.is_string() || v.get<std::string>().empty())
        throw sh::ConfigError("class must be a non-empty string");
      c.hit_class = v.get<std::string>();
    } else if (k == "require_dq_ok") {
      if (!v.is_boolean()) throw sh::ConfigError("require_dq_ok must be a boolean");
      c.require_dq_ok = v.get<bool>();
    } else {
      throw sh::ConfigError("unknown config key '" + k + "'");
    }
  }
  return c;
}

class ZScoreSpike final : public sh::Detector {
 public:
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
  static constexpr bool kLiveConfig = true;

  ZScoreSpike(const sh::Host& host, const sh::Json& config)
      : sh::Detector(host), config_(parse_config(config)) {}

  void set_config(const sh::Json& config) override { config_ = parse_config(config); }

  void detect(const sh::FeatureRows& rows, const sh_market_context&,
              const sh::HitSink& out) override {
    if (rows.empty()) return;
    if (hits_.size() < rows.size()) hits_.resize(rows.size());
    zscore_spike::Params p;
    p.value_offset = zscore_spike::field_offset(config_.field);
    p.threshold = config_.threshold;
    p.hit_class = config_.hit_class.c_str();
    p.require_dq_ok = config_.require_dq_ok;
    const uint32_t n = zscore_spike::detect_batch(rows, p, hits_.data());
    if (n == 0) return;
    if (out.emit(hits_.data(), n) != SH_OK)
      throw std::runtime_error("host refused " + std::to_string(n) + " hits");
  }

 private:
  Config config_;
  std::vector<sh_detector_hit> hits_;  // reused output buffer, one slot per row
};

}  // namespace

SH_EXPORT_PLUGIN(ZScoreSpike)
