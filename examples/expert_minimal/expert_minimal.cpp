// example_expert: leans long when the 20-bar momentum is positive, short when
// negative. Experts write one evidence record per row; the host pre-fills each
// record as "abstain", so leaving it untouched means "no opinion".
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <string>

class ExampleExpert final : public sh::Expert {
 public:
  static constexpr const char* kName = "example_expert";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Minimal expert: sign of mom_20";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {"lean": {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0.1},
                 "column": {"type": "string", "default": "",
                            "description": "a configured feature column (config features:, e.g. macd_hist) to lean on instead of mom_20"}},
  "additionalProperties": false
})json";

  // The Reader checks cfg against kConfigSchema (a bad lean is refused with
  // "lean must be within 0..0.5, got 0.7") and gives the schema's default.
  ExampleExpert(const sh::Host& host, const sh::Json& cfg)
      : sh::Expert(host),
        lean_(sh::config::Reader(cfg, kConfigSchema).number("lean")),
        column_(sh::config::Reader(cfg, kConfigSchema).string("column")) {}

  void evaluate(const sh::FeatureRows& rows, const sh_market_context& /*context*/,
                const sh::EvidenceOut& out) override {
    // A configured column by name (-1 when the host's rows do not carry it:
    // every value reads null, so the expert abstains).
    const int j = column_.empty() ? -1 : rows.column(column_.c_str());
    for (uint32_t i = 0; i < rows.size(); ++i) {  // out[i] belongs to rows[i]
      const double mom = column_.empty() ? SH_ROW_FIELD(rows[i], mom_20) : rows.value(i, j);
      if (sh::is_null(mom) || mom == 0) continue;  // abstain
      sh_evidence& e = out[i];
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = mom > 0 ? 0.5 + lean_ : 0.5 - lean_;  // probabilities, 0..1
      e.prob_short = 1.0 - e.prob_long;
      e.confidence = std::fabs(e.prob_long - e.prob_short);
    }
  }

 private:
  double lean_;         // how far from 0.5 the expert moves prob_long
  std::string column_;  // "" = mom_20
};

SH_EXPORT_PLUGIN(ExampleExpert)
