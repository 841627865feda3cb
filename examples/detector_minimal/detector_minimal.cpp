// example_detector: fires when a minute's |z_ret| reaches a threshold.
// Detectors see all symbols' rows of one minute close in one call.
#include <strategy_host/plugin.hpp>

#include <cmath>

class ExampleDetector final : public sh::Detector {
 public:
  static constexpr const char* kName = "example_detector";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Minimal detector: |z_ret| >= threshold";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {"threshold": {"type": "number", "exclusiveMinimum": 0, "default": 4.0}},
  "additionalProperties": false
})json";
  // Opt in to live parameter changes (set_config) without a new instance.
  static constexpr bool kLiveConfig = true;

  ExampleDetector(const sh::Host& host, const sh::Json& cfg) : sh::Detector(host) {
    set_config(cfg);
  }

  // All-or-nothing: validate everything first, assign last. The Reader
  // checks the config against kConfigSchema (types, ranges, unknown keys;
  // "threshold must be > 0, got -1") and fills the schema's defaults: the
  // schema is the one place they are written.
  void set_config(const sh::Json& cfg) override {
    const sh::config::Reader r(cfg, kConfigSchema);
    threshold_ = r.number("threshold");
  }

  void detect(const sh::FeatureRows& rows, const sh_market_context& /*context*/,
              const sh::HitSink& out) override {
    for (const sh_feature_row& row : rows) {  // iterates by the host's row stride
      // SH_ROW_FIELD reads null (NaN) if an older host's row lacks the field.
      const double z = SH_ROW_FIELD(row, z_ret);
      if (sh::is_null(z) || std::fabs(z) < threshold_) continue;  // NaN = not warm yet
      const double score = std::fmin(100.0, 50.0 * std::fabs(z) / threshold_);  // 0..100
      out.emit(row.symbol, row.minute_ts_ns, score, "example_z_ret", z, threshold_);
    }
  }

 private:
  double threshold_ = 0;  // standard deviations
};

SH_EXPORT_PLUGIN(ExampleDetector)
