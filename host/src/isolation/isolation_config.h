// The isolation keys of a plugin component entry (host_config.cpp):
//   isolation: process | in_process   (default in_process)
//   restart: true | false              (default true)
//   max_restarts: N                    (default 5, 0..1000)
//   call_timeout_ms: N                 (default 2000, 1..3600000)
// The last three only mean something with isolation: process and are refused
// without it. Errors throw ConfigError at the value ("FILE:LINE:COL: ...").
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/config_source.h"
#include "isolation/isolation_options.h"

namespace sh::host {

// Parses `key` into *out when it is one of the isolation keys; false otherwise.
bool parse_isolation_key(const std::string& key, const YAML::Node& value, const char* section,
                         const ConfigSource& source, IsolationOptions* out);

// After the entry's keys: refuses restart/max_restarts/call_timeout_ms without
// isolation: process.
void check_isolation_keys(const YAML::Node& entry, const char* section, const ConfigSource& source,
                          const IsolationOptions& options);

}  // namespace sh::host
