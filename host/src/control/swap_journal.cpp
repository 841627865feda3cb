#include "control/swap_journal.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>

#include "store/state_store.h"

namespace sh::host {

void select_last_session(std::vector<ConfigVersion>* journal) {
  uint64_t last = 0;
  for (const ConfigVersion& v : *journal) last = std::max(last, v.session);
  journal->erase(std::remove_if(journal->begin(), journal->end(),
                                [last](const ConfigVersion& v) { return v.session != last; }),
                 journal->end());
  std::stable_sort(journal->begin(), journal->end(), [](const ConfigVersion& a, const ConfigVersion& b) {
    return a.effective_seq != b.effective_seq ? a.effective_seq < b.effective_seq
                                              : a.sequence < b.sequence;
  });
}

Status load_swap_journal_from_store(const std::filesystem::path& state_dir,
                                    std::vector<ConfigVersion>* journal) {
  StateStoreOptions so;
  so.dir = state_dir.string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  if (!st.ok()) return st;
  StateTxn txn;
  st = store->begin_read(&txn);
  if (!st.ok()) return st;
  std::vector<ConfigVersion> all;
  st = list_swap_journal(txn, &all);
  if (!st.ok()) return st;
  select_last_session(&all);
  *journal = std::move(all);
  return Status::Ok();
}

Status load_swap_journal_file(const std::filesystem::path& file,
                              std::vector<ConfigVersion>* journal) {
  std::ifstream in(file);
  if (!in) return Status::IoError(file.string() + ": cannot open swap journal");
  std::vector<ConfigVersion> all;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ConfigVersion v;
    std::string why;
    if (!config_version_from_json(line, &v, &why)) {
      return Status::InvalidArgument(file.string() + ":" + std::to_string(n) + ": " + why);
    }
    if (v.swap == SwapKind::kStartup) continue;  // history lines are not swaps
    all.push_back(std::move(v));
  }
  select_last_session(&all);
  *journal = std::move(all);
  return Status::Ok();
}

}  // namespace sh::host
