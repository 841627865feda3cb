#include "conveyor/baseline.h"

#include <cmath>
#include <cstring>

#include "conveyor/indicators.h"

namespace sh::host {
RollingBaseline::RollingBaseline(uint32_t window, uint32_t warmup, bool rank_abs, ZeroPages* pages)
    : window_(window < 1 ? 1 : window), warmup_(warmup), rank_abs_(rank_abs) {
  const size_t n = size_t{2} * window_;
  if (pages != nullptr) {
    ring_ = static_cast<double*>(pages->allocate(n * sizeof(double)));
  } else {
    own_.reset(new double[n]);
    ring_ = own_.get();
  }
  sorted_ = ring_ + window_;
}

double RollingBaseline::key(double x) const { return rank_abs_ ? std::fabs(x) : x; }

double RollingBaseline::sample_std() const {
  if (count_ < 2) return kNullValue;
  return std::sqrt(m2_ / (count_ - 1));
}

size_t RollingBaseline::heap_bytes() const {
  return size_t{2} * window_ * sizeof(double);
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
  RollingBaseline* self = this;
  Score s;
  score_and_add_many(&self, &x, 1, &s);
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
    const double* s = w.sorted_;
    const size_t n = w.count_;
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
    // Number of window keys <= key(x): both the rank and where it goes.
    const size_t at_or_below = searches[first[i]].index();
    out[i] = w.score(x, at_or_below);
    if (w.count_ >= w.window_) {
      w.replace(x, searches[first[i]].key, at_or_below, searches[first[i] + 1].index());
    } else {
      w.append(x, searches[first[i]].key, at_or_below);
    }
  }
}

void RollingBaseline::append(double x, double k, size_t i_new) {
  ring_[count_] = x;
  std::memmove(sorted_ + i_new + 1, sorted_ + i_new, (count_ - i_new) * sizeof(double));
  sorted_[i_new] = k;
  ++count_;
  const double delta = x - mean_;
  mean_ += delta / count_;
  m2_ += delta * (x - mean_);
}

void RollingBaseline::replace(double x, double k, size_t i_new, size_t i_old) {
  const double old = ring_[head_];
  ring_[head_] = x;
  head_ = (head_ + 1) % window_;

  // Replace old's key by k in sorted_ with one memmove over the keys between
  // them. i_new is the upper bound of k in the window that still holds old;
  // s[i_old] == key(old).
  double* s = sorted_;
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
  for (uint32_t i = 0; i < count_; ++i) sum += ring_[i];
  mean_ = sum / count_;
  double ss = 0.0;
  for (uint32_t i = 0; i < count_; ++i) ss += (ring_[i] - mean_) * (ring_[i] - mean_);
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

}  // namespace sh::host
