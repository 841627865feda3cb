// RetentionStage: state.retention_days (README "State: growth and
// retention"). In each minute's own transaction, deletes the
// features_snapshot rows of minutes older than retention_days before the
// closing minute, oldest first and at most kMaxRowsPerMinute per minute (a
// store that fell behind, e.g. when retention is first switched on, catches
// up over the following minutes without a long close). With
// state.retention_export each row is first appended to
// <output_dir>/expired/features_<YYYY-MM-DD>.csv (the `host snapshot` CSV
// columns), flushed before the commit: a commit that fails leaves the rows
// in the store and they are exported again (an archive may repeat a row; it
// never misses one). Expiry never changes the output digest (that covers
// what each minute wrote). LMDB reuses the freed pages, so with retention
// the data file stops growing once it holds retention_days of minutes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "pipeline/stage.h"

namespace sh::host {

class RetentionStage final : public Stage {
 public:
  static constexpr size_t kMaxRowsPerMinute = 20000;

  ~RetentionStage() override;
  const char* name() const override { return "retention"; }
  Status open(StageContext& ctx) override;
  Status persist(const Minute& minute, StateTxn& txn) override;
  Status finish() override;

 private:
  Status expire(StateTxn& txn, int64_t cutoff);
  Status export_row(int64_t minute_ts_ns, std::string_view symbol, std::string_view value);
  Status flush_export();

  StageContext* ctx_ = nullptr;
  int64_t keep_ns_ = 0;  // 0: off
  bool export_ = false;
  std::string export_dir_;
  std::string export_day_;  // the day of the open file
  std::FILE* export_file_ = nullptr;
  uint64_t expired_ = 0;
  uint64_t exported_ = 0;
  uint64_t export_errors_ = 0;
};

}  // namespace sh::host
