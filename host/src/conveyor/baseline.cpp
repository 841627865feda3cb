#include "conveyor/baseline.h"

#include <cmath>
#include <cstring>

#include "conveyor/indicators.h"

namespace sh::host {
namespace {

// Index of the first element of sorted s[0, n) greater than key
// (std::upper_bound). Branch-free, and each step prefetches both possible
// next probes: at a close every symbol's window is cold in cache, and this
// overlaps the misses of successive steps instead of paying them in series.
size_t upper_bound_index(const double* s, size_t n, double key) {
  if (n == 0) return 0;
  const double* base = s;
  while (n > 1) {
    const size_t half = n / 2;
    __builtin_prefetch(base + half / 2);
    __builtin_prefetch(base + half + half / 2);
    base = (base[half] <= key) ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - s) + (*base <= key ? 1 : 0);
}

// Index of the first element not less than key (std::lower_bound), same scheme.
size_t lower_bound_index(const double* s, size_t n, double key) {
  if (n == 0) return 0;
  const double* base = s;
  while (n > 1) {
    const size_t half = n / 2;
    __builtin_prefetch(base + half / 2);
    __builtin_prefetch(base + half + half / 2);
    base = (base[half] < key) ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - s) + (*base < key ? 1 : 0);
}

}  // namespace

RollingBaseline::RollingBaseline(uint32_t window, uint32_t warmup, bool rank_abs)
    : window_(window < 1 ? 1 : window), warmup_(warmup), rank_abs_(rank_abs) {
  ring_.reserve(window_);
  sorted_.reserve(window_);
}

double RollingBaseline::key(double x) const { return rank_abs_ ? std::fabs(x) : x; }

double RollingBaseline::sample_std() const {
  if (count_ < 2) return kNullValue;
  return std::sqrt(m2_ / (count_ - 1));
}

size_t RollingBaseline::heap_bytes() const {
  return (ring_.capacity() + sorted_.capacity()) * sizeof(double);
}

RollingBaseline::Score RollingBaseline::score_and_add(double x) {
  Score s{kNullValue, kNullValue};
  if (std::isnan(x)) return s;
  const double k = key(x);
  // Number of window keys <= k: both the rank and where k is inserted.
  const size_t at_or_below = upper_bound_index(sorted_.data(), sorted_.size(), k);
  if (count_ >= warmup_ && count_ > 0) {
    const double sd = sample_std();
    if (sd > 0.0) s.z = (x - mean_) / sd;
    s.q = static_cast<double>(at_or_below) / count_;
  }
  add(x, k, at_or_below);
  return s;
}

void RollingBaseline::add(double x, double k, size_t i_new) {
  if (count_ < window_) {
    ring_.push_back(x);  // within the reserved capacity: no allocation
    sorted_.insert(sorted_.begin() + static_cast<ptrdiff_t>(i_new), k);
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / count_;
    m2_ += delta * (x - mean_);
    return;
  }

  const double old = ring_[head_];
  ring_[head_] = x;
  head_ = (head_ + 1) % window_;

  // Replace old's key by k in sorted_ with one memmove over the keys between
  // them. i_new is the upper bound of k in the window that still holds old.
  double* s = sorted_.data();
  const size_t i_old = lower_bound_index(s, sorted_.size(), key(old));  // s[i_old] == key(old)
  if (i_new <= i_old) {
    std::memmove(s + i_new + 1, s + i_new, (i_old - i_new) * sizeof(double));
    s[i_new] = k;
  } else {
    std::memmove(s + i_old, s + i_old + 1, (i_new - 1 - i_old) * sizeof(double));
    s[i_new - 1] = k;
  }

  const double old_mean = mean_;
  mean_ += (x - old) / count_;
  m2_ += (x - old) * (x - mean_ + old - old_mean);
  if (m2_ < 0.0) m2_ = 0.0;
  if (++evictions_since_recompute_ >= window_) recompute_moments();
}

void RollingBaseline::recompute_moments() {
  evictions_since_recompute_ = 0;
  double sum = 0.0;
  for (double v : ring_) sum += v;
  mean_ = sum / count_;
  double ss = 0.0;
  for (double v : ring_) ss += (v - mean_) * (v - mean_);
  m2_ = ss;
}

void SymbolBaselines::score_and_add(sh_feature_row& row) {
  const RollingBaseline::Score r = ret.score_and_add(row.log_ret);
  const RollingBaseline::Score v = volume.score_and_add(row.volume);
  const RollingBaseline::Score s = spread.score_and_add(row.spread_bps);
  row.z_ret = r.z;
  row.q_ret = r.q;
  row.z_volume = v.z;
  row.q_volume = v.q;
  row.z_spread = s.z;
  row.q_spread = s.q;
}

}  // namespace sh::host
