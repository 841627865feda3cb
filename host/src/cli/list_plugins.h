// `host --list-plugins`: one row per plugin file and per Lua rule the host can see.
#pragma once

#include <ostream>

#include "plugins/plugin_catalog.h"
#include "plugins/rule_catalog.h"

namespace sh::host {

// Text: an aligned table (empty fields shown as "-"). JSON: exactly one line,
// {"host_abi":"1.0","plugins":[{"name","kind","version","abi","path",
// "description","config_keys","status"}, ...]}, rows sorted by path; fields
// of a file that could not be read are "" / []. Lua rules are rows of the
// same shape: abi "lua", kind "lua detector|router|risk" ("lua rule" when not
// configured), version the content hash, config_keys the keys of params:.
void print_plugin_list(const PluginCatalog& catalog, const RuleCatalog& rules, bool json,
                       std::ostream& out);
inline void print_plugin_list(const PluginCatalog& catalog, bool json, std::ostream& out) {
  print_plugin_list(catalog, RuleCatalog{}, json, out);
}

}  // namespace sh::host
