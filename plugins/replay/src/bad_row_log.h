// bad_row_log.h: accounting for skipped input rows. Every skipped row adds 1
// to the host counter "bad_rows.<reason>" and, for the first log_limit rows
// of each reason in each file, logs a WARN line
//
//   FILE:LINE: reason (field) detail
//
// At the end of a file that had any bad rows, one WARN summary line gives the
// per-reason counts, including the rows that were not logged one by one.
#ifndef SH_REPLAY_BAD_ROW_LOG_H
#define SH_REPLAY_BAD_ROW_LOG_H

#include <strategy_host/plugin.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace replay {

enum class BadRow : uint8_t {
  kColumnCount,    // CSV: field count differs from the header's
  kMalformedJson,  // JSONL: not one flat JSON object
  kMissingField,   // a required field is absent or empty
  kBadTimestamp,   // ts / recv_ts unparseable or out of int64-ns range
  kNonNumeric,     // a numeric field holds text
  kNonFinite,      // NaN, inf, or overflow
  kBadSide,        // side not recognised (or empty for L2)
  kBadLevel,       // L2 level not a non-negative integer
  kBadPrice,       // price <= 0
  kBadSize,        // size <= 0 (< 0 for L2 and bar volume)
  kCrossedBook,    // quote bid >= ask
  kBadBar,         // high < low, or open / close outside [low, high]
  kUnknownSymbol,  // symbol absent from the configured allow-list
  kOutOfOrder,     // ts older than an earlier accepted row of the same symbol
  kFutureTs,       // ts too far ahead (see file_source.h)
  kLineTooLong,    // a line longer than LineReader::kMaxLineBytes
  kBadSymbol,      // symbol the host refuses (over 256 bytes, control characters)
  kCount
};

// The counter suffix and log token of a reason ("crossed_book").
const char* bad_row_name(BadRow r);

// Counter ids for every reason, registered once per instance.
class BadRowCounters {
 public:
  explicit BadRowCounters(const sh::Host& host);
  uint32_t id(BadRow r) const { return ids_[static_cast<size_t>(r)]; }

 private:
  std::array<uint32_t, static_cast<size_t>(BadRow::kCount)> ids_{};
};

// The bad-row record of one input file.
class BadRowLog {
 public:
  BadRowLog(const sh::Host& host, const BadRowCounters& counters, std::string file_label,
            uint32_t log_limit);

  // Counts a skipped row; logs it while under the per-reason limit. detail
  // may be empty; it is written after the field.
  void report(uint64_t line, BadRow reason, std::string_view field, std::string_view detail);
  // Logs the per-file summary line once (no-op if the file had no bad rows).
  void finish();

  uint64_t total() const { return total_; }

 private:
  sh::Host host_;
  const BadRowCounters& counters_;
  std::string label_;
  uint32_t log_limit_;
  std::array<uint64_t, static_cast<size_t>(BadRow::kCount)> counts_{};
  uint64_t total_ = 0;
  bool finished_ = false;
};

}  // namespace replay

#endif  // SH_REPLAY_BAD_ROW_LOG_H
