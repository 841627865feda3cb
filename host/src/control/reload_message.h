// Parsing and validation of one `param.reload` message (the JSON text of the
// message body, after signature checks: see reload_signing.h) into a
// ReloadRequest. Pure functions of the text, the allowed directories and the
// file system: no Redis, no logging, no exceptions.
//
// A message that fails is refused with one line naming the problem, e.g.
//   invalid JSON at byte 17: syntax error while parsing object key
//   unknown field 'confg_path' (expected component, config_path, plugin_path,
//       rule_path, version, rollback, dry_run, ts_ms, nonce, emergency,
//       shadow, promote, discard)
//   plugin_path '/tmp/evil.so' resolves to /tmp/evil.so, outside the plugin
//       dirs (/opt/sh/plugins); code loads only from a plugin dir
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "control/reload_request.h"

namespace sh::host {

// Where a message may point. Every check resolves symlinks and ".."
// (weakly_canonical) on both sides, so neither a link inside a plugin dir
// nor "plugins/../../x.so" escapes.
struct ReloadPathPolicy {
  std::filesystem::path base_dir;  // relative message paths resolve here (the config file's dir)
  std::vector<std::filesystem::path> plugin_dirs;  // plugin_path: a *.so inside one
  std::vector<std::filesystem::path> rule_dirs;    // rule_path: a *.lua inside one
  std::vector<std::filesystem::path> config_dirs;  // config_path: *.yaml|*.yml|*.json inside one
  // The configured components; empty = not known here (no component checks).
  std::set<std::string> components;
  std::set<std::string> lua_components;  // subset of components that are Lua rules
  // Paths must name an existing regular file (off only for tools that build
  // a message on another machine).
  bool require_existing_files = true;
};

// Refusal category: a stats key and the `refusal` field of a switch-log entry.
// "invalid" (shape, types, unknown fields), "path", "component",
// "signature", "guard", "rate", "swap" (refused by the swap side).
struct MessageCheck {
  std::string reason;     // "" = accepted
  std::string category;   // "" when accepted
  bool ok() const { return reason.empty(); }
  static MessageCheck accept() { return {}; }
  static MessageCheck refuse(std::string category, std::string reason) {
    MessageCheck c;
    c.category = std::move(category);
    c.reason = std::move(reason);
    return c;
  }
};

// Parses `text` (one JSON object; the fields of reload_request.h, nothing
// else) and checks it against `policy`. On success fills *out (paths made
// absolute and canonical; raw = text; origin and received_wall_ns untouched)
// and returns ok. On failure *out may hold a partly filled request: at least
// `component` when the message named one (for "<component>: <reason>" logs).
MessageCheck parse_reload_message(const std::string& text, const ReloadPathPolicy& policy,
                                  ReloadRequest* out);

// Path checks alone, for callers that build a ReloadRequest by hand (the CLI,
// tests, the swap side re-checking): `field` is "plugin_path", "rule_path" or
// "config_path". On success *resolved is the canonical absolute path.
MessageCheck check_reload_path(const std::string& field, const std::string& path,
                               const ReloadPathPolicy& policy, std::filesystem::path* resolved);

// True when `path` (canonicalized) lies strictly inside `dir` (canonicalized).
bool path_inside(const std::filesystem::path& path, const std::filesystem::path& dir);

// The version key reconcile compares with the running component's version:
// the message's "version" field, else "msg-" + the first 16 hex digits of
// SHA-256 of the message text.
std::string reload_version_key(const ReloadRequest& request, const std::string& body);

// The JSON text of a request (fields that are set only; raw/origin/ts never),
// as `host reload` publishes it. parse_reload_message(to_message_json(r))
// gives r back (paths canonicalized).
std::string reload_message_json(const ReloadRequest& request);

// The log line of an applied shadow trial start or discard, e.g.
//   Shadow trial started: return_spike candidate t1 (hash 3fa2...) at event 1200
//   Shadow trial discarded: return_spike at event 5400
// and "" for any other outcome (a promote logs as the swap it is).
std::string shadow_outcome_line(const ReloadOutcome& outcome);

}  // namespace sh::host
