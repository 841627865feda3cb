// `host backup create|list|verify|restore` (runbook 003, "Backup and
// Recovery"): see backup.h for what a backup holds. The backup root and the
// retention come from the config's `backup:` section:
//   backup:
//     dir: backups                        # relative to the config file
//     keep: {data: 7, full: 4, config: 12}   # newest kept per type after create
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"
#include "config/host_config.h"

namespace sh::host {

void add_backup_options(boost::program_options::options_description& options);
int run_backup_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
