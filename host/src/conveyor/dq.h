// Data-quality status of a closed row.
#ifndef SH_HOST_CONVEYOR_DQ_H
#define SH_HOST_CONVEYOR_DQ_H

#include <strategy_host/abi.h>

#include <cstdint>

namespace sh::host {

// What the bar builder knows about a row when it is closed.
struct DqInputs {
  bool has_previous_row;        // the symbol emitted a row before this one
  int64_t previous_row_end_ns;  // that row's minute_ts_ns + its interval
  int64_t row_start_ns;         // this row's minute_ts_ns
  uint32_t late_folded;         // late events folded into this row (LatePolicy::Fold)
  bool has_book;                // the symbol has had a BBO or L2 update at or before close
  double book_staleness_ns;     // close time - last book update (valid if has_book)
  int64_t stale_book_ns;        // ConveyorConfig::stale_book_ns
  bool no_trades;               // zero trades (or a zero-volume arrived bar) in the interval
  bool feed_gap = false;        // the provider flagged lost data (SH_EVENT_FLAG_GAP) since the last row
  bool clock_skew = false;      // receive clock: the smallest ingest lag is beyond max_clock_skew_ns
};

// The first rule that holds, in this order of precedence:
//   SH_DQ_GAP        the symbol has a previous row and this row does not start
//                    where that one ended (intervals are missing in between);
//                    a symbol's first-ever row is never a gap; or the
//                    provider flagged lost data (SH_EVENT_FLAG_GAP: a
//                    sequence or update-id gap, dropped frames) in an event
//                    since the previous row.
//   SH_DQ_CLOCK_SKEW the receive clock's offset (the smallest receive - event
//                    time seen) is beyond conveyor.max_clock_skew_ms: the
//                    minute closed on a host clock that disagrees with the
//                    exchange's (live modes only).
//   SH_DQ_LATE       late events were folded into this row's volume / VWAP /
//                    trade count (only with LatePolicy::Fold).
//   SH_DQ_STALE_BOOK the symbol has a book and its last update is more than
//                    stale_book_ns before the close. A symbol that never had a
//                    book (trades-only or bars-only feeds) is not stale: its
//                    book fields are null instead, which says the same thing
//                    without marking every row of such a feed as bad.
//   SH_DQ_NO_TRADES  no trades in the interval (the close is the BBO mid).
//   SH_DQ_OK         otherwise.
sh_dq_status classify_dq(const DqInputs& in);

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_DQ_H
