// Cross-sectional market context of one minute close.
#ifndef SH_HOST_CONVEYOR_MARKET_CONTEXT_H
#define SH_HOST_CONVEYOR_MARKET_CONTEXT_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>

namespace sh::host {

// Computes the context over `rows` (one per symbol, ascending symbol id) and
// writes each row's rs_benchmark. Rows with a null log_ret take no part.
//   breadth       = rows with log_ret > 0 / rows with non-null log_ret (NaN if none)
//   leader        = symbol with the largest |log_ret|, ties to the lowest id
//                   (SH_INVALID_SYMBOL and leader_ret NaN if none)
//   benchmark_ret = the benchmark's log_ret in these rows, NaN if it has no row
//                   or no return
//   rs_benchmark  = log_ret - benchmark_ret (NaN if either is null)
// symbol_count is the number of rows.
sh_market_context build_market_context(int64_t minute_ts_ns, sh_symbol_id benchmark,
                                       sh_feature_row* rows, size_t count);

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_MARKET_CONTEXT_H
