#include "conveyor/feature_engine.h"

#include <cmath>

namespace sh::host {

void FeatureState::update(sh_feature_row& row) {
  const double close = row.close;
  row.log_ret = std::isnan(prev_close_) ? kNullValue : std::log(close / prev_close_);
  prev_close_ = close;

  closes_.add(close);
  const double close_20_ago = closes_.at(20);
  row.mom_20 = std::isnan(close_20_ago) ? kNullValue : close / close_20_ago - 1.0;

  // runSD over log returns: the first row has no return and is not a sample.
  row.rv_5 = std::isnan(row.log_ret) ? kNullValue : rv_5_.add(row.log_ret);
  row.rsi_14 = rsi_14_.add(close);
  row.atr_14 = atr_14_.add(row.high, row.low, close);
  row.ema_20 = ema_20_.add(close);
}

}  // namespace sh::host
