// The keys a config may hold, and what to say about the ones it may not:
// every section of the host config refuses an unknown key with
// "FILE:LINE:COL: unknown key 'risks' in the config's top level (did you
// mean 'risk'? expected one of: ...)", so a misspelt section can never be
// ignored silently (a run trading with no risk chain because `risks:` was
// skipped). Also the bounds every YAML document is loaded under.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

#include "config/config_source.h"

namespace sh::host {

// Every top-level section of the host config, in the README's order.
const std::vector<std::string>& known_config_sections();

// The closest of `options` to `key` when it is a plausible typo (edit
// distance at most 1 for short keys, up to a third of the key's length;
// or one is a prefix of the other); "" when none is close.
std::string closest_key(const std::string& key, const std::vector<std::string>& options);

// "unknown key 'K' in WHERE (did you mean 'X'? expected one of: a, b)"; the
// suggestion only when closest_key finds one.
std::string unknown_key_message(const std::string& key, const std::string& where,
                                const std::vector<std::string>& allowed);

// Throws ConfigError at the first key of `map` not in `allowed`.
void check_known_keys(const YAML::Node& map, const ConfigSource& source, const std::string& where,
                      const std::vector<std::string>& allowed);

// Bounds of any YAML document the host reads (the host config at start-up
// and --validate-config, and config files named by reloads).
constexpr size_t kMaxYamlBytes = size_t{4} << 20;    // 4 MiB of text
constexpr size_t kMaxYamlDepth = 64;                  // nested collections
constexpr size_t kMaxYamlNodes = 1'000'000;           // nodes, aliases expanded

// Parses `text` under those bounds and refuses duplicate keys anywhere (so
// the sections' parsers need not check again: every YAML the host reads
// comes through here);
// throws ConfigError naming FILE (and LINE:COL where there is one). An alias
// bomb (a few lines whose aliases expand to billions of nodes) is refused
// after kMaxYamlNodes visits, before anything expands it.
YAML::Node load_yaml_bounded(const std::string& text, const ConfigSource& source);

}  // namespace sh::host
