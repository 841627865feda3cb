// SymbolTable: host-wide interning of symbol names to sh_symbol_id.
//
// Ids start at 1 and are assigned in first-intern order, so the same input
// interned in the same order gets the same ids (determinism). Names are never
// removed; a name pointer stays valid for the life of the table.
#pragma once

#include <strategy_host/abi.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/append_only_table.h"

namespace sh::host {

// The longest symbol name the host takes (it is part of every snapshot key
// and feed line); longer names, "" and names with a control character are
// refused at intern, so one bad row can never stop a run later.
constexpr size_t kMaxSymbolNameBytes = 256;
bool valid_symbol_name(std::string_view name);

class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Thread-safe. SH_INVALID_SYMBOL for a name valid_symbol_name() refuses
  // or when the table is full.
  sh_symbol_id intern(std::string_view name);
  // Thread-safe. SH_INVALID_SYMBOL when the name was never interned.
  sh_symbol_id find(std::string_view name) const;
  // Lock-free. nullptr for 0 or an id not assigned yet.
  const char* name(sh_symbol_id id) const {
    if (id == SH_INVALID_SYMBOL || id > names_.size()) return nullptr;
    return names_.at(id - 1).c_str();
  }
  // Number of interned symbols (the largest id).
  size_t size() const { return names_.size(); }
  // All names in id order (index i holds id i + 1).
  std::vector<std::string> names() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, sh_symbol_id> ids_;  // guarded by mu_
  AppendOnlyTable<std::string, 1024, 16384> names_;    // appended under mu_
};

}  // namespace sh::host
