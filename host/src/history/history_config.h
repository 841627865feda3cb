// The `history:` section (runbook 001, data governance). Absent: no
// governance (the default run is unchanged). Present:
//
//   history:
//     universe: universe.json       # required: the only source of symbols
//     days: 1826                    # calendar days to backfill (5 years)
//     end: 2025-01-17               # last day backfilled (default: yesterday, UTC)
//     required_rows: 1260           # ACTIVE needs at least this many rows
//     quarantine_below_rows: 1000   # fewer: QUARANTINED
//     min_quality: 0.6              # the quality score ACTIVE needs
//     spike_return: 0.5             # |adj close return| counted as an extreme spike
//     governance_log: governance.jsonl   # in host.output_dir
//     gate: true                    # deny new exposure on symbols not ACTIVE (412)
//     providers:                    # history providers, in priority order
//       - {name: daily_csv, plugin: csv_history, config: {dir: ../data/history}}
//
// Throws ConfigError ("FILE:LINE:COL: history.days: ...").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/host_config.h"
#include "history/quality.h"

namespace sh::host {

struct HistoryConfig {
  bool enabled = false;  // the section is present
  std::filesystem::path universe;
  int64_t days = 1826;
  int32_t end_day = -1;  // -1: yesterday (UTC) when the command runs
  QualitySettings quality;
  std::filesystem::path governance_log;  // absolute
  bool gate = true;
  std::vector<ComponentConfig> providers;  // kind provider, priority order
};

HistoryConfig parse_history_config(const HostConfig& config);

}  // namespace sh::host
