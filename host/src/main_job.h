// The `run` subcommand: the host's main job for a loaded config.
#pragma once

#include "cli.h"
#include "host_config.h"

namespace sh::host {

// Loads and creates every configured component and runs them; returns the
// process exit code.
int run_main_job(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
