// A risk policy that misbehaves on a chosen call (hostile_behaviour.h);
// until then it allows every intent with a detail longer than the fixed
// field (detail_ext) naming the symbol (host symbol_name).
#include "hostile_behaviour.h"

class HostileRisk final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "hostile_risk";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "test risk policy: segfaults, exits or hangs on a chosen call";
  static constexpr const char* kConfigSchema =
      R"({
    "type": "object",
    "properties": {)" HOSTILE_SCHEMA_PROPERTIES R"(},
    "additionalProperties": false})";

  HostileRisk(const sh::Host& host, const sh::Json& config) : sh::RiskPolicy(host), behaviour_(config) {
    calls_counter_ = host.counter("calls");
  }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state&,
                const sh::VerdictsOut& out) override {
    behaviour_.on_call();
    host().add(calls_counter_);
    for (uint32_t i = 0; i < intents.size(); ++i) {
      const std::string detail = "hostile_risk allows " + std::string(host().symbol_name(intents[i].symbol)) +
                                 " on call " + std::to_string(behaviour_.calls()) + ": " +
                                 std::string(120, '.') + " end";
      sh::set_verdict(out[i], SH_RISK_ALLOW, SH_REASON_NONE, 1.0, detail);
    }
  }

 private:
  hostile::Behaviour behaviour_;
  uint32_t calls_counter_ = 0;
};

SH_EXPORT_PLUGIN(HostileRisk)
