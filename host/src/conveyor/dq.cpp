#include "conveyor/dq.h"

namespace sh::host {

sh_dq_status classify_dq(const DqInputs& in) {
  if (in.feed_gap) return SH_DQ_GAP;
  if (in.has_previous_row && in.row_start_ns > in.previous_row_end_ns) return SH_DQ_GAP;
  if (in.clock_skew) return SH_DQ_CLOCK_SKEW;
  if (in.late_folded > 0) return SH_DQ_LATE;
  if (in.has_book && in.book_staleness_ns > static_cast<double>(in.stale_book_ns)) {
    return SH_DQ_STALE_BOOK;
  }
  if (in.no_trades) return SH_DQ_NO_TRADES;
  return SH_DQ_OK;
}

}  // namespace sh::host
