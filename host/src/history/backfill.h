// `host history backfill` (runbook 001, Stage 1): for every universe symbol,
// the first provider in history.providers' order that serves the symbol's
// class, reaches history.days back and is entitled fetches its daily
// history, which is stored (history_store.h). A provider that answers "not
// entitled" (401/403) is skipped for the rest of the run, logged once.
// No provider fits: NO_VALID_PROVIDER (the symbol is rejected, logged; verify
// quarantines it). Only fetch_daily is called: no live prices in the batch.
//
// Resumable: a run that did not finish (kill -9) is continued by the next
// backfill, which skips the symbols that run already stored (each symbol is
// one transaction: stored whole or not at all, never twice).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/host_config.h"
#include "history/history_config.h"
#include "store/status.h"

namespace sh::host {

struct BackfillOptions {
  std::vector<std::string> symbols;  // --symbols: a subset of the universe ("" = all)
  bool restart = false;              // --restart: a new run even if one is unfinished
  int32_t today_day = 0;             // the wall clock's day (end defaults to the day before)
};

struct BackfillSummary {
  std::string run_id;
  bool resumed = false;
  size_t stored = 0, already_stored = 0, rejected = 0;
};

// Prints one line per symbol and a summary to out. Errors: the universe,
// the store, or a provider that cannot be loaded.
Status run_backfill(const HostConfig& config, const HistoryConfig& history,
                    const BackfillOptions& options, std::ostream& out, BackfillSummary* summary);

// "YYYYMMDDTHHMMSSZ-<pid>": a run's id.
std::string new_history_run_id();

}  // namespace sh::host
