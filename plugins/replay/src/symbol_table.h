// symbol_table.h: maps symbol text seen in files to host-interned ids, once
// per distinct name, and applies the optional allow-list. Lookups take a
// string_view into the line buffer and never allocate once a name is known.
#ifndef SH_REPLAY_SYMBOL_TABLE_H
#define SH_REPLAY_SYMBOL_TABLE_H

#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace replay {

class SymbolTable {
 public:
  // Not an allowed symbol (absent from a non-empty allow-list).
  static constexpr int32_t kUnknown = -1;
  // A name the host refuses to intern (longer than 256 bytes, or holding a
  // control character): the row is a bad_symbol row.
  static constexpr int32_t kRefused = -2;

  // allow_list empty = every symbol is allowed. Listed symbols are interned
  // at once, in list order, so their ids do not depend on the data.
  SymbolTable(const sh::Host& host, const std::vector<std::string>& allow_list);

  // Dense local index (0, 1, ...) of an allowed symbol, kUnknown or kRefused.
  // name must be non-empty.
  int32_t find(std::string_view name);
  sh_symbol_id host_id(int32_t local) const { return host_ids_[static_cast<size_t>(local)]; }
  // Number of local indices handed out so far (bound for per-symbol arrays).
  size_t size() const { return host_ids_.size(); }

 private:
  // Rejected names remembered so that repeats stay cheap; capped so that a
  // file of garbage symbols cannot grow the table without limit.
  static constexpr size_t kMaxRememberedUnknown = 4096;

  sh::Host host_;  // a copy: it only wraps the services pointer
  bool restricted_;
  std::deque<std::string> names_;  // owns the text the map's keys view
  std::unordered_map<std::string_view, int32_t> index_;
  std::vector<sh_symbol_id> host_ids_;
  size_t unknown_count_ = 0;  // remembered kUnknown and kRefused names
};

}  // namespace replay

#endif  // SH_REPLAY_SYMBOL_TABLE_H
