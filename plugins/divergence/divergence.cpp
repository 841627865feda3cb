// divergence: an expert that looks for a price move the rest of the tape does
// not confirm, in one of two modes.
//
// mode "volume" (default): the price move m (mom_20, or log_ret with
// price_field) against this minute's z_volume. A move of at least
// min_price_move on volume at or below -volume_z_min is unconfirmed: a rally
// on thin volume is bearish, a sell-off on thin volume is bullish. Confidence
//   c = min(1, |m| / price_full) * min(1, -z_volume / volume_z_full).
// A move the volume confirms (z_volume > -volume_z_min) abstains.
//
// mode "rs": the symbol's own return log_ret against its return relative to
// the benchmark rs_benchmark (= log_ret - benchmark log_ret). When they have
// opposite signs and |rs_benchmark| >= min_abs_rs the symbol diverges from the
// market: up while lagging it is bearish, down while beating it is bullish,
// i.e. the lean follows the sign of rs_benchmark. Confidence
//   c = min(1, |rs_benchmark| / rs_full).
//
// In both modes prob = 0.5 +- c / 2 and confidence = |prob_long - prob_short|.
// A null input abstains.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

namespace {

enum class Mode { kVolume, kRs };
enum class PriceField { kMom20, kLogRet };

// Defaults and ranges: kConfigSchema.
struct Params {
  Mode mode{};
  PriceField price_field{};
  double min_price_move{};  // |m| below this: no divergence
  double price_full{};      // |m| giving full price weight
  double volume_z_min{};    // z_volume at or below -this is "thin"
  double volume_z_full{};   // -z_volume giving full volume weight
  double min_abs_rs{};      // |rs_benchmark| below this: no divergence
  double rs_full{};         // |rs_benchmark| giving confidence 1
};

Params parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Params p;
  p.mode = r.choice<Mode>("mode", {{"volume", Mode::kVolume}, {"rs", Mode::kRs}});
  p.price_field = r.choice<PriceField>(
      "price_field", {{"mom_20", PriceField::kMom20}, {"log_ret", PriceField::kLogRet}});
  p.min_price_move = r.number("min_price_move");
  p.price_full = r.number("price_full");
  p.volume_z_min = r.number("volume_z_min");
  p.volume_z_full = r.number("volume_z_full");
  p.min_abs_rs = r.number("min_abs_rs");
  p.rs_full = r.number("rs_full");
  return p;
}

inline bool has_field(const sh_evidence& e, size_t field_end) { return e.struct_size >= field_end; }

class Divergence final : public sh::Expert {
 public:
  static constexpr const char* kName = "divergence";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Price moves the tape does not confirm: against thin volume (mode volume) or against "
      "relative strength to the benchmark (mode rs)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "divergence",
  "type": "object",
  "properties": {
    "mode": {"type": "string", "enum": ["volume", "rs"], "default": "volume",
             "description": "volume: price move against z_volume; rs: log_ret against rs_benchmark"},
    "price_field": {"type": "string", "enum": ["mom_20", "log_ret"], "default": "mom_20",
                    "description": "price move used in mode volume"},
    "min_price_move": {"type": "number", "minimum": 0, "default": 0.005,
                       "description": "mode volume: |move| (fraction) below this abstains"},
    "price_full": {"type": "number", "exclusiveMinimum": 0, "default": 0.02,
                   "description": "mode volume: |move| giving full weight"},
    "volume_z_min": {"type": "number", "minimum": 0, "default": 1.0,
                     "description": "mode volume: z_volume at or below -this counts as thin"},
    "volume_z_full": {"type": "number", "exclusiveMinimum": 0, "default": 3.0,
                      "description": "mode volume: -z_volume giving full weight"},
    "min_abs_rs": {"type": "number", "minimum": 0, "default": 0.001,
                   "description": "mode rs: |rs_benchmark| below this abstains"},
    "rs_full": {"type": "number", "exclusiveMinimum": 0, "default": 0.005,
                "description": "mode rs: |rs_benchmark| giving confidence 1"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  Divergence(const sh::Host& host, const sh::Json& config)
      : sh::Expert(host), p_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { p_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::FeatureRows& rows, const sh_market_context&,
                const sh::EvidenceOut& out) override {
    const uint32_t n = rows.size() < out.size() ? rows.size() : out.size();
    for (uint32_t i = 0; i < n; ++i) {
      const sh_feature_row& row = rows[i];
      double dir = 0.0, c = 0.0;
      if (!score(row, &dir, &c)) continue;
      sh_evidence& e = out[i];
      if (!has_field(e, offsetof(sh_evidence, confidence) + sizeof(double))) continue;
      e.symbol = row.symbol;
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = 0.5 + dir * c / 2;
      e.prob_short = 1.0 - e.prob_long;
      e.confidence = std::fabs(e.prob_long - e.prob_short);
    }
  }

 private:
  // False to abstain; otherwise the lean's sign and confidence in [0, 1].
  bool score(const sh_feature_row& row, double* dir, double* c) const {
    if (p_.mode == Mode::kVolume) {
      const double m = p_.price_field == PriceField::kMom20 ? SH_ROW_FIELD(row, mom_20)
                                                            : SH_ROW_FIELD(row, log_ret);
      const double zv = SH_ROW_FIELD(row, z_volume);
      if (!std::isfinite(m) || !std::isfinite(zv)) return false;
      if (std::fabs(m) < p_.min_price_move || m == 0.0 || zv > -p_.volume_z_min) return false;
      *dir = m > 0 ? -1.0 : 1.0;
      *c = std::fmin(1.0, std::fabs(m) / p_.price_full) * std::fmin(1.0, -zv / p_.volume_z_full);
      return true;
    }
    const double r = SH_ROW_FIELD(row, log_ret);
    const double rs = SH_ROW_FIELD(row, rs_benchmark);
    if (!std::isfinite(r) || !std::isfinite(rs)) return false;
    if (std::fabs(rs) < p_.min_abs_rs || rs == 0.0 || r == 0.0 || (r > 0) == (rs > 0)) return false;
    *dir = rs > 0 ? 1.0 : -1.0;
    *c = std::fmin(1.0, std::fabs(rs) / p_.rs_full);
    return true;
  }

  Params p_;
};

}  // namespace

SH_EXPORT_PLUGIN(Divergence)
