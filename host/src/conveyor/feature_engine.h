// Per-symbol raw price features of closed rows: log_ret and the configured
// feature columns (feature_set.h; today's default set mom_20, rv_5, rsi_14,
// atr_14, ema_20). Definitions in rolling_indicators.h.
#ifndef SH_HOST_CONVEYOR_FEATURE_ENGINE_H
#define SH_HOST_CONVEYOR_FEATURE_ENGINE_H

#include <strategy_host/abi.h>

#include <memory>
#include <vector>

#include "conveyor/feature_set.h"
#include "conveyor/indicators.h"
#include "conveyor/rolling_indicators.h"

namespace sh::host {

// History of one symbol's rows. Every emitted row (trade bar, mid_close or
// arrived bar) is one step; a gap in minutes is not filled in, so the first
// row after a gap returns over the whole gap (its dq says gap).
class FeatureState {
 public:
  explicit FeatureState(const FeatureSet& set);

  // Reads row.high/low/close (finite, > 0), volume, vwap and spread_bps;
  // writes row.log_ret, the set's columns into columns[0..set.size()) and
  // the legacy row fields (mom_20, rv_5, rsi_14, atr_14, ema_20) of the
  // columns that have one (the others stay null); NaN where history is
  // still too short.
  void update(sh_feature_row& row, double* columns);
  // Heap bytes held (the indicators and their windows).
  size_t heap_bytes() const;

 private:
  const FeatureSet* set_;
  double prev_close_ = kNullValue;
  std::vector<std::unique_ptr<ColumnIndicator>> columns_;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_FEATURE_ENGINE_H
