#include "services/symbol_table.h"

namespace sh::host {

bool valid_symbol_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSymbolNameBytes) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

sh_symbol_id SymbolTable::intern(std::string_view name) {
  if (!valid_symbol_name(name)) return SH_INVALID_SYMBOL;
  std::lock_guard<std::mutex> lock(mu_);
  std::string key(name);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  std::string* slot = names_.append_slot();
  if (slot == nullptr) return SH_INVALID_SYMBOL;
  *slot = key;
  names_.publish();
  const auto id = static_cast<sh_symbol_id>(names_.size());
  ids_.emplace(std::move(key), id);
  return id;
}

sh_symbol_id SymbolTable::find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ids_.find(std::string(name));
  return it == ids_.end() ? SH_INVALID_SYMBOL : it->second;
}

std::vector<std::string> SymbolTable::names() const {
  std::vector<std::string> out;
  const size_t n = names_.size();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(names_.at(i));
  return out;
}

}  // namespace sh::host
