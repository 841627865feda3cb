// The configurable indicators of `features:` (feature_set.h), each one
// column, streaming over one symbol's rows. Definitions follow R's TTR
// package (tests/fixtures/features/ holds TTR's output on its `ttrc` series
// and tests/test_features_ttr.cpp checks agreement to 1e-12 relative):
//
//   sma(x, n)      TTR::SMA = runMean: a running sum of the last n inputs
//                  (added and dropped one at a time, as TTR's C code does),
//                  divided by n.
//   ema(x, n)      TTR::EMA(x, n, wilder): seeded with the simple mean of the
//                  first n inputs, then x * r + prev * (1 - r), r = 2 / (n + 1)
//                  (wilder: 1 / n). See indicators.h.
//   sd(x, n)       TTR::runSD(x, n, sample): two-pass over the window, n - 1
//                  (sample, default) or n (population) denominator.
//   rsi(x, n)      TTR::RSI(x, n): Wilder averages of gains and losses.
//   atr(n)         TTR::ATR(HLC, n)[, "atr"]: Wilder average of the true range.
//   mom(x, n)      TTR::ROC(x, n, type = "discrete"): x / x[n ago] - 1.
//   min/max(x, n)  TTR::runMin / runMax: the extreme of the last n inputs.
//   bbands(x, n, k) TTR::BBands(x, n, sd = k): middle = SMA(x, n), sigma =
//                  runSD(x, n, sample = FALSE) (population), upper/lower =
//                  middle +- k * sigma, pctb = (x - lower) / (upper - lower).
//   macd(x, fast, slow, signal) TTR::MACD(x, fast, slow, signal, percent):
//                  macd = 100 * (EMA(x, fast) / EMA(x, slow) - 1) (percent,
//                  TTR's default) or EMA(fast) - EMA(slow); signal =
//                  EMA(macd, signal); hist = macd - signal.
//   vwap_dev(n)    close / TTR::VWAP(close, volume, n) - 1, VWAP =
//                  runSum(close * volume, n) / runSum(volume, n); null when
//                  the window's volume is 0.
//
// A null input (the first row's log_ret, a spread without a book) is not a
// sample: the indicator's state is unchanged and the column is null on that
// row (TTR drops leading NAs the same way). Warm-up rows are null.
#ifndef SH_HOST_CONVEYOR_ROLLING_INDICATORS_H
#define SH_HOST_CONVEYOR_ROLLING_INDICATORS_H

#include <strategy_host/abi.h>

#include <memory>

#include "conveyor/feature_set.h"

namespace sh::host {

class ColumnIndicator {
 public:
  virtual ~ColumnIndicator() = default;
  // Consumes the row (its raw bar, log_ret and spread_bps are set) and
  // returns the column's value, NaN while warming up or on a null input.
  virtual double add(const sh_feature_row& row) = 0;
};

std::unique_ptr<ColumnIndicator> make_indicator(const FeatureSpec& spec);

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_ROLLING_INDICATORS_H
