// feed_recovery: the output feeds (events.jsonl, the shadow and candidates
// files, decisions.jsonl, trades.csv) are written before the minute's LMDB
// transaction commits, so that a `kill -9` between the commit and the write
// cannot lose a committed minute's lines. A crash before the commit leaves
// lines of a minute the store never committed; at the next start
// trim_feed_after() removes them, so each feed holds exactly the committed
// minutes: nothing lost, nothing twice.
//
// Lines are in minute order. A line's minute is its "minute_ts_ns" field
// (JSON lines) or its second column (trades.csv: ts_ns of the filling close).
// Only the tail is read; trimming stops at the first line at or before
// `last_minute_ts_ns`, or at one whose minute cannot be read (a header, a
// foreign line): what is not understood is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "store/status.h"

namespace sh::host {

enum class FeedFormat { kJsonLines, kCsvTsSecondColumn };

// Truncates `file` after its last line whose minute is <= last_minute_ts_ns
// (a missing file is fine). *removed (optional) = lines removed.
Status trim_feed_after(const std::filesystem::path& file, FeedFormat format,
                       int64_t last_minute_ts_ns, size_t* removed);

}  // namespace sh::host
