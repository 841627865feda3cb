#include "history/history_store.h"

#include <cstdio>
#include <system_error>

namespace sh::host {

std::filesystem::path history_store_dir(const std::filesystem::path& state_dir) {
  return state_dir / "history";
}

Status open_history_store(const std::filesystem::path& state_dir, bool read_only,
                          std::unique_ptr<StateStore>* out) {
  const std::filesystem::path dir = history_store_dir(state_dir);
  std::error_code ec;
  if (read_only && !std::filesystem::exists(dir / "data.mdb", ec)) {
    return Status::NotFound(dir.string() +
                            ": no history store yet: run `host history backfill`, then `host history verify`");
  }
  StateStoreOptions so;
  so.dir = dir.string();
  so.read_only = read_only;
  // 5,000 symbols x 1,260 rows take ~330 MB; room for twice that.
  so.map_size_bytes = uint64_t{4} << 30;
  return StateStore::open(so, out);
}

Status read_governance_json(const StateTxn& txn, const std::string& key, nlohmann::json* out) {
  std::string value;
  Status st = txn.get(StateDb::kSymbolGovernance, key, &value);
  if (!st.ok()) return st;
  *out = nlohmann::json::parse(value, nullptr, false);
  if (out->is_discarded()) return Status::Corruption("symbol_governance " + key + ": not JSON");
  return Status::Ok();
}

Status write_governance_json(StateTxn& txn, const std::string& key, const nlohmann::json& value) {
  return txn.put(StateDb::kSymbolGovernance, key, value.dump());
}

Status read_symbol_states(const StateTxn& txn, std::map<std::string, nlohmann::json>* out) {
  std::string bad;
  Status st = txn.scan_prefix(StateDb::kSymbolGovernance, "state/",
                              [&](std::string_view key, std::string_view value) {
                                nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
                                if (j.is_discarded() || !j.is_object()) {
                                  bad = std::string(key);
                                  return false;
                                }
                                (*out)[std::string(key.substr(6))] = std::move(j);
                                return true;
                              });
  if (st.ok() && !bad.empty()) return Status::Corruption("symbol_governance " + bad + ": not a JSON object");
  return st;
}

std::string governance_transition_key(const std::string& symbol, uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return "transition/" + symbol + "/" + buf;
}

}  // namespace sh::host
