// `host history backfill|verify|status` (runbook 001, data governance):
//
//   host history backfill [--symbols A,B] [--restart]
//       Stage 1: daily history for every universe symbol (history/backfill.h);
//       continues an unfinished run unless --restart.
//   host history verify [--strict]
//       quality score, row count and state per symbol (history/verify.h);
//       --strict exits 3 when any symbol is not ACTIVE.
//   host history status [--format text|json]
//       the states of the universe's symbols and whether Stage 2 may start.
//
// Exit status: 0 ok, 1 error (config, universe, store, provider load),
// 2 usage, 3 --strict and a symbol not ACTIVE.
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"

namespace sh::host {

void add_history_options(boost::program_options::options_description& options);
int run_history_command(const HostConfig& config, const CliOptions& options);

// `host run`'s Stage 2 check, with history: configured: in shadow, canary
// and production (paper or live execution) no start until a verify passed
// for the configured universe (exit 1 with what to run); replay and dry-run
// warn. Fills pipeline->decision.governance (the gate's states). 0 = go on.
struct PipelineConfig;
int apply_history_governance(const HostConfig& config, PipelineConfig* pipeline);

}  // namespace sh::host
