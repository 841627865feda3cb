// `host config ...`: the config history of the state dir (read-only).
//
//   host config history [--component C] [--format text|json]
//       every config_versions entry: component, version, label, content
//       hash, how it was put in service, effective_seq, origin, time
//   host config journal [--component C]
//       the swap_journal as JSON lines, in the order the swaps took effect:
//       the input of `host run --swap-journal FILE`
//   host config export [--to FILE]
//       the YAML with what serves in place of what it says (reloads are
//       re-applied after a restart until the YAML is edited): each drifting
//       component's parameters and plugin path (control/config_drift.h);
//       comments are not kept; to stdout, or FILE written atomically
//
// A rollback is a reload message: `host reload --component C --rollback N`
// (or {"component": C, "rollback": N} on param.reload).
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"
#include "config/host_config.h"

namespace sh::host {

void add_config_options(boost::program_options::options_description& options);
int run_config_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
