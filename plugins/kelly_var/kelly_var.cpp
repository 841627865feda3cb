// kelly_var: a risk policy that sizes positions by a fraction of the Kelly
// bet and shrinks or stops new risk as the portfolio's VaR rises (runbook:
// "VaR < 2.0%", "reduce Kelly fraction", circuit breaker at 2.5%).
//
// Kelly: for an intent in direction d, p = prob_long (buy) or prob_short
// (sell), b = payoff_ratio (win / loss), full Kelly f* = p - (1 - p) / b. The
// position target is
//     target_usd = k * f* * equity_usd,   k = kelly_fraction (fractional Kelly),
// and an intent that increases |exposure| is scaled so that the position in
// its direction does not pass target_usd (fit = (target - d * position) /
// intent). f* <= 0 (no edge) or no room left is a DENY with
// SH_REASON_LOW_CONFIDENCE; a scale is SH_REASON_CONFIDENCE_SCALE.
//
// VaR, from sh_portfolio_state.var_pct (1-day 95 %, % of equity):
//   var_pct <= var_limit_pct (2.0):          k = kelly_fraction;
//   var_limit_pct < var_pct <= var_emergency_pct (2.5):
//                                            k = kelly_fraction * var_limit / var_pct
//                                            (VaR is ~linear in exposure), and a
//                                            resulting scale or deny carries
//                                            SH_REASON_VAR_LIMIT;
//   var_pct > var_emergency_pct:             emergency reduce: every intent that
//                                            increases |exposure| is DENIED
//                                            (SH_REASON_VAR_LIMIT); only
//                                            reductions pass.
// Intents that only reduce a position always pass. A null var_pct, a
// non-positive or null equity fails closed (DENY SH_REASON_POLICY_ERROR); a
// null probability is a DENY SH_REASON_LOW_CONFIDENCE.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  double kelly_fraction{};     // multiplier on full Kelly
  double payoff_ratio{};       // b: average win / average loss
  double var_limit_pct{};      // VaR (% of equity) above which sizing shrinks
  double var_emergency_pct{};  // VaR above which new exposure is denied, >= var_limit_pct
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.kelly_fraction = r.number("kelly_fraction");
  c.payoff_ratio = r.number("payoff_ratio");
  c.var_limit_pct = r.number("var_limit_pct");
  c.var_emergency_pct = r.number("var_emergency_pct");
  if (c.var_emergency_pct < c.var_limit_pct)
    throw sh::ConfigError("var_emergency_pct must be >= var_limit_pct");
  return c;
}

class KellyVar final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "kelly_var";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Fractional-Kelly position sizing against equity, shrunk above the VaR limit and denied "
      "above the emergency level (VAR_LIMIT)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "kelly_var",
  "type": "object",
  "properties": {
    "kelly_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.25,
                       "description": "multiplier on the full Kelly fraction p - (1-p)/b"},
    "payoff_ratio": {"type": "number", "exclusiveMinimum": 0, "default": 1.0,
                     "description": "b: average win / average loss"},
    "var_limit_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 2.0,
                      "description": "portfolio VaR (% of equity) above which sizing shrinks by var_limit/var"},
    "var_emergency_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 2.5,
                          "description": "VaR above which new exposure is denied (emergency reduce); >= var_limit_pct"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  KellyVar(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    const double var = pf.var_pct;
    const double equity = pf.equity_usd;
    const bool emergency = std::isfinite(var) && var > c_.var_emergency_pct;
    if (emergency != emergency_) {
      if (emergency)
        host().warn("emergency level: VaR " + fmt(var) + "% > " + fmt(c_.var_emergency_pct) +
                    "%, new exposure denied (reductions pass)");
      else
        host().info("emergency level left: VaR " + fmt(var) + "%");
      emergency_ = emergency;
    }
    const bool var_breach = std::isfinite(var) && var > c_.var_limit_pct;
    const double k = var_breach ? c_.kelly_fraction * c_.var_limit_pct / var : c_.kelly_fraction;

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
      if (sided && !sh::is_null(usd) && std::fabs(pos + dir * usd) <= std::fabs(pos))
        continue;  // only reduces: always allowed
      if (sh::is_null(usd) || !sided) {
        std::snprintf(detail, sizeof detail, "%s intent has no valid side/notional", name);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_POLICY_ERROR, 0.0, detail);
        continue;
      }
      if (!std::isfinite(var) || !std::isfinite(equity) || equity <= 0.0) {
        std::snprintf(detail, sizeof detail, "portfolio var_pct %g / equity %g unusable", var,
                      equity);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_POLICY_ERROR, 0.0, detail);
        continue;
      }
      if (emergency) {
        std::snprintf(detail, sizeof detail, "VaR %.2f%% > emergency %.2f%%: reduce only", var,
                      c_.var_emergency_pct);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_VAR_LIMIT, 0.0, detail);
        continue;
      }
      const double p = in.side == SH_SIDE_BUY ? in.prob_long : in.prob_short;
      if (!(p >= 0.0 && p <= 1.0)) {
        std::snprintf(detail, sizeof detail, "%s probability invalid (%g)", name, p);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_LOW_CONFIDENCE, 0.0, detail);
        continue;
      }
      const double f_star = p - (1.0 - p) / c_.payoff_ratio;
      if (!(f_star > 0.0)) {
        std::snprintf(detail, sizeof detail, "%s Kelly %.3f <= 0 (p %.2f, b %.2f): no edge", name,
                      f_star, p, c_.payoff_ratio);
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_LOW_CONFIDENCE, 0.0, detail);
        continue;
      }
      const double target = k * std::fmin(f_star, 1.0) * equity;
      const double fit = (target - dir * pos) / usd;
      if (fit >= 1.0) continue;
      const sh_risk_reason reason = var_breach ? SH_REASON_VAR_LIMIT : SH_REASON_CONFIDENCE_SCALE;
      if (var_breach)
        std::snprintf(detail, sizeof detail, "%s VaR %.2f%% > %.2f%%: Kelly target %.0f USD", name,
                      var, c_.var_limit_pct, target);
      else
        std::snprintf(detail, sizeof detail, "%s Kelly target %.0f USD (f* %.3f x %.2f)", name,
                      target, f_star, k);
      if (fit > 1e-9) sh::set_verdict(v, SH_RISK_SCALE, reason, fit, detail);
      else sh::set_verdict(v, SH_RISK_DENY, var_breach ? SH_REASON_VAR_LIMIT : SH_REASON_LOW_CONFIDENCE, 0.0, detail);
    }
  }

 private:
  static std::string fmt(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", x);
    return b;
  }

  Config c_;
  bool emergency_ = false;  // last observed, for transition logs
};

}  // namespace

SH_EXPORT_PLUGIN(KellyVar)
