#include "conveyor/market_context.h"

#include <cmath>

#include "conveyor/indicators.h"

namespace sh::host {

sh_market_context build_market_context(int64_t minute_ts_ns, sh_symbol_id benchmark,
                                       sh_feature_row* rows, size_t count) {
  sh_market_context ctx{};
  ctx.struct_size = sizeof(sh_market_context);
  ctx.symbol_count = static_cast<uint32_t>(count);
  ctx.minute_ts_ns = minute_ts_ns;
  ctx.benchmark = benchmark;
  ctx.leader = SH_INVALID_SYMBOL;
  ctx.leader_ret = kNullValue;
  ctx.benchmark_ret = kNullValue;

  size_t with_ret = 0;
  size_t up = 0;
  double leader_abs = -1.0;
  for (size_t i = 0; i < count; ++i) {
    const sh_feature_row& r = rows[i];
    if (std::isnan(r.log_ret)) continue;
    ++with_ret;
    if (r.log_ret > 0.0) ++up;
    const double a = std::fabs(r.log_ret);
    // Strictly greater: an equal |log_ret| later (higher id) keeps the earlier
    // leader, and rows are visited in ascending id, so ties go to the lowest id.
    if (a > leader_abs || (a == leader_abs && r.symbol < ctx.leader)) {
      leader_abs = a;
      ctx.leader = r.symbol;
      ctx.leader_ret = r.log_ret;
    }
    if (r.symbol == benchmark && benchmark != SH_INVALID_SYMBOL) ctx.benchmark_ret = r.log_ret;
  }
  ctx.breadth = with_ret > 0 ? static_cast<double>(up) / with_ret : kNullValue;

  for (size_t i = 0; i < count; ++i) {
    sh_feature_row& r = rows[i];
    r.rs_benchmark = (std::isnan(r.log_ret) || std::isnan(ctx.benchmark_ret))
                         ? kNullValue
                         : r.log_ret - ctx.benchmark_ret;
  }
  return ctx;
}

}  // namespace sh::host
