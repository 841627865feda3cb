// A detector that misbehaves on a chosen call (hostile_behaviour.h); until
// then it hits every row whose |z_ret| exceeds z_threshold, with the
// symbol's name (through the host services) in its log.
#include "hostile_behaviour.h"

#include <cmath>

class HostileDetector final : public sh::Detector {
 public:
  static constexpr const char* kName = "hostile_detector";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "test detector: segfaults, exits or hangs on a chosen call";
  static constexpr const char* kConfigSchema =
      R"({
    "type": "object",
    "properties": {
      "z_threshold": {"type": "number", "default": 3.0},)" HOSTILE_SCHEMA_PROPERTIES R"(},
    "additionalProperties": false})";

  HostileDetector(const sh::Host& host, const sh::Json& config)
      : sh::Detector(host), behaviour_(config), threshold_(config.value("z_threshold", 3.0)) {
    calls_counter_ = host.counter("calls");
    host.info("hostile_detector created");
  }

  void detect(const sh::FeatureRows& rows, const sh_market_context&, const sh::HitSink& out) override {
    behaviour_.on_call();
    host().add(calls_counter_);
    for (const sh_feature_row& r : rows) {
      if (!std::isfinite(r.z_ret) || std::fabs(r.z_ret) < threshold_) continue;
      out.emit(r.symbol, r.minute_ts_ns, std::min(100.0, std::fabs(r.z_ret) * 10), "hostile_spike",
               r.z_ret, threshold_);
    }
  }

 private:
  hostile::Behaviour behaviour_;
  double threshold_;
  uint32_t calls_counter_ = 0;
};

SH_EXPORT_PLUGIN(HostileDetector)
