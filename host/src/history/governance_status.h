// What the history store says about the configured universe, for `host run`
// (Stage 2 starts only after Stage 1: a verify that covered this universe
// after its last completed backfill), `host status` and /api/status.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "config/host_config.h"
#include "history/history_config.h"

namespace sh::host {

struct GovernanceStatus {
  bool verified = false;  // a verify covered the universe after the last completed backfill
  std::string problem;    // why not, one line ("" when verified)
  std::map<std::string, std::string> states;  // universe symbol -> state ("" entries absent)
  nlohmann::json document;  // {"universe", "verified", "problem", "last_verify", "counts", "symbols": [...]}
};

// Never fails: a missing store or universe is a `problem`.
GovernanceStatus read_governance_status(const HostConfig& config, const HistoryConfig& history);

// The message `host run` prints when no verify passed (runbook 001's
// [DATA_GOVERNANCE] halt, with what to run).
std::string governance_halt_message(const HistoryConfig& history, const GovernanceStatus& status,
                                    const char* mode);

}  // namespace sh::host
