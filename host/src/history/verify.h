// `host history verify` (runbook 001): per universe symbol, the quality
// score, the row count against history.required_rows and the state
// (history/quality.h), stored with its history (a transition record when
// the state changes) and written to the governance log. A symbol the last
// backfill rejected, or never backfilled, is QUARANTINED with that reason.
// The summary (meta/last_verify) names the universe it covered: `host run`
// in a live mode starts only once a verify covered the configured universe
// after its last backfill (history/governance_gate.h).
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <string>

#include "config/host_config.h"
#include "history/history_config.h"
#include "store/state_store.h"

namespace sh::host {

struct VerifySummary {
  std::string run_id;
  size_t active = 0, degraded = 0, quarantined = 0;
  double mean_quality = 0;
};

Status run_verify(const HostConfig& config, const HistoryConfig& history, std::ostream& out,
                  VerifySummary* summary);

// The core, on an open store (also the benchmark's): judges `symbols`
// (name -> asset class name) in one write transaction. log may be null.
class GovernanceLog;
Status verify_symbols(StateStore& store, const std::vector<std::pair<std::string, std::string>>& symbols,
                      const HistoryConfig& history, const std::string& run_id, GovernanceLog* log,
                      VerifySummary* summary, std::ostream* out);

}  // namespace sh::host
