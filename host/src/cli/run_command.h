// The host's main job (`host` / `host run`) and the inspection subcommands
// that read its state (`host snapshot`).
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"
#include "config/host_config.h"

namespace sh::host {

// Loads every component, runs the conveyor until the providers finish (or
// SIGINT/SIGTERM), prints the run summary and digest. Exit code 0 on success,
// 1 on a config, load or run error.
// `host run --swap-journal FILE | --swap-journal-from STATE_DIR` (replay
// mode): applies the journalled swaps at their recorded event counts.
int run_pipeline_job(const HostConfig& config, const CliOptions& options);
void add_run_options(boost::program_options::options_description& options);

// `host snapshot --symbol S [--from T] [--to T] [--format csv|jsonl]`:
// exports stored feature rows from the config's state dir to stdout.
void add_snapshot_options(boost::program_options::options_description& options);
int run_snapshot_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
