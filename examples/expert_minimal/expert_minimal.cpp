// example_expert: leans long when the 20-bar momentum is positive, short when
// negative. Experts write one evidence record per row; the host pre-fills each
// record as "abstain", so leaving it untouched means "no opinion".
#include <strategy_host/plugin.hpp>

#include <cmath>

class ExampleExpert final : public sh::Expert {
 public:
  static constexpr const char* kName = "example_expert";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Minimal expert: sign of mom_20";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {"lean": {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0.1}},
  "additionalProperties": false
})json";

  // The Reader checks cfg against kConfigSchema (a bad lean is refused with
  // "lean must be within 0..0.5, got 0.7") and gives the schema's default.
  ExampleExpert(const sh::Host& host, const sh::Json& cfg)
      : sh::Expert(host), lean_(sh::config::Reader(cfg, kConfigSchema).number("lean")) {}

  void evaluate(const sh::FeatureRows& rows, const sh_market_context& /*context*/,
                const sh::EvidenceOut& out) override {
    for (uint32_t i = 0; i < rows.size(); ++i) {  // out[i] belongs to rows[i]
      const double mom = SH_ROW_FIELD(rows[i], mom_20);
      if (sh::is_null(mom) || mom == 0) continue;  // abstain
      sh_evidence& e = out[i];
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = mom > 0 ? 0.5 + lean_ : 0.5 - lean_;  // probabilities, 0..1
      e.prob_short = 1.0 - e.prob_long;
      e.confidence = std::fabs(e.prob_long - e.prob_short);
    }
  }

 private:
  double lean_;  // how far from 0.5 the expert moves prob_long
};

SH_EXPORT_PLUGIN(ExampleExpert)
