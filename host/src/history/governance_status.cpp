#include "history/governance_status.h"

#include "history/history_store.h"
#include "history/universe.h"

namespace sh::host {

namespace {

void fill_states(const StateTxn& txn, const Universe& u, GovernanceStatus* s) {
  std::map<std::string, nlohmann::json> states;
  Status st = read_symbol_states(txn, &states);
  if (!st.ok()) {
    s->problem = st.message();
    return;
  }
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, size_t> counts{{"ACTIVE", 0}, {"DEGRADED", 0}, {"QUARANTINED", 0}, {"UNVERIFIED", 0}};
  for (const auto& sym : u.symbols) {
    const auto it = states.find(sym.symbol);
    nlohmann::json row = {{"symbol", sym.symbol}, {"class", asset_class_name(sym.asset_class)}};
    if (it == states.end()) {
      row["state"] = "UNVERIFIED";
    } else {
      for (const char* k : {"state", "reason", "detail", "rows", "quality", "provider", "verified_at"}) {
        if (it->second.contains(k)) row[k] = it->second[k];
      }
      s->states[sym.symbol] = row["state"].get<std::string>();
    }
    ++counts[row["state"].get<std::string>()];
    list.push_back(std::move(row));
  }
  s->document["counts"] = counts;
  s->document["symbols"] = std::move(list);
}

}  // namespace

GovernanceStatus read_governance_status(const HostConfig& config, const HistoryConfig& history) {
  GovernanceStatus s;
  s.document = {{"universe", history.universe.string()}, {"verified", false}};
  Universe u;
  Status st = load_universe(history.universe, &u);
  if (!st.ok()) {
    s.problem = st.message();
    s.document["problem"] = s.problem;
    return s;
  }
  std::unique_ptr<StateStore> store;
  st = open_history_store(config.state_dir(), true, &store);
  StateTxn txn;
  if (st.ok()) st = store->begin_read(&txn);
  nlohmann::json last, run;
  if (st.ok()) {
    Status ls = read_governance_json(txn, kGovernanceLastVerify, &last);
    Status rs = read_governance_json(txn, kGovernanceBackfillRun, &run);
    if (ls.is_not_found()) {
      s.problem = "no verify has run (the history store holds no states)";
    } else if (!ls.ok()) {
      s.problem = ls.message();
    } else if (last.value("universe", "") != u.fingerprint) {
      s.problem = "the last verify covered another universe than " + u.path.string() + " lists now";
    } else if (rs.ok() && last.value("backfill_run", "") != run.value("run_id", "")) {
      s.problem = "a backfill (run " + run.value("run_id", "") + ") ran after the last verify";
    } else if (!rs.ok() || !run.value("completed", false)) {
      s.problem = "the last backfill did not complete";
    }
    if (ls.ok()) s.document["last_verify"] = last;
    fill_states(txn, u, &s);
  } else {
    s.problem = st.message();
  }
  s.verified = s.problem.empty();
  s.document["verified"] = s.verified;
  if (!s.verified) s.document["problem"] = s.problem;
  return s;
}

std::string governance_halt_message(const HistoryConfig& history, const GovernanceStatus& status,
                                    const char* mode) {
  return std::string("[DATA_GOVERNANCE] ") + mode + " needs verified history (runbook 001, Stage 1 before Stage 2): " +
         status.problem + ". Universe " + history.universe.string() +
         ", required rows per symbol: " + std::to_string(history.quality.required_rows) +
         ". Action required: run `host history backfill`, then `host history verify`, then start again.";
}

}  // namespace sh::host
