// RuleCatalog: every Lua rule the host can see, for `host --list-plugins`.
//
// Rule dirs are scanned non-recursively for names ending in ".lua" (dot-files
// skipped); the rules the config names by `lua:` are added. A configured rule
// is loaded as configured (kind from its section, its params); any other file
// is compile-checked and dry-run as the kind of the function it defines
// (detect, route, check, tried in that order). Scanning never throws.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/host_config.h"

namespace sh::host {

struct RuleCatalogEntry {
  std::string name;         // component name when configured, else the file stem
  std::string kind;         // "lua detector" | "lua router" | "lua risk"; "lua rule" unconfigured
  std::string version;      // content hash of the file ("" when unreadable)
  std::filesystem::path path;
  std::string description;  // the first `--` comment line, without the dashes
  std::vector<std::string> config_keys;  // keys of params: (configured rules)
  std::string status;       // "ok" or the load error (one line)
};

struct RuleCatalog {
  std::vector<RuleCatalogEntry> entries;  // sorted by path (stable)
  std::vector<std::string> warnings;      // rule dirs that could not be listed ("DIR: reason")
};

RuleCatalog scan_rules(const HostConfig& config);

}  // namespace sh::host
