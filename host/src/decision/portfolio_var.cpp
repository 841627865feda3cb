#include "decision/portfolio_var.h"

#include <cmath>
#include <cstddef>
#include <limits>

namespace sh::host {

double portfolio_var_pct(const sh_portfolio_state& portfolio, const std::vector<double>& last_rv5) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!(portfolio.equity_usd > 0) || !std::isfinite(portfolio.equity_usd)) return nan;
  double sum_sq = 0.0;
  const auto* base = reinterpret_cast<const unsigned char*>(portfolio.positions);
  for (uint32_t i = 0; i < portfolio.position_count && base != nullptr; ++i) {
    const size_t stride = portfolio.position_size ? portfolio.position_size : sizeof(sh_position);
    const auto* p = reinterpret_cast<const sh_position*>(base + size_t{i} * stride);
    if (p->symbol >= last_rv5.size()) continue;
    const double rv5 = last_rv5[p->symbol];
    if (!std::isfinite(rv5) || !std::isfinite(p->notional_usd)) continue;
    const double sigma_daily = rv5 * std::sqrt(1440.0);
    const double x = p->notional_usd * sigma_daily;
    sum_sq += x * x;
  }
  return 1.645 * std::sqrt(sum_sq) / portfolio.equity_usd * 100.0;
}

}  // namespace sh::host
