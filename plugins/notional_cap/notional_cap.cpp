// notional_cap: a risk policy that keeps each symbol's absolute position
// notional (current position plus the intent) within a cap, scaling the
// intent down to fit or denying it.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>

namespace {

enum class Mode { kScale, kDeny };

// Defaults and ranges: kConfigSchema.
struct Config {
  double max_notional_usd{};                  // default cap per symbol
  std::map<sh_symbol_id, double> per_symbol;  // overrides by interned symbol, USD
  Mode mode{};
};

// Builds a whole Config or throws; symbols are interned through the host.
Config parse_config(const sh::Host& host, const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.max_notional_usd = r.number("max_notional_usd");
  for (const auto& [symbol, cap] : r.number_map("per_symbol")) {
    const sh_symbol_id id = host.intern(symbol);
    if (id == SH_INVALID_SYMBOL)
      throw sh::ConfigError("per_symbol: cannot intern symbol '" + symbol + "'");
    c.per_symbol[id] = cap;
  }
  c.mode = r.choice<Mode>("mode", {{"scale", Mode::kScale}, {"deny", Mode::kDeny}});
  return c;
}

class NotionalCap final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "notional_cap";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Caps |position + intent| notional per symbol (USD): scales the intent to fit or denies it";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "notional_cap",
  "type": "object",
  "properties": {
    "max_notional_usd": {"type": "number", "exclusiveMinimum": 0, "default": 100000,
                         "description": "cap on |position + intent| notional per symbol, USD"},
    "per_symbol": {"type": "object", "default": {},
                   "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                   "description": "per-symbol caps in USD, overriding max_notional_usd"},
    "mode": {"type": "string", "enum": ["scale", "deny"], "default": "scale",
             "description": "scale: shrink the intent to fit the cap; deny: refuse it"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  NotionalCap(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), config_(parse_config(host, config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { config_ = parse_config(host(), config, kConfigSchema); }

  // An intent that does not increase |exposure| is always allowed. Otherwise,
  // when |position + intent| > cap: SCALE by the largest fraction that fits
  // (mode scale), or DENY when nothing fits or in mode deny. Both carry
  // SH_REASON_NOTIONAL_CAP and a detail naming the symbol, the notional the
  // unscaled intent would reach, and the cap.
  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& portfolio,
                const sh::VerdictsOut& out) override {
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(portfolio);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i) {
      const sh_order_intent& in = intents[i];
      sh_risk_verdict& v = out[i];
      const char* name = host().symbol_name(in.symbol);
      double intent_usd = in.notional_usd;
      if (!std::isfinite(intent_usd) || intent_usd <= 0.0) intent_usd = in.qty * in.price;
      if (!std::isfinite(intent_usd) || intent_usd <= 0.0 ||
          (in.side != SH_SIDE_BUY && in.side != SH_SIDE_SELL)) {
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_NOTIONAL_CAP, 0.0,
                        std::string(name) + " intent has no valid side/notional");
        continue;
      }
      const double cap = cap_for(in.symbol);
      const double pos_usd = positions.notional_usd(in.symbol);
      const double dir = in.side == SH_SIDE_BUY ? 1.0 : -1.0;
      const double post_usd = pos_usd + dir * intent_usd;
      if (std::fabs(post_usd) <= cap || std::fabs(post_usd) <= std::fabs(pos_usd)) continue;

      char detail[sh::kDetailCapacity];
      std::snprintf(detail, sizeof detail, "%s notional %.0f > cap %.0f", name,
                    std::fabs(post_usd), cap);
      // Largest f in [0, 1] with |pos + f * dir * intent| <= cap, the exposure
      // growing in dir: f = (cap - dir * pos) / intent.
      const double fit = (cap - dir * pos_usd) / intent_usd;
      if (config_.mode == Mode::kDeny || !(fit > 1e-9)) {
        if (config_.mode == Mode::kScale) {
          std::snprintf(detail, sizeof detail, "%s notional %.0f > cap %.0f, no room left", name,
                        std::fabs(post_usd), cap);
        }
        sh::set_verdict(v, SH_RISK_DENY, SH_REASON_NOTIONAL_CAP, 0.0, detail);
      } else {
        sh::set_verdict(v, SH_RISK_SCALE, SH_REASON_NOTIONAL_CAP, fit, detail);
      }
    }
  }

 private:
  double cap_for(sh_symbol_id symbol) const {
    auto it = config_.per_symbol.find(symbol);
    return it == config_.per_symbol.end() ? config_.max_notional_usd : it->second;
  }

  Config config_;
};

}  // namespace

SH_EXPORT_PLUGIN(NotionalCap)
