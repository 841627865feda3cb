// CounterRegistry: named int64 counters for reports and metrics.
//
// Names are full names ("component.counter"); registering is idempotent and
// returns the same id for the same name. Ids start at 1; 0 is never valid.
// add() is lock-free and may run on any thread, concurrently with register_counter().
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "services/append_only_table.h"

namespace sh::host {

class CounterRegistry {
 public:
  CounterRegistry() = default;
  CounterRegistry(const CounterRegistry&) = delete;
  CounterRegistry& operator=(const CounterRegistry&) = delete;

  // Thread-safe. 0 for "" or when the registry is full.
  uint32_t register_counter(std::string_view full_name);
  // Unknown ids (0, or never registered) are ignored.
  void add(uint32_t id, int64_t delta) {
    if (id == 0 || id > values_.size()) return;
    values_.at(id - 1).fetch_add(delta, std::memory_order_relaxed);
  }
  // Current value of a counter by full name; 0 when unknown.
  int64_t value(std::string_view full_name) const;
  // (name, value) of every counter, sorted by name.
  std::vector<std::pair<std::string, int64_t>> snapshot() const;

 private:
  static constexpr size_t kChunk = 256;
  static constexpr size_t kMaxChunks = 4096;

  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> ids_;                     // guarded by mu_
  AppendOnlyTable<std::string, kChunk, kMaxChunks> names_;            // appended under mu_
  AppendOnlyTable<std::atomic<int64_t>, kChunk, kMaxChunks> values_;  // appended under mu_
};

}  // namespace sh::host
