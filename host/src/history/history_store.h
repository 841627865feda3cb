// The history store: an LMDB environment of its own under
// <state_dir>/history (a replay resets the minute state in <state_dir>; the
// five years of history and their governance must survive that). Two named
// databases (store/state_store.h):
//
//   price_history      symbol -> the delivered daily rows (daily_series.h)
//   symbol_governance  state/<symbol>            current state (JSON)
//                      transition/<symbol>/<seq> every state change (JSON)
//                      backfill/<symbol>         what the last backfill stored
//                      meta/backfill_run         the current backfill run
//                      meta/last_verify          the last verify's summary
//
// A symbol's rows and its backfill record are written in one transaction,
// so a backfill killed at any moment leaves each symbol whole or absent.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "store/state_store.h"

namespace sh::host {

std::filesystem::path history_store_dir(const std::filesystem::path& state_dir);

// Read-only: NotFound "... no history store: run `host history backfill`"
// when none was made yet.
Status open_history_store(const std::filesystem::path& state_dir, bool read_only,
                          std::unique_ptr<StateStore>* out);

// JSON value of a symbol_governance key; NotFound when absent.
Status read_governance_json(const StateTxn& txn, const std::string& key, nlohmann::json* out);
Status write_governance_json(StateTxn& txn, const std::string& key, const nlohmann::json& value);

// Every symbol's current state record (state/<symbol>), by symbol.
Status read_symbol_states(const StateTxn& txn, std::map<std::string, nlohmann::json>* out);

// Keys.
inline std::string governance_state_key(const std::string& symbol) { return "state/" + symbol; }
inline std::string governance_backfill_key(const std::string& symbol) { return "backfill/" + symbol; }
std::string governance_transition_key(const std::string& symbol, uint64_t seq);
inline constexpr const char* kGovernanceBackfillRun = "meta/backfill_run";
inline constexpr const char* kGovernanceLastVerify = "meta/last_verify";

}  // namespace sh::host
