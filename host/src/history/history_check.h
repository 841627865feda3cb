// `host --validate-config` for the `history:` section (runbook 001): the
// section itself, universe.json, and each history provider loaded as a
// backfill would load it. Errors stop a start; notes are what a backfill
// would reject (a universe class no provider serves: NO_VALID_PROVIDER).
#pragma once

#include <string>
#include <vector>

#include "config/host_config.h"
#include "history/history_config.h"

namespace sh::host {

struct HistoryCheck {
  std::vector<std::string> errors;  // each names the file, key or provider
  std::vector<std::string> notes;
  size_t symbols = 0;               // in the universe
};

// history.enabled must be true (parse_history_config succeeded).
HistoryCheck check_history(const HostConfig& config, const HistoryConfig& history);

}  // namespace sh::host
