// Parametric 1-day 95% VaR of a portfolio, the risk chain's var_pct input.
#pragma once

#include <vector>

#include "strategy_host/abi.h"

namespace sh::host {

// VaR as a percentage of equity:
//
//   VaR% = 1.645 * sqrt(sum_i (notional_i * sigma_daily_i)^2) / equity * 100
//   sigma_daily_i = rv_5_i * sqrt(1440)
//
// rv_5_i is the symbol's latest per-minute log-return standard deviation
// (the feature row's rv_5; last_rv5 by symbol id, NaN = none yet), scaled to
// a day of 1440 minutes (square-root of time). Symbols are assumed
// independent (no correlation terms), so this understates VaR for
// correlated books. A position whose symbol has no finite rv_5 yet is
// skipped. No open position: 0. Equity <= 0 or not finite: NaN (unknown).
double portfolio_var_pct(const sh_portfolio_state& portfolio, const std::vector<double>& last_rv5);

}  // namespace sh::host
