// ControlConfig: the `control:` section of the host config (the Redis
// control plane: param.reload listener, reconcile, signing, guard). Redis
// host/port come from the `redis:` section. Errors are ConfigError lines
// "FILE:LINE:COL: message".
//
//   control:
//     channel: param.reload           # pub/sub channel of reload hints
//     desired_key: param.desired      # HASH component -> message JSON (authoritative)
//     switch_stream: model.switch.log # outcomes, XADD MAXLEN ~
//     switch_stream_maxlen: 10000
//     hmac_secret_env: SH_RELOAD_SECRET  # set: every message must be signed;
//                                        # the variable must exist at startup
//     signature_max_age_s: 300        # a signed live message older (or newer)
//                                     # than this is refused (replay_guard.h)
//     allowed_config_dirs: [conf]     # config_path must lie inside one;
//                                     # default: the config file's directory (and so conf/)
//     guard: {var_key_pattern: "var_pct:*", max_var_pct: 1.5}  # pattern "" = off
//     reconnect_backoff_ms: {initial: 100, max: 5000}
//     max_messages_per_second: 200
#pragma once

#include <cstdint>
#include <string>

#include "control/reload_message.h"
#include "config/host_config.h"

namespace sh::host {

// The runbook's "never hot-reload during high volatility (VaR > 1.5%)":
// before a non-dry-run request is delivered, every key matching the pattern
// (SCAN) is read as a number; the largest above max_var_pct refuses it.
// A matching key that is not a number refuses too (fail closed); no
// matching key at all lets the request through.
//
// The host's own portfolio VaR (the one its risk chain sees) is guarded too
// (host_var), and published to publish_key for other tools (SET, 7-day
// expiry as the runbook's var_pct keys; the guard does not read it back). A
// message with "emergency": "<reason>" (a de-risking change: the emergency
// Kelly cut, a breaker reset) is never blocked by the guard; the log says so.
struct VarGuardSettings {
  std::string var_key_pattern = "var_pct:*";  // "" disables the Redis keys' part
  double max_var_pct = 1.5;                   // percent, as stored in the keys
  bool host_var = true;                       // also the host's own portfolio VaR
  std::string publish_key = "var_pct:host";   // "" = not published
};

struct ControlConfig {
  std::string channel = "param.reload";
  std::string desired_key = "param.desired";
  std::string switch_stream = "model.switch.log";
  uint64_t switch_stream_maxlen = 10000;
  std::string hmac_secret_env;  // "" = signatures not required
  std::string hmac_secret;      // the variable's value at load time; never logged
  int64_t signature_max_age_ms = 300000;  // freshness window of signed messages
  std::string nonce_store_dir;            // <state_dir>/control: seen nonces (replay_guard.h)
  ReloadPathPolicy paths;       // plugin/rule dirs from host:, config dirs, components
  VarGuardSettings guard;
  int reconnect_initial_ms = 100;
  int reconnect_max_ms = 5000;
  uint32_t max_messages_per_second = 200;
  // How long the control thread waits for a message before it looks at its
  // stop flag and outcome queue; bounds stop() latency. Not in the YAML.
  int poll_interval_ms = 50;

  bool signing_required() const { return !hmac_secret_env.empty(); }
};

// Parses config.root()["control"] (absent = all defaults). Reads the secret
// from the environment now: a configured but unset or empty variable is a
// ConfigError at the hmac_secret_env line.
ControlConfig parse_control_config(const HostConfig& config);

}  // namespace sh::host
