// momentum: an expert that leans with the 20-bar momentum. The lean is a
// logistic of mom_20 / scale (plus a little of z_ret when present), damped
// toward neutral when RSI says the move is already stretched.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Params {
  double scale{};           // mom_20 (a fraction) that maps to a logit of 1
  double min_abs_mom{};     // abstain when |mom_20| is below this
  double z_weight{};        // logit added per unit of z_ret when z_ret is not null
  double rsi_overbought{};  // RSI at or above this damps a long lean
  double rsi_oversold{};    // RSI at or below this damps a short lean
  double rsi_damping{};     // factor applied to the lean (p - 0.5) when damped
};

Params parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Params p;
  p.scale = r.number("scale");
  p.min_abs_mom = r.number("min_abs_mom");
  p.z_weight = r.number("z_weight");
  p.rsi_overbought = r.number("rsi_overbought");
  p.rsi_oversold = r.number("rsi_oversold");
  p.rsi_damping = r.number("rsi_damping");
  return p;
}

// True when the host's evidence record is long enough to hold `field_end` bytes.
inline bool has_field(const sh_evidence& e, size_t field_end) { return e.struct_size >= field_end; }

class Momentum final : public sh::Expert {
 public:
  static constexpr const char* kName = "momentum";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Leans with mom_20 through a logistic, damped by RSI extremes; abstains on null inputs";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "momentum",
  "type": "object",
  "properties": {
    "scale": {"type": "number", "exclusiveMinimum": 0, "default": 0.01,
              "description": "mom_20 (fraction) mapped to a logit of 1"},
    "min_abs_mom": {"type": "number", "minimum": 0, "default": 0.0,
                    "description": "abstain when |mom_20| is below this"},
    "z_weight": {"type": "number", "minimum": 0, "default": 0.25,
                 "description": "logit added per unit of z_ret when z_ret is present"},
    "rsi_overbought": {"type": "number", "minimum": 50, "maximum": 100, "default": 70,
                       "description": "RSI at or above this damps a long lean"},
    "rsi_oversold": {"type": "number", "minimum": 0, "maximum": 50, "default": 30,
                     "description": "RSI at or below this damps a short lean"},
    "rsi_damping": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5,
                    "description": "multiplier on (prob_long - 0.5) when damped"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  Momentum(const sh::Host& host, const sh::Json& config)
      : sh::Expert(host), p_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { p_ = parse_config(config, kConfigSchema); }

  // prob_long = p, prob_short = 1 - p, confidence = |2p - 1|, where p is the
  // (possibly damped) logistic. Rows with a null mom_20 or rsi_14, or a
  // momentum below min_abs_mom, are left untouched (abstain).
  void evaluate(const sh::FeatureRows& rows, const sh_market_context&,
                const sh::EvidenceOut& out) override {
    const uint32_t n = rows.size() < out.size() ? rows.size() : out.size();
    for (uint32_t i = 0; i < n; ++i) {
      const sh_feature_row& row = rows[i];
      const double mom = SH_ROW_FIELD(row, mom_20);
      const double rsi = SH_ROW_FIELD(row, rsi_14);
      if (sh::is_null(mom) || sh::is_null(rsi) || std::fabs(mom) < p_.min_abs_mom) continue;
      double logit = mom / p_.scale;
      const double z = SH_ROW_FIELD(row, z_ret);
      if (!sh::is_null(z)) logit += p_.z_weight * z;
      double p = 1.0 / (1.0 + std::exp(-logit));
      if ((p > 0.5 && rsi >= p_.rsi_overbought) || (p < 0.5 && rsi <= p_.rsi_oversold))
        p = 0.5 + (p - 0.5) * p_.rsi_damping;

      sh_evidence& e = out[i];
      if (!has_field(e, offsetof(sh_evidence, confidence) + sizeof(double))) continue;
      e.symbol = row.symbol;
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = p;
      e.prob_short = 1.0 - p;
      e.confidence = std::fabs(e.prob_long - e.prob_short);
    }
  }

 private:
  Params p_;
};

}  // namespace

SH_EXPORT_PLUGIN(Momentum)
