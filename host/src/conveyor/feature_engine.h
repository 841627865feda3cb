// Per-symbol raw price features of closed rows: log_ret, mom_20, rv_5, rsi_14,
// atr_14, ema_20 (definitions and TTR conventions in indicators.h).
#ifndef SH_HOST_CONVEYOR_FEATURE_ENGINE_H
#define SH_HOST_CONVEYOR_FEATURE_ENGINE_H

#include <strategy_host/abi.h>

#include "conveyor/indicators.h"

namespace sh::host {

// History of one symbol's rows. Every emitted row (trade bar, mid_close or
// arrived bar) is one step; a gap in minutes is not filled in, so the first
// row after a gap returns over the whole gap (its dq says gap).
class FeatureState {
 public:
  // Reads row.high/low/close (finite, > 0) and writes row.log_ret, mom_20,
  // rv_5, rsi_14, atr_14 and ema_20; NaN where history is still too short.
  void update(sh_feature_row& row);

 private:
  double prev_close_ = kNullValue;
  Lookback<20> closes_;
  RollingSampleStd<5> rv_5_;
  Rsi rsi_14_{14};
  Atr atr_14_{14};
  SeededEma ema_20_ = SeededEma::classic(20);
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_FEATURE_ENGINE_H
