// daily_loss: a risk policy that stops new exposure for the rest of the day
// once the day's loss reaches daily_loss_pct of the day's starting equity
// (runbook: 3 % daily loss limit, 423).
//
// Loss is measured against the equity the day started with,
//     start_equity = equity_usd - daily_pnl_usd,
//     loss_pct     = -daily_pnl_usd / start_equity * 100,
// so a 3000 USD loss on a 100000 USD day is 3.0 % whatever the equity is now.
// When loss_pct >= daily_loss_pct the policy latches for the UTC day of
// sh_portfolio_state.ts_ns (event time, so replays agree): every intent that
// increases |exposure| is DENIED with SH_REASON_DAILY_LOSS ("daily loss 3.0%
// >= 3.0%"), even if the P&L recovers later that day; reductions pass. The
// latch clears when ts_ns enters a new UTC day with the loss below the limit,
// or on set_config({"reset": true}) (a config whose only key is "reset" keeps
// the serving parameters). Null P&L or equity fails closed: DENY
// SH_REASON_POLICY_ERROR for intents that add exposure.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

constexpr int64_t kNsPerDay = 86400LL * 1000000000LL;

// Defaults and ranges: kConfigSchema.
struct Config {
  double daily_loss_pct{};
  bool reset{};  // one-shot command, not a parameter
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.daily_loss_pct = r.number("daily_loss_pct");
  c.reset = r.boolean("reset");
  return c;
}

bool is_command(const sh::Json& j) { return j.is_object() && j.size() == 1 && j.contains("reset"); }

// Floor division: the UTC day number of a nanosecond timestamp.
int64_t utc_day(int64_t ts_ns) {
  return ts_ns >= 0 ? ts_ns / kNsPerDay : -((-ts_ns + kNsPerDay - 1) / kNsPerDay);
}

class DailyLoss final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "daily_loss";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Stops new exposure for the UTC day once the day's loss reaches daily_loss_pct (DAILY_LOSS)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "daily_loss",
  "type": "object",
  "properties": {
    "daily_loss_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 3,
                       "description": "loss (% of the day's starting equity) that stops new exposure until the next UTC day"},
    "reset": {"type": "boolean", "default": false,
              "description": "true clears today's latch; {\"reset\": true} alone keeps the serving parameters"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;
  static constexpr bool kDurableState = true;

  // Durable: a day that hit its loss limit stays stopped across a restart.
  std::string save_state() const override {
    return sh::Json{{"latched", latched_}, {"latched_day", latched_day_}}.dump();
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    latched_ = j.at("latched").get<bool>();
    latched_day_ = j.at("latched_day").get<int64_t>();
  }


  DailyLoss(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override {
    const Config parsed = parse_config(config, kConfigSchema);
    if (!is_command(config)) c_ = parsed;
    if (parsed.reset) {
      host().warn(latched_ ? "daily loss latch reset by operator" : "daily loss reset: was not latched");
      latched_ = false;
    }
  }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    const double start = pf.equity_usd - pf.daily_pnl_usd;
    char detail[sh::kDetailCapacity];
    sh_risk_reason reason = SH_REASON_DAILY_LOSS;
    if (!std::isfinite(start) || start <= 0.0) {
      std::snprintf(detail, sizeof detail, "daily loss unknown (equity %g, daily pnl %g)",
                    pf.equity_usd, pf.daily_pnl_usd);
      reason = SH_REASON_POLICY_ERROR;
    } else {
      const double loss_pct = -pf.daily_pnl_usd / start * 100.0;
      const int64_t day = utc_day(pf.ts_ns);
      const bool breach = loss_pct >= c_.daily_loss_pct;
      if (latched_ && day != latched_day_ && !breach) {
        latched_ = false;
        host().info("daily loss latch cleared: new UTC day");
      }
      if (breach) {
        if (!latched_) {
          std::snprintf(detail, sizeof detail, "daily loss %.1f%% >= %.1f%% (%.0f USD): latched",
                        loss_pct, c_.daily_loss_pct, pf.daily_pnl_usd);
          host().warn(detail);
        }
        latched_ = true;
        latched_day_ = day;
      }
      if (!latched_) return;
      if (breach)
        std::snprintf(detail, sizeof detail, "daily loss %.1f%% >= %.1f%%", loss_pct,
                      c_.daily_loss_pct);
      else
        std::snprintf(detail, sizeof detail, "daily loss limit %.1f%% hit today (now %.1f%%)",
                      c_.daily_loss_pct, loss_pct);
    }
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(pf);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i)
      if (sh::increases_exposure(intents[i], positions)) sh::set_verdict(out[i], SH_RISK_DENY, reason, 0.0, detail);
  }

 private:
  Config c_;
  bool latched_ = false;
  int64_t latched_day_ = 0;
};

}  // namespace

SH_EXPORT_PLUGIN(DailyLoss)
