// `host trade ...`: operator commands for the paper broker (runbook 003),
// without Redis. The command is stored in the state dir's `meta` database
// under "command/<big-endian u64 seq>" (value: JSON {"command","wall_ns"});
// LMDB lets this process write while the host runs (the queue's format:
// decision/operator_commands.h; the decision stage applies the records).
//
//   host trade stop     emergency stop: refuse new orders (423), cancel pending
//   host trade resume   clear the emergency stop
//   host trade flatten  cancel pending orders, close every open position
//   host trade pause    refuse new orders (423); pending orders still fill
//   host trade unpause  end the pause
//   host trade reset-risk     operator reset (runbook 004 "reset risk state"):
//                             {"reset": true} to every risk plugin whose schema
//                             has a "reset" key (circuit_breaker OPEN -> HALF_OPEN,
//                             drawdown_lock latch cleared)
//   host trade router-pause   the model router keeps its models, records no switch
//   host trade router-resume
#pragma once

#include "cli/cli.h"
#include "config/host_config.h"
#include "decision/operator_commands.h"

namespace sh::host {

int run_trade_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
