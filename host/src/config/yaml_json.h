// Conversion of YAML config subtrees to JSON (plugin configs are JSON objects).
//
// Plain (unquoted) scalars are typed by the YAML 1.2 core schema: null (~,
// null, empty), bool (true/false), integer (decimal, 0x, 0o), float (incl.
// .inf/.nan); anything else, and every quoted or !!str-tagged scalar, is a
// string. "on"/"yes" stay strings (no YAML 1.1 surprises).
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "config/config_source.h"

namespace sh::host {

// Throws ConfigError naming FILE:LINE:COL on a duplicate or non-scalar key.
nlohmann::json yaml_to_json(const YAML::Node& node, const ConfigSource& source);

// Throws ConfigError naming FILE:LINE:COL of the second occurrence when a
// mapping repeats a key (yaml-cpp keeps both and lookups see the first).
void require_unique_keys(const YAML::Node& map, const ConfigSource& source);

// The typed JSON value of one plain scalar, by the rules above.
nlohmann::json plain_scalar_to_json(const std::string& text);

}  // namespace sh::host
