#include "symbol_table.h"

namespace replay {

SymbolTable::SymbolTable(const sh::Host& host, const std::vector<std::string>& allow_list)
    : host_(host), restricted_(!allow_list.empty()) {
  for (const std::string& name : allow_list) {
    if (name.empty() || index_.count(name) != 0) continue;
    const sh_symbol_id id = host_.intern(name);
    if (id == SH_INVALID_SYMBOL) throw sh::ConfigError("replay: host refused symbol '" + name + "'");
    names_.push_back(name);
    index_.emplace(names_.back(), static_cast<int32_t>(host_ids_.size()));
    host_ids_.push_back(id);
  }
}

int32_t SymbolTable::find(std::string_view name) {
  const auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  if (restricted_) {
    if (unknown_count_ < kMaxRememberedUnknown) {
      names_.emplace_back(name);
      index_.emplace(names_.back(), kUnknown);
      ++unknown_count_;
    }
    return kUnknown;
  }
  names_.emplace_back(name);
  const sh_symbol_id id = host_.intern(names_.back());
  if (id == SH_INVALID_SYMBOL) {
    if (unknown_count_ < kMaxRememberedUnknown) {
      index_.emplace(names_.back(), kRefused);
      ++unknown_count_;
    } else {
      names_.pop_back();
    }
    return kRefused;
  }
  index_.emplace(names_.back(), static_cast<int32_t>(host_ids_.size()));
  host_ids_.push_back(id);
  return static_cast<int32_t>(host_ids_.size()) - 1;
}

}  // namespace replay
