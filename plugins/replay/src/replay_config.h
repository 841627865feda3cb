// replay_config.h: the replay provider's config, parsed and checked once at
// create(). Every mistake throws sh::ConfigError naming the offending key or
// path (create() then fails with SH_ERR_CONFIG).
#ifndef SH_REPLAY_REPLAY_CONFIG_H
#define SH_REPLAY_REPLAY_CONFIG_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "row_schema.h"

namespace replay {

struct FileSpec {
  std::string path;
  std::optional<RowType> type;  // unset: inferred from the header / first object
  Format format = Format::kCsv;  // default from the extension (.jsonl, .ndjson -> jsonl)
  std::string symbol;            // used when the file has no symbol column; "" = file stem
  int64_t bar_duration_ns = 0;   // 0 = provider default (daily if the ts is a bare date)
};

struct ReplayConfig {
  std::vector<FileSpec> files;  // `files` entries first, then `dir` files by name
  std::vector<std::string> symbols;  // allow-list; empty = all
  int64_t max_future_ns = 86400LL * 1000000000LL;
  uint32_t l2_levels = 10;  // L2 rows with level >= this are dropped (counted)
  int64_t bar_duration_ns = 60LL * 1000000000LL;  // intraday bars without a per-file value
  uint32_t log_limit_per_reason = 20;  // per file, per reason
  bool parse_thread = true;  // parse ahead on a thread of its own (parse_ahead.h)
};

ReplayConfig parse_replay_config(const nlohmann::json& config);

}  // namespace replay

#endif  // SH_REPLAY_REPLAY_CONFIG_H
