// `host --list-plugins`: one row per plugin file and per Lua rule the host can see.
#pragma once

#include <ostream>

#include "plugins/plugin_catalog.h"
#include "plugins/rule_catalog.h"

namespace sh::host {

struct ListOptions {
  bool json = false;
  bool verbose = false;
};

// Text (default): an aligned table at most 100 columns wide, NAME, KIND,
// VERSION, STATUS ("ok" or the kind of failure) and DESCRIPTION (a row that
// is not ok shows its full status there); cells too long are cut with "…".
// A file that could not be read shows its file name as NAME.
// --verbose: every field, unbounded: NAME, KIND, VERSION, ABI, PATH, SHA256,
// CAPABILITIES (set_config, state; "reload" for a Lua rule; a provider's
// live, history_days=N, entitlement, classes=...), CONFIG (keys),
// DESCRIPTION, STATUS. Empty fields show as "-".
// Text and verbose end with the providers' capability matrix (runbook 001)
// when a provider declares capabilities.
// JSON: exactly one line, {"host_abi":"1.5","plugins":[{"name","kind",
// "version","abi","path","description","config_keys","status","sha256",
// "capabilities","config_schema","defaults","provider"}, ...]}, rows sorted by path;
// provider is a provider's declared capabilities (ABI 1.5: {"asset_classes",
// "live","history","max_history_days","requires_entitlement"}), else null;
// config_schema is the plugin's schema as JSON (null when unknown), defaults
// the schema's "default" values nested like a config ({} when none). Fields
// of a file that could not be read are "" / [] / null / {}. Lua rules are rows
// of the same shape: abi "lua", kind "lua detector|router|risk" ("lua rule"
// when not configured), version the content hash, config_keys the keys of
// params:, config_schema null.
void print_plugin_list(const PluginCatalog& catalog, const RuleCatalog& rules,
                       const ListOptions& options, std::ostream& out);
inline void print_plugin_list(const PluginCatalog& catalog, const RuleCatalog& rules, bool json,
                              std::ostream& out) {
  print_plugin_list(catalog, rules, ListOptions{json, false}, out);
}
inline void print_plugin_list(const PluginCatalog& catalog, bool json, std::ostream& out) {
  print_plugin_list(catalog, RuleCatalog{}, ListOptions{json, false}, out);
}

}  // namespace sh::host
