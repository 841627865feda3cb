// confidence_gate: a risk policy that refuses intents whose consensus
// confidence is below a minimum (runbook: 412 "low confidence").
//
// An intent that increases |exposure| with confidence < min_confidence, or
// with a null / out-of-range confidence, is DENIED with
// SH_REASON_LOW_CONFIDENCE and a detail giving both numbers
// ("BTC confidence 0.55 < 0.60"). Intents that only reduce a position pass,
// unless gate_reductions is true: getting smaller never needs conviction.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  double min_confidence{};
  bool gate_reductions{};
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.min_confidence = r.number("min_confidence");
  c.gate_reductions = r.boolean("gate_reductions");
  return c;
}

class ConfidenceGate final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "confidence_gate";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Denies intents whose confidence is below min_confidence (LOW_CONFIDENCE)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "confidence_gate",
  "type": "object",
  "properties": {
    "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.6,
                       "description": "intents with confidence below this are denied"},
    "gate_reductions": {"type": "boolean", "default": false,
                        "description": "also gate intents that only reduce a position"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  ConfidenceGate(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)), denied_(host.counter("denied")) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& portfolio,
                const sh::VerdictsOut& out) override {
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(portfolio);  // one lookup table per batch
    int64_t denied = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const sh_order_intent& in = intents[i];
      if (!c_.gate_reductions && !sh::increases_exposure(in, positions)) continue;
      const double conf = in.confidence;
      const bool valid = conf >= 0.0 && conf <= 1.0;  // false for NaN
      if (valid && conf >= c_.min_confidence) continue;
      char detail[sh::kDetailCapacity];
      if (valid)
        std::snprintf(detail, sizeof detail, "%s confidence %.2f < %.2f",
                      host().symbol_name(in.symbol), conf, c_.min_confidence);
      else
        std::snprintf(detail, sizeof detail, "%s confidence invalid (%g)",
                      host().symbol_name(in.symbol), conf);
      sh::set_verdict(out[i], SH_RISK_DENY, SH_REASON_LOW_CONFIDENCE, 0.0, detail);
      ++denied;
    }
    if (denied) host().add(denied_, denied);
  }

 private:
  Config c_;
  uint32_t denied_;
};

}  // namespace

SH_EXPORT_PLUGIN(ConfidenceGate)
