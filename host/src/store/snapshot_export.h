// Export of stored feature rows as CSV or JSON Lines (behind the CLI's
// `host snapshot --symbol S --from T --to T --format csv|jsonl`).
//
// Columns / keys, in this order (ABI field names of sh_feature_row):
//   minute (ISO-8601 UTC), minute_ts_ns, symbol (the name), dq (ok|
//   stale_book|no_trades|gap|late), late_events, open, high, low, close,
//   volume, vwap, trade_count, log_ret, mom_20, rv_5, rsi_14, atr_14, ema_20,
//   spread_bps, l2_imbalance, book_staleness_ms, ingest_lag_ms, z_ret,
//   z_volume, z_spread, q_ret, q_volume, q_spread, rs_benchmark
// Doubles are shortest round-trip decimal text; null (NaN) is an empty CSV
// cell or JSON null. CSV has a header row and "\n" line ends; JSONL one
// object per line. Output is a pure function of the stored rows.
#ifndef SH_HOST_STORE_SNAPSHOT_EXPORT_H
#define SH_HOST_STORE_SNAPSHOT_EXPORT_H

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include <strategy_host/abi.h>

#include "store/status.h"

namespace sh::host {

class StateStore;

enum class SnapshotFormat { kCsv, kJsonl };

// "csv" or "jsonl".
Status parse_snapshot_format(std::string_view text, SnapshotFormat* format);

// Writes the rows of `symbol` with from_ns <= minute_ts_ns < to_ns
// (half-open: `--from 2024-01-02 --to 2024-01-03` is exactly one day), in time
// order. CSV always gets its header row, even with no rows. Fails with
// Status::IoError if the stream goes bad.
Status export_snapshots(const StateStore& store, const std::string& symbol, int64_t from_ns,
                        int64_t to_ns, SnapshotFormat format, std::ostream& out);

// The pieces, for callers that render rows they already hold.
std::string snapshot_csv_header();  // no trailing newline
std::string format_snapshot_csv(std::string_view symbol, const sh_feature_row& row);
std::string format_snapshot_json(std::string_view symbol, const sh_feature_row& row);

}  // namespace sh::host

#endif  // SH_HOST_STORE_SNAPSHOT_EXPORT_H
