// example_risk: denies order intents whose consensus confidence is too low.
// Risk policies get every intent of a decision cycle plus the portfolio, and
// write one verdict per intent; verdicts arrive pre-filled with ALLOW.
#include <strategy_host/plugin.hpp>

#include <cstdio>

class ExampleRisk final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "example_risk";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Minimal risk policy: deny below a confidence";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.55}
  },
  "additionalProperties": false
})json";

  ExampleRisk(const sh::Host& host, const sh::Json& cfg)
      : sh::RiskPolicy(host), min_confidence_(cfg.value("min_confidence", 0.55)) {}

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& /*portfolio*/,
                const sh::VerdictsOut& out) override {
    for (uint32_t i = 0; i < intents.size(); ++i) {  // out[i] belongs to intents[i]
      const sh_order_intent& in = intents[i];
      if (in.confidence >= min_confidence_) continue;  // leave ALLOW
      char detail[64];  // shown to operators; set_verdict truncates to fit
      std::snprintf(detail, sizeof detail, "%s confidence %.2f < %.2f",
                    host().symbol_name(in.symbol), in.confidence, min_confidence_);
      sh::set_verdict(out[i], SH_RISK_DENY, SH_REASON_LOW_CONFIDENCE, 0.0, detail);
    }
  }

 private:
  double min_confidence_;  // 0..1
};

SH_EXPORT_PLUGIN(ExampleRisk)
