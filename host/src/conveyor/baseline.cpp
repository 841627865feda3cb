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

RollingBaseline::Score RollingBaseline::score(double x, size_t at_or_below) const {
  Score s{kNullValue, kNullValue};
  if (count_ >= warmup_ && count_ > 0) {
    const double sd = sample_std();
    if (sd > 0.0) s.z = (x - mean_) / sd;
    s.q = static_cast<double>(at_or_below) / count_;
  }
  return s;
}

RollingBaseline::Score RollingBaseline::score_and_add(double x) {
  if (std::isnan(x)) return Score{kNullValue, kNullValue};
  const double k = key(x);
  // Number of window keys <= k: both the rank and where k is inserted.
  const size_t at_or_below = upper_bound_index(sorted_.data(), sorted_.size(), k);
  const Score s = score(x, at_or_below);
  add(x, k, at_or_below);
  return s;
}

namespace {

// One binary search over sorted s[0, n): upper bound (first > key) or lower
// bound (first >= key), advanced a level at a time by search_all.
struct Search {
  const double* start;
  const double* base;
  size_t n;
  double key;
  bool upper;
  size_t index() const {
    if (n == 0) return 0;  // an empty window (n only reaches 1 otherwise)
    const bool past = upper ? *base <= key : *base < key;
    return static_cast<size_t>(base - start) + (past ? 1 : 0);
  }
};

// Every search one level per round: the loads of a round do not depend on
// each other, so their cache misses overlap.
void search_all(Search* s, size_t m) {
  for (bool more = true; more;) {
    more = false;
    for (size_t j = 0; j < m; ++j) {
      Search& q = s[j];
      if (q.n <= 1) continue;
      const size_t half = q.n / 2;
      const double v = q.base[half];
      q.base = (q.upper ? v <= q.key : v < q.key) ? q.base + half : q.base;
      q.n -= half;
      more = true;
    }
  }
}

}  // namespace

void RollingBaseline::score_and_add_many(RollingBaseline* const* windows, const double* xs,
                                         size_t count, Score* out) {
  Search searches[2 * kManyMax];
  size_t first[kManyMax];  // windows[i]'s first search; its eviction's is first + 1
  size_t m = 0;
  for (size_t i = 0; i < count; ++i) {
    RollingBaseline& w = *windows[i];
    first[i] = m;
    if (std::isnan(xs[i])) continue;
    const double* s = w.sorted_.data();
    const size_t n = w.sorted_.size();
    searches[m++] = Search{s, s, n, w.key(xs[i]), true};
    if (w.count_ >= w.window_) searches[m++] = Search{s, s, n, w.key(w.ring_[w.head_]), false};
  }
  search_all(searches, m);
  for (size_t i = 0; i < count; ++i) {
    RollingBaseline& w = *windows[i];
    const double x = xs[i];
    if (std::isnan(x)) {
      out[i] = Score{kNullValue, kNullValue};
      continue;
    }
    const size_t at_or_below = searches[first[i]].index();
    out[i] = w.score(x, at_or_below);
    if (w.count_ >= w.window_) {
      w.replace(x, searches[first[i]].key, at_or_below, searches[first[i] + 1].index());
    } else {
      w.add(x, searches[first[i]].key, at_or_below);
    }
  }
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

  replace(x, k, i_new, lower_bound_index(sorted_.data(), sorted_.size(), key(ring_[head_])));
}

void RollingBaseline::replace(double x, double k, size_t i_new, size_t i_old) {
  const double old = ring_[head_];
  ring_[head_] = x;
  head_ = (head_ + 1) % window_;

  // Replace old's key by k in sorted_ with one memmove over the keys between
  // them. i_new is the upper bound of k in the window that still holds old;
  // s[i_old] == key(old).
  double* s = sorted_.data();
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

void SymbolBaselines::score_and_add_many(SymbolBaselines* const* baselines,
                                         sh_feature_row* const* rows, size_t count) {
  RollingBaseline* windows[RollingBaseline::kManyMax] = {};
  double xs[RollingBaseline::kManyMax] = {};
  RollingBaseline::Score scores[RollingBaseline::kManyMax];
  for (size_t i = 0; i < count; ++i) {
    SymbolBaselines& b = *baselines[i];
    const sh_feature_row& row = *rows[i];
    windows[3 * i] = &b.ret;
    windows[3 * i + 1] = &b.volume;
    windows[3 * i + 2] = &b.spread;
    xs[3 * i] = row.log_ret;
    xs[3 * i + 1] = row.volume;
    xs[3 * i + 2] = row.spread_bps;
  }
  RollingBaseline::score_and_add_many(windows, xs, 3 * count, scores);
  for (size_t i = 0; i < count; ++i) {
    sh_feature_row& row = *rows[i];
    row.z_ret = scores[3 * i].z;
    row.q_ret = scores[3 * i].q;
    row.z_volume = scores[3 * i + 1].z;
    row.q_volume = scores[3 * i + 1].q;
    row.z_spread = scores[3 * i + 2].z;
    row.q_spread = scores[3 * i + 2].q;
  }
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
