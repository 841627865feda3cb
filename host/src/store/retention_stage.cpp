#include "store/retention_stage.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "store/snapshot_codec.h"
#include "store/snapshot_export.h"
#include "store/time_format.h"

namespace sh::host {

RetentionStage::~RetentionStage() {
  if (export_file_ != nullptr) std::fclose(export_file_);
}

Status RetentionStage::open(StageContext& ctx) {
  ctx_ = &ctx;
  const double days = ctx.config.state_retention_days;
  if (!(days > 0) || ctx.store == nullptr) return Status::Ok();
  keep_ns_ = static_cast<int64_t>(std::llround(days * 86400.0 * 1e9));
  export_ = ctx.config.state_retention_export;
  if (export_) export_dir_ = (ctx.host_config.output_dir() / "expired").string();
  spdlog::info("retention: feature snapshots older than {} days are {}", days,
               export_ ? "exported to " + export_dir_ + " and deleted" : "deleted");
  return Status::Ok();
}

Status RetentionStage::export_row(int64_t minute_ts_ns, std::string_view symbol,
                                  std::string_view value) {
  sh_feature_row row{};
  Status st = decode_snapshot_row(value, &row);
  if (!st.ok()) return st;
  const std::string day = format_iso8601_utc(minute_ts_ns).substr(0, 10);
  if (day != export_day_ || export_file_ == nullptr) {
    st = flush_export();
    if (export_file_ != nullptr) std::fclose(export_file_);
    export_file_ = nullptr;
    std::error_code ec;
    std::filesystem::create_directories(export_dir_, ec);
    const std::string path = export_dir_ + "/features_" + day + ".csv";
    const bool fresh = !std::filesystem::exists(path, ec);
    export_file_ = std::fopen(path.c_str(), "a");
    if (export_file_ == nullptr) {
      return Status::IoError("retention export " + path + ": " + std::strerror(errno));
    }
    export_day_ = day;
    if (fresh) std::fprintf(export_file_, "%s\n", snapshot_csv_header().c_str());
  }
  const std::string line = format_snapshot_csv(symbol, row);
  if (std::fprintf(export_file_, "%s\n", line.c_str()) < 0) {
    return Status::IoError("retention export " + export_dir_ + ": " + std::strerror(errno));
  }
  ++exported_;
  return Status::Ok();
}

Status RetentionStage::flush_export() {
  if (export_file_ != nullptr && std::fflush(export_file_) != 0) {
    return Status::IoError("retention export " + export_dir_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status RetentionStage::persist(const Minute& minute, StateTxn& txn) {
  if (keep_ns_ == 0) return Status::Ok();
  // The expiry reads the store: with the minute writer it runs on the
  // writer's thread inside the minute's transaction. What it touches (the
  // export file, the counters) the pipeline thread reads only in finish(),
  // after the last commit.
  const int64_t cutoff = minute.close->minute_ts_ns - keep_ns_;
  return txn.in_txn([this, cutoff](StateTxn& real) { return expire(real, cutoff); });
}

Status RetentionStage::expire(StateTxn& txn, int64_t cutoff) {
  size_t deleted = 0;
  StateStore::ExpireFn exporter;
  bool export_failed = false;
  if (export_) {
    exporter = [this, &export_failed](int64_t ts, std::string_view symbol, std::string_view value) {
      const Status es = export_row(ts, symbol, value);
      if (!es.ok()) {
        export_failed = true;
        if (should_log(++export_errors_)) {
          spdlog::warn("{}; expiry waits (the rows stay in the store) [{} so far]", es.message(),
                       export_errors_);
        }
      }
      return es;
    };
  }
  const Status st = ctx_->store->expire_snapshots(txn, cutoff, kMaxRowsPerMinute, exporter, &deleted);
  expired_ += deleted;
  if (export_failed) return Status::Ok();  // the rows not exported were not deleted
  if (!st.ok()) return st;                  // an LMDB error: the minute's transaction is spoiled
  // The exported rows are on disk before the minute (and their deletion) commits.
  const Status fs = deleted > 0 ? flush_export() : Status::Ok();
  if (!fs.ok()) return fs;
  return Status::Ok();
}

Status RetentionStage::finish() {
  if (keep_ns_ == 0) return Status::Ok();
  spdlog::info("retention: {} feature snapshot rows expired this run{}", expired_,
               export_ ? " (" + std::to_string(exported_) + " exported to " + export_dir_ + ")"
                       : std::string());
  return flush_export();
}

}  // namespace sh::host
