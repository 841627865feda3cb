#include "conveyor/feature_engine.h"

#include <cmath>

namespace sh::host {

FeatureState::FeatureState(const FeatureSet& set) : set_(&set) {
  columns_.reserve(set.size());
  for (const FeatureSpec& spec : set.specs()) columns_.push_back(make_indicator(spec));
}

size_t FeatureState::heap_bytes() const {
  size_t bytes = columns_.capacity() * sizeof(columns_[0]);
  for (const FeatureSpec& spec : set_->specs()) bytes += 64 + spec.lookback() * sizeof(double);
  return bytes;
}

void FeatureState::update(sh_feature_row& row, double* columns) {
  const double close = row.close;
  row.log_ret = std::isnan(prev_close_) ? kNullValue : std::log(close / prev_close_);
  prev_close_ = close;
  row.mom_20 = row.rv_5 = row.rsi_14 = row.atr_14 = row.ema_20 = kNullValue;
  for (size_t j = 0; j < columns_.size(); ++j) {
    const double v = columns_[j]->add(row);
    columns[j] = v;
    if (const auto field = set_->field(j)) row.*field = v;
  }
}

}  // namespace sh::host
