// A well-behaved detector for the host tests: emits one hit per row whose
// z_ret >= threshold, counts rows, and accepts live config changes.
#include <strategy_host/plugin.hpp>

class GoodDetector : public sh::Detector {
 public:
  static constexpr const char* kName = "good_detector";
  static constexpr const char* kVersion = "1.2.3";
  static constexpr const char* kDescription = "test detector: z_ret over a threshold";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "threshold": {"type": "number", "minimum": 0},
      "label": {"type": "string", "enum": ["spike", "jump"]},
      "symbols": {"type": "array", "items": {"type": "string"}}
    },
    "required": ["threshold"],
    "additionalProperties": false
  })";
  static constexpr bool kLiveConfig = true;

  GoodDetector(const sh::Host& host, const sh::Json& config)
      : sh::Detector(host), rows_(host.counter("rows")) {
    apply(config);
    host.info("threshold " + std::to_string(threshold_));
  }

  void set_config(const sh::Json& config) override { apply(config); }

  void detect(const sh::FeatureRows& rows, const sh_market_context&,
              const sh::HitSink& out) override {
    for (const auto& r : rows) {
      host().add(rows_);
      if (r.z_ret >= threshold_)
        out.emit(r.symbol, r.minute_ts_ns, 100, "spike", r.z_ret, threshold_);
    }
  }

 private:
  void apply(const sh::Json& config) {
    const double t = config.at("threshold").get<double>();
    if (t > 1000) throw sh::ConfigError("threshold too high");
    threshold_ = t;
  }

  uint32_t rows_;
  double threshold_ = 0;
};

SH_EXPORT_PLUGIN(GoodDetector)
