// Operator command queue (runbook 003): what `host trade ...` stores and
// the decision stage applies. A command is a record in the state dir's `meta`
// database under "command/<big-endian u64 seq>" (value: JSON
// {"command","wall_ns"}); LMDB lets another process write while the host
// runs. The decision stage reads the pending records at the start of each
// minute's decision step, applies them in seq order and deletes them in that
// minute's write transaction. The command names are listed in
// cli/trade_command.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decision/decision_component.h"
#include "decision/model_router.h"
#include "decision/broker.h"
#include "store/state_store.h"

namespace sh::host {

inline constexpr std::string_view kTradeCommandPrefix = "command/";
inline constexpr std::string_view kMetaTradeCommandNextSeq = "command_next_seq";

struct TradeCommand {
  std::string key;      // the meta key ("command/" + 8-byte big-endian seq)
  uint64_t seq = 0;
  std::string command;  // one of the names in cli/trade_command.h
  int64_t wall_ns = 0;
};

// true for the command names of cli/trade_command.h.
bool is_trade_command(std::string_view name);
// Appends a command record in txn (a write transaction); *seq = its seq.
Status put_trade_command(StateTxn& txn, std::string_view command, int64_t wall_ns, uint64_t* seq);
// Every pending command record, in seq order. Malformed records are returned
// with an empty `command` (the caller logs and deletes them).
Status read_trade_commands(const StateTxn& txn, std::vector<TradeCommand>* out);

// What the commands act on (the decision stage's).
struct OperatorTargets {
  Broker* broker = nullptr;
  ModelRouter* router = nullptr;  // null: no consensus.router configured
  const std::vector<DecisionComponent>* risk = nullptr;
};

// Applies the pending records in seq order at minute ts (before any order
// of that minute is submitted); *applied_keys = every record read (applied
// or malformed), deleted in the minute's transaction; *applied += commands
// applied.
// *snapshot_txn (optional) = the id of the store snapshot the commands were
// read from (StateTxn::id).
Status apply_operator_commands(StateStore& store, int64_t ts, const OperatorTargets& targets,
                               std::vector<std::string>* applied_keys, uint64_t* applied,
                               uint64_t* snapshot_txn = nullptr);

}  // namespace sh::host
