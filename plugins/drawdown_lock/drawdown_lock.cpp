// drawdown_lock: a risk policy that locks new exposure once the portfolio's
// drawdown from peak equity reaches MAX_DRAWDOWN_PCT (runbook: 12 % total
// drawdown, 423 RISK_LOCKED).
//
// The lock is a latch: it engages when drawdown_pct >= max_drawdown_pct and
// stays engaged until equity recovers to drawdown_pct <= release_drawdown_pct
// (default: half of max_drawdown_pct) or an operator resets it. While engaged
// every intent that increases |exposure| is DENIED with SH_REASON_RISK_LOCKED
// ("drawdown 13.1% >= 12.0%"); reductions pass so the book can be cut.
//
// Reset: set_config({"reset": true}) clears the latch. A config whose only key
// is "reset" is a command and keeps the serving parameters; a full config
// with "reset": true replaces them and clears the latch. A drawdown still at
// or above the maximum locks again on the next batch (to trade on through it,
// raise max_drawdown_pct). The latch lives in the instance and survives
// set_config; a new instance (new binary, host restart) starts unlocked and
// relocks at once if the drawdown is still at or over the maximum.
//
// drawdown_pct comes from sh_portfolio_state; when it is null it is derived
// from peak_equity_usd and equity_usd. When neither gives a number the policy
// fails closed: DENY SH_REASON_POLICY_ERROR for intents that add exposure.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  double max_drawdown_pct{};
  double release_drawdown_pct{};  // < max; default max / 2
  bool reset{};                   // one-shot command, not a parameter
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.max_drawdown_pct = r.number("max_drawdown_pct");
  c.release_drawdown_pct = r.has("release_drawdown_pct") ? r.number("release_drawdown_pct")
                                                         : c.max_drawdown_pct / 2;
  c.reset = r.boolean("reset");
  if (!(c.release_drawdown_pct < c.max_drawdown_pct))
    throw sh::ConfigError("release_drawdown_pct must be < max_drawdown_pct");
  return c;
}

// A config whose only key is "reset" is an operator command.
bool is_command(const sh::Json& j) { return j.is_object() && j.size() == 1 && j.contains("reset"); }

class DrawdownLock final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "drawdown_lock";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Latches a lock on new exposure at MAX_DRAWDOWN_PCT until recovery or reset (RISK_LOCKED)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "drawdown_lock",
  "type": "object",
  "properties": {
    "max_drawdown_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 12,
                         "description": "MAX_DRAWDOWN_PCT: drawdown from peak equity (%) that locks new exposure"},
    "release_drawdown_pct": {"type": "number", "minimum": 0, "maximum": 100,
                             "description": "drawdown (%) at or below which the lock releases; default max_drawdown_pct / 2; < max_drawdown_pct"},
    "reset": {"type": "boolean", "default": false,
              "description": "true clears the lock; {\"reset\": true} alone keeps the serving parameters"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;
  static constexpr bool kDurableState = true;

  // Durable: a latched lock stays latched across a restart.
  std::string save_state() const override {
    return sh::Json{{"locked", locked_}, {"locked_at_pct", locked_at_pct_}}.dump();
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    locked_ = j.at("locked").get<bool>();
    locked_at_pct_ = j.at("locked_at_pct").get<double>();
    if (locked_) host().warn("drawdown lock restored from the store (latched at " +
                             std::to_string(locked_at_pct_) + "% drawdown)");
  }


  DrawdownLock(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override {
    const Config parsed = parse_config(config, kConfigSchema);
    if (!is_command(config)) c_ = parsed;
    if (parsed.reset) {
      host().warn(locked_ ? "drawdown lock reset by operator" : "drawdown lock reset: was not locked");
      locked_ = false;
    }
  }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    double dd = pf.drawdown_pct;
    if (!std::isfinite(dd) && std::isfinite(pf.peak_equity_usd) && pf.peak_equity_usd > 0.0 &&
        std::isfinite(pf.equity_usd))
      dd = std::fmax(0.0, (pf.peak_equity_usd - pf.equity_usd) / pf.peak_equity_usd * 100.0);

    char detail[sh::kDetailCapacity];
    sh_risk_reason reason = SH_REASON_RISK_LOCKED;
    if (!std::isfinite(dd)) {
      std::snprintf(detail, sizeof detail, "drawdown unavailable (drawdown_pct/peak/equity null)");
      reason = SH_REASON_POLICY_ERROR;
    } else {
      if (!locked_ && dd >= c_.max_drawdown_pct) {
        locked_ = true;
        locked_at_pct_ = dd;
        std::snprintf(detail, sizeof detail, "drawdown %.1f%% >= %.1f%%: RISK_LOCKED", dd,
                      c_.max_drawdown_pct);
        host().warn(detail);
      } else if (locked_ && dd <= c_.release_drawdown_pct) {
        locked_ = false;
        std::snprintf(detail, sizeof detail, "drawdown %.1f%% <= %.1f%%: lock released", dd,
                      c_.release_drawdown_pct);
        host().info(detail);
      }
      if (!locked_) return;
      if (dd >= c_.max_drawdown_pct)
        std::snprintf(detail, sizeof detail, "drawdown %.1f%% >= %.1f%%", dd, c_.max_drawdown_pct);
      else
        std::snprintf(detail, sizeof detail, "locked at drawdown %.1f%%, now %.1f%% > release %.1f%%",
                      locked_at_pct_, dd, c_.release_drawdown_pct);
    }
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(pf);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i)
      if (sh::increases_exposure(intents[i], positions)) sh::set_verdict(out[i], SH_RISK_DENY, reason, 0.0, detail);
  }

 private:
  Config c_;
  bool locked_ = false;
  double locked_at_pct_ = 0.0;
};

}  // namespace

SH_EXPORT_PLUGIN(DrawdownLock)
