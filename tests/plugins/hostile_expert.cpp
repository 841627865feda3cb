// An expert that misbehaves on a chosen call (hostile_behaviour.h); until
// then it is long every row with probability 0.6 and confidence 0.5.
#include "hostile_behaviour.h"

class HostileExpert final : public sh::Expert {
 public:
  static constexpr const char* kName = "hostile_expert";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "test expert: segfaults, exits or hangs on a chosen call";
  static constexpr const char* kConfigSchema =
      R"({"type": "object", "properties": {)" HOSTILE_SCHEMA_PROPERTIES R"(},
    "additionalProperties": false})";

  HostileExpert(const sh::Host& host, const sh::Json& config) : sh::Expert(host), behaviour_(config) {}

  void evaluate(const sh::FeatureRows& rows, const sh_market_context&, const sh::EvidenceOut& out) override {
    behaviour_.on_call();
    for (uint32_t i = 0; i < rows.size(); ++i) {
      out[i].flags = 0;
      out[i].prob_long = 0.6;
      out[i].prob_short = 0.2;
      out[i].confidence = 0.5;
    }
  }

 private:
  hostile::Behaviour behaviour_;
};

SH_EXPORT_PLUGIN(HostileExpert)
