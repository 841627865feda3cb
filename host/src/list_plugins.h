// `host --list-plugins`: one row per plugin file the host can see.
#pragma once

#include <ostream>

#include "plugin_catalog.h"

namespace sh::host {

// Text: an aligned table (empty fields shown as "-"). JSON: exactly one line,
// {"host_abi":"1.0","plugins":[{"name","kind","version","abi","path",
// "description","config_keys","status"}, ...]}, rows sorted by path; fields
// of a file that could not be read are "" / [].
void print_plugin_list(const PluginCatalog& catalog, bool json, std::ostream& out);

}  // namespace sh::host
