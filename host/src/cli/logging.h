// Process-wide logging (spdlog default logger) on stderr, plus an optional file.
//
// text: "[2024-01-02 03:04:05.678] [info] msg"
// json: one object per line, {"ts":"2024-01-02T03:04:05.678901Z","level":"info","msg":"..."}
//       (UTC, msg JSON-escaped), for log shippers.
// stdout is left to command output (e.g. --list-plugins --json).
#pragma once

#include <string>

#include "config/host_config.h"

namespace sh::host {

// Replaces the default logger. Throws ConfigError on an unknown level or
// format, or when the log file cannot be opened (config time only).
void setup_logging(const LogConfig& config);

// Appends s to out as the body of a JSON string (without the quotes).
void append_json_escaped(std::string& out, const char* s, size_t n);

}  // namespace sh::host
