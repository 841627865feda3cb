// `host trade ...`: operator commands for the paper broker (runbook 003),
// without Redis. The command is stored in the state dir's `meta` database
// under "command/<big-endian u64 seq>" (value: JSON {"command","wall_ns"});
// LMDB lets this process write while the host runs. The pipeline reads the
// pending records at the start of each minute's decision step, applies them
// in seq order and deletes them in that minute's write transaction.
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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"
#include "host_config.h"
#include "store/state_store.h"

namespace sh::host {

inline constexpr std::string_view kTradeCommandPrefix = "command/";
inline constexpr std::string_view kMetaTradeCommandNextSeq = "command_next_seq";

struct TradeCommand {
  std::string key;      // the meta key ("command/" + 8-byte big-endian seq)
  uint64_t seq = 0;
  std::string command;  // one of the names above
  int64_t wall_ns = 0;
};

// true for the command names above.
bool is_trade_command(std::string_view name);
// Appends a command record in txn (a write transaction); *seq = its seq.
Status put_trade_command(StateTxn& txn, std::string_view command, int64_t wall_ns, uint64_t* seq);
// Every pending command record, in seq order. Malformed records are returned
// with an empty `command` (the caller logs and deletes them).
Status read_trade_commands(const StateTxn& txn, std::vector<TradeCommand>* out);

int run_trade_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
