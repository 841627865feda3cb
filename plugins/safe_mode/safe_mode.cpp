// safe_mode: a risk policy that cuts exposure after repeated decision errors
// (runbook: "> 5 consecutive loop errors -> Safe Mode, exposure x 0.1, reset
// automatically when valid signals resume without errors").
//
// Enters when sh_portfolio_state.consecutive_errors > max_consecutive_errors
// (5). While active every intent that increases |exposure| is SCALED by
// exposure_scale (0.1) with SH_REASON_SAFE_MODE; reductions pass unscaled.
// Exits automatically after clean_cycles (3) consecutive decision cycles with
// consecutive_errors == 0; the cycle that completes the streak is already
// unscaled. Any error in between restarts the count. A decision cycle is one
// evaluate call; a call with the same non-zero portfolio ts_ns as the
// previous one is the same cycle and is not counted twice. Entering and
// leaving are logged. The state survives set_config.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  int64_t max_consecutive_errors{};  // safe mode when errors exceed it
  double exposure_scale{};
  int64_t clean_cycles{};
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.max_consecutive_errors = r.integer("max_consecutive_errors");
  c.exposure_scale = r.number("exposure_scale");
  c.clean_cycles = r.integer("clean_cycles");
  return c;
}

class SafeMode final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "safe_mode";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Scales new exposure by 0.1 after more than 5 consecutive decision errors; leaves after "
      "clean cycles (SAFE_MODE)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "safe_mode",
  "type": "object",
  "properties": {
    "max_consecutive_errors": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 5,
                               "description": "safe mode starts when consecutive_errors exceeds this"},
    "exposure_scale": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.1,
                       "description": "scale on intents adding exposure while in safe mode"},
    "clean_cycles": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 3,
                     "description": "consecutive error-free decision cycles that end safe mode"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;
  static constexpr bool kDurableState = true;

  // Durable: safe mode and its clean-cycle count survive a restart.
  std::string save_state() const override {
    return sh::Json{{"active", active_}, {"clean", clean_}, {"seen", seen_}, {"last_ts_ns", last_ts_ns_}}
        .dump();
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    active_ = j.at("active").get<bool>();
    clean_ = j.at("clean").get<int64_t>();
    seen_ = j.at("seen").get<bool>();
    last_ts_ns_ = j.at("last_ts_ns").get<int64_t>();
    if (active_) host().warn("safe mode restored from the store");
  }


  SafeMode(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    const bool new_cycle = !seen_ || pf.ts_ns == 0 || pf.ts_ns != last_ts_ns_;
    seen_ = true;
    last_ts_ns_ = pf.ts_ns;
    const int64_t errors = pf.consecutive_errors;
    char detail[sh::kDetailCapacity];
    if (errors > c_.max_consecutive_errors) {
      if (!active_) {
        std::snprintf(detail, sizeof detail, "safe mode entered: %lld consecutive errors > %lld",
                      static_cast<long long>(errors), static_cast<long long>(c_.max_consecutive_errors));
        host().warn(detail);
        active_ = true;
      }
      clean_ = 0;
    } else if (active_) {
      if (errors != 0) clean_ = 0;
      else if (new_cycle) ++clean_;
      if (clean_ >= c_.clean_cycles) {
        active_ = false;
        clean_ = 0;
        std::snprintf(detail, sizeof detail, "safe mode left after %lld clean cycles",
                      static_cast<long long>(c_.clean_cycles));
        host().info(detail);
      }
    }
    if (!active_ || !(c_.exposure_scale < 1.0)) return;

    if (errors > c_.max_consecutive_errors)
      std::snprintf(detail, sizeof detail, "safe mode: %lld consecutive errors > %lld, exposure x%.2f",
                    static_cast<long long>(errors), static_cast<long long>(c_.max_consecutive_errors),
                    c_.exposure_scale);
    else
      std::snprintf(detail, sizeof detail, "safe mode: %lld/%lld clean cycles, exposure x%.2f",
                    static_cast<long long>(clean_), static_cast<long long>(c_.clean_cycles),
                    c_.exposure_scale);
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(pf);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i)
      if (sh::increases_exposure(intents[i], positions))
        sh::set_verdict(out[i], SH_RISK_SCALE, SH_REASON_SAFE_MODE, c_.exposure_scale, detail);
  }

 private:
  Config c_;
  bool active_ = false;
  int64_t clean_ = 0;  // consecutive error-free cycles while active
  bool seen_ = false;
  int64_t last_ts_ns_ = 0;
};

}  // namespace

SH_EXPORT_PLUGIN(SafeMode)
