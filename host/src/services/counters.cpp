#include "services/counters.h"

#include <algorithm>

namespace sh::host {

uint32_t CounterRegistry::register_counter(std::string_view full_name) {
  if (full_name.empty()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  std::string key(full_name);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  std::string* name_slot = names_.append_slot();
  std::atomic<int64_t>* value_slot = values_.append_slot();
  if (name_slot == nullptr || value_slot == nullptr) return 0;
  *name_slot = key;
  value_slot->store(0, std::memory_order_relaxed);
  names_.publish();
  values_.publish();
  const auto id = static_cast<uint32_t>(values_.size());
  ids_.emplace(std::move(key), id);
  return id;
}

int64_t CounterRegistry::value(std::string_view full_name) const {
  uint32_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ids_.find(std::string(full_name));
    if (it == ids_.end()) return 0;
    id = it->second;
  }
  return values_.at(id - 1).load(std::memory_order_relaxed);
}

std::vector<std::pair<std::string, int64_t>> CounterRegistry::snapshot() const {
  std::vector<std::pair<std::string, int64_t>> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t n = values_.size();
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      out.emplace_back(names_.at(i), values_.at(i).load(std::memory_order_relaxed));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sh::host
