// kill_switch: a risk policy that stops new exposure while a file exists.
// Operators halt with `touch state/KILL_SWITCH` and resume with
// `rm state/KILL_SWITCH` (runbook: kill switch activation); no reload needed.
//
// The file is checked once per batch (one stat per decision cycle, never per
// intent), so a whole batch sees one answer. While it exists every intent that
// increases |exposure| (opens, adds to or flips a position) is DENIED with
// SH_REASON_KILL_SWITCH; intents that only reduce a position still pass so an
// operator can flatten, unless block_reductions is true. If the file's
// presence cannot be determined (e.g. permission denied on the directory) the
// policy fails closed: the same intents are denied with SH_REASON_POLICY_ERROR.
// Engaging and releasing are logged (WARN / INFO) once per transition.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

// Defaults: kConfigSchema.
struct Config {
  std::string path;
  bool block_reductions{};
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.path = r.string("path");  // the host resolves a relative path against the config file's dir
  c.block_reductions = r.boolean("block_reductions");
  return c;
}

class KillSwitch final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "kill_switch";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Denies every intent that adds exposure while the kill-switch file exists (KILL_SWITCH)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "kill_switch",
  "type": "object",
  "properties": {
    "path": {"type": "string", "format": "path", "minLength": 1, "default": "state/KILL_SWITCH",
             "description": "file whose presence halts new exposure; relative to the config file's directory"},
    "block_reductions": {"type": "boolean", "default": false,
                         "description": "also deny intents that only reduce a position"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  KillSwitch(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)), denied_(host.counter("denied")) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& portfolio,
                const sh::VerdictsOut& out) override {
    std::error_code ec;
    const bool present = std::filesystem::exists(c_.path, ec);
    const bool unknown = static_cast<bool>(ec);
    const bool engaged = present || unknown;
    if (engaged != engaged_) {
      if (engaged)
        host().warn("kill switch engaged: " + c_.path +
                    (unknown ? " cannot be checked: " + ec.message() : " present"));
      else
        host().info("kill switch released: " + c_.path + " removed");
      engaged_ = engaged;
    }
    if (!engaged) return;

    const std::string detail = unknown ? "kill switch " + c_.path + " unreadable: " + ec.message()
                                       : "kill switch " + c_.path + " present";
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(portfolio);  // one lookup table per batch
    int64_t denied = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (!c_.block_reductions && !sh::increases_exposure(intents[i], positions)) continue;
      sh::set_verdict(out[i], SH_RISK_DENY, unknown ? SH_REASON_POLICY_ERROR : SH_REASON_KILL_SWITCH,
                      0.0, detail);
      ++denied;
    }
    if (denied) host().add(denied_, denied);
  }

 private:
  Config c_;
  uint32_t denied_;
  bool engaged_ = false;  // last observed state, for transition logs
};

}  // namespace

SH_EXPORT_PLUGIN(KillSwitch)
