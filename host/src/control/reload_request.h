// ReloadRequest: one validated `param.reload` instruction, the contract
// between the control plane's transport (reload_listener: Redis pub/sub,
// reconcile, signing, guard) and the swap machinery (swap_coordinator:
// prepare the candidate off the hot path, hand the swap to the pipeline).
//
// Message (JSON, channel `param.reload` by default):
//   {"component": "risk_harmoniser",        required: a configured component
//    "config_path": "conf/risk_params.yml", new parameters (YAML or JSON map)
//    "plugin_path": "plugins/libx.so",      new binary (may be the same path)
//    "rule_path": "scripts/lua/x.lua",      Lua component: source to load
//    "version": "2024-06-01a",              operator label (default: hash)
//    "rollback": 3,                         restore config version 3
//    "dry_run": true,                       validate and report, never swap
//    "shadow": true,                        start a shadow trial of the candidate
//    "promote": true,                       swap the running candidate in, end the trial
//    "discard": true,                       drop the running candidate, end the trial
//    "ts_ms": 1764990000000,                signed messages: when signed
//    "nonce": "6f1c..."}                    signed messages: unique per message
// At least one of config_path, plugin_path, rule_path, rollback; a Lua
// component with none of them reloads its configured file. "promote" and
// "discard" take none of them: they act on the running shadow trial.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sh::host {

// Shadow trials (README "Shadow trials"): what a request does to the
// candidate running beside a component's serving version. kNone: a plain
// reload of the serving version.
enum class ShadowAction { kNone, kStart, kPromote, kDiscard };

// "" | "start" | "promote" | "discard": the ConfigVersion::shadow values.
// The refusal of a reload of `features:` (component "features"): the
// feature columns are the schema of the store's features_snapshot.
inline const char* features_reload_refusal() {
  return "component 'features': the feature columns (features:) define the state store's schema "
         "(the columns of features_snapshot) and are not changed by a reload; edit features: and "
         "start the host as a new store (a new state_dir; a replay always starts one)";
}

inline const char* shadow_action_name(ShadowAction action) {
  switch (action) {
    case ShadowAction::kStart: return "start";
    case ShadowAction::kPromote: return "promote";
    case ShadowAction::kDiscard: return "discard";
    case ShadowAction::kNone: break;
  }
  return "";
}

inline ShadowAction parse_shadow_action(const std::string& name) {
  if (name == "start") return ShadowAction::kStart;
  if (name == "promote") return ShadowAction::kPromote;
  if (name == "discard") return ShadowAction::kDiscard;
  return ShadowAction::kNone;
}

struct ReloadRequest {
  std::string component;
  std::string config_path;  // "" = keep the current parameters
  std::string plugin_path;  // "" = keep the current binary
  std::string rule_path;    // "" = the Lua component's configured file
  std::string version;      // "" = derived from the content hash
  std::optional<uint64_t> rollback_to;
  bool dry_run = false;
  ShadowAction shadow = ShadowAction::kNone;
  // "emergency": the reason of a de-risking change the VaR guard never
  // blocks (runbook 002: the emergency Kelly cut, a circuit-breaker reset).
  std::string emergency;
  // Freshness of a signed message (replay_guard.h): when it was signed (ms
  // since the epoch) and a value unique to it. Required when signing is on.
  std::optional<int64_t> signed_ts_ms;
  std::string nonce;

  std::string raw;     // the message text as received (history, logs)
  std::string origin;  // "redis", "reconcile", "cli", "test"
  int64_t received_wall_ns = 0;
};

// What became of a request; reported by the swap side, published by the
// control side (log line, `model.switch.log` stream entry).
struct ReloadOutcome {
  ReloadRequest request;
  bool applied = false;      // swapped in (false: refused, or a dry run)
  std::string reason;        // refusal reason, "" when applied
  uint64_t config_version = 0;  // config_versions entry written (0 = none)
  std::string content_hash;     // of the new config/binary/rule
  uint64_t effective_seq = 0;   // input events consumed before the swap took effect
  int64_t applied_wall_ns = 0;
};

}  // namespace sh::host
