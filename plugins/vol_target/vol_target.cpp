// vol_target: a risk policy that keeps each position's annualised volatility
// near a target (runbook: TARGET_ANN_VOL), so a volatile symbol gets a
// smaller position than a quiet one.
//
// A position of notional N in a symbol whose annualised vol is s contributes
// N * s / equity of annualised vol to the portfolio; at the target t that is
//     max_notional_usd = equity_usd * target_ann_vol / s.
// An intent that increases |exposure| is scaled so the position in its
// direction stays within max_notional_usd (fit = (max - d * position) /
// intent): SCALE with SH_REASON_VOL_TARGET, or DENY with the same reason when
// no room is left. Intents that only reduce a position pass.
//
// Where s comes from: sh_order_intent carries no volatility, and a risk policy
// sees no feature rows, so s is configuration: ann_vol {SYMBOL: vol} per
// symbol, default_ann_vol otherwise (both annualised fractions, 0.8 = 80 %).
// Operators refresh them with a reload (set_config is live). Non-positive or
// null equity fails closed (DENY SH_REASON_POLICY_ERROR).
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  double target_ann_vol{};                 // per-position target, annualised fraction
  double default_ann_vol{};                // symbol vol when ann_vol has no entry
  std::map<sh_symbol_id, double> ann_vol;  // per interned symbol
};

Config parse_config(const sh::Host& host, const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.target_ann_vol = r.number("target_ann_vol");
  c.default_ann_vol = r.number("default_ann_vol");
  for (const auto& [symbol, vol] : r.number_map("ann_vol")) {
    const sh_symbol_id id = host.intern(symbol);
    if (id == SH_INVALID_SYMBOL)
      throw sh::ConfigError("ann_vol: cannot intern symbol '" + symbol + "'");
    c.ann_vol[id] = vol;
  }
  return c;
}

class VolTarget final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "vol_target";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Caps each position at equity * target_ann_vol / symbol annualised vol (VOL_TARGET)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "vol_target",
  "type": "object",
  "properties": {
    "target_ann_vol": {"type": "number", "exclusiveMinimum": 0, "maximum": 10, "default": 0.10,
                       "description": "TARGET_ANN_VOL: annualised vol each position may add, fraction of equity"},
    "default_ann_vol": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 0.80,
                        "description": "annualised vol of a symbol without an ann_vol entry"},
    "ann_vol": {"type": "object", "default": {},
                "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                "description": "annualised vol per symbol, overriding default_ann_vol"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  VolTarget(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(host, config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(host(), config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(pf);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i) {
      const sh_order_intent& in = intents[i];
      sh_risk_verdict& v = out[i];
      const char* name = host().symbol_name(in.symbol);
      char detail[sh::kDetailCapacity];
      const double usd = sh::intent_notional_usd(in);
      const bool sided = in.side == SH_SIDE_BUY || in.side == SH_SIDE_SELL;
      const double dir = in.side == SH_SIDE_BUY ? 1.0 : -1.0;
      const double pos = positions.notional_usd(in.symbol);
      if (sided && !sh::is_null(usd) && std::fabs(pos + dir * usd) <= std::fabs(pos)) continue;
      if (sh::is_null(usd) || !sided) {
        std::snprintf(detail, sizeof detail, "%s intent has no valid side/notional", name);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_POLICY_ERROR, 0.0, detail);
        continue;
      }
      if (!std::isfinite(pf.equity_usd) || pf.equity_usd <= 0.0) {
        std::snprintf(detail, sizeof detail, "portfolio equity %g unusable", pf.equity_usd);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_POLICY_ERROR, 0.0, detail);
        continue;
      }
      auto it = c_.ann_vol.find(in.symbol);
      const double vol = it == c_.ann_vol.end() ? c_.default_ann_vol : it->second;
      const double max_usd = pf.equity_usd * c_.target_ann_vol / vol;
      const double fit = (max_usd - dir * pos) / usd;
      if (fit >= 1.0) continue;
      std::snprintf(detail, sizeof detail, "%s vol %.0f%%: max %.0f USD for %.1f%% target", name,
                    vol * 100, max_usd, c_.target_ann_vol * 100);
      if (fit > 1e-9) sh::set_verdict(v, SH_RISK_SCALE, SH_REASON_VOL_TARGET, fit, detail);
      else sh::set_verdict(v, SH_RISK_DENY, SH_REASON_VOL_TARGET, 0.0, detail);
    }
  }

 private:
  Config c_;
};

}  // namespace

SH_EXPORT_PLUGIN(VolTarget)
