// `host status`: what a deployment's state dir says now, read-only and safe
// while the host runs (LMDB readers never block the writer):
//   the last committed minute and event seq; the paper account (equity,
//   cash, realized / unrealized PnL, peak, drawdown, daily PnL, emergency
//   stop, pause); every open position; orders by status; queued operator
//   commands; each stateful plugin's durable state (an OPEN breaker, a
//   latched lock, safe mode) and the risk chain's error count.
// --format text (default) or json.
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"
#include "config/host_config.h"

namespace sh::host {

void add_status_options(boost::program_options::options_description& options);
int run_status_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
