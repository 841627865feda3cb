// Rolling per-symbol baselines: z-scores and quantile ranks of a feature
// against its own recent history.
#ifndef SH_HOST_CONVEYOR_BASELINE_H
#define SH_HOST_CONVEYOR_BASELINE_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "conveyor/zero_pages.h"

namespace sh::host {

// The last `window` non-null values of one feature of one symbol.
//
// score_and_add(x) first scores x against the window as it is, then adds x,
// so a spike is measured against history that does not yet include it:
//   z = (x - mean) / sample_std over the window (n - 1 denominator)
//   q = (number of window values v with rank_key(v) <= rank_key(x)) / n
// where rank_key is |v| when rank_abs (used for |log_ret|) and v otherwise.
// Both are NaN until the window holds `warmup` values, and z is NaN while the
// window's std is 0 (a constant feature cannot be normalised). NaN inputs are
// scored NaN and not added.
//
// Cost: O(log n) rank by binary search in a sorted copy of the window (one
// search for x, which also gives its insert position, one for the evicted
// value); the sorted copy is updated by one memmove over the keys between the
// evicted and the inserted one. Mean and sum of squared deviations are updated in
// O(1) and recomputed exactly from the window every `window` evictions, so
// rounding drift stays bounded. Memory: 2 * window doubles, taken at
// construction (from `pages` when given: see ZeroPages); nothing is
// allocated after it.
class RollingBaseline {
 public:
  struct Score {
    double z;
    double q;
  };

  RollingBaseline(uint32_t window, uint32_t warmup, bool rank_abs, ZeroPages* pages = nullptr);

  Score score_and_add(double x);

  // score_and_add(xs[i]) on *windows[i] for every i < count (distinct
  // windows), with the same results, but the rank searches of all of them
  // run interleaved, a level of every search at a time. At a close every
  // window is cold in cache and each probe of a lone binary search waits for
  // the one before it; interleaved, the misses of different windows are in
  // flight together. count <= kManyMax.
  static constexpr size_t kManyMax = 32;
  static void score_and_add_many(RollingBaseline* const* windows, const double* xs, size_t count,
                                 Score* out);

  uint32_t count() const { return count_; }
  double mean() const { return mean_; }
  double sample_std() const;
  // Heap bytes held (the two window buffers).
  size_t heap_bytes() const;

 private:
  // While the window fills: adds x (rank key k) given i_new = number of
  // window keys <= k.
  void append(double x, double k, size_t i_new);
  // The score of x against the window as it is, given at_or_below = number
  // of window keys <= its rank key.
  Score score(double x, size_t at_or_below) const;
  // Once the window is full: x replaces the oldest value, whose key is at
  // sorted_[i_old] (its lower bound).
  void replace(double x, double k, size_t i_new, size_t i_old);
  double key(double x) const;
  void recompute_moments();

  uint32_t window_;
  uint32_t warmup_;
  bool rank_abs_;
  uint32_t count_ = 0;
  uint32_t head_ = 0;  // ring slot of the oldest value once the window is full
  uint32_t evictions_since_recompute_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;             // sum of squared deviations from mean_
  std::unique_ptr<double[]> own_;  // the storage when no pages were given
  double* ring_;    // count_ values in arrival order (a ring once full)
  double* sorted_;  // rank keys of ring_'s values, ascending (count_ of them)
};

// The baselines one symbol keeps: log_ret (z on the signed value, q on
// |log_ret|), volume and spread_bps.
struct SymbolBaselines {
  SymbolBaselines(uint32_t window, uint32_t warmup, ZeroPages* pages = nullptr)
      : ret(window, warmup, true, pages),
        volume(window, warmup, false, pages),
        spread(window, warmup, false, pages) {}

  // For rows[i] on *baselines[i], i < count <= kManyMax: reads log_ret,
  // volume, spread_bps; writes z_ret, z_volume, z_spread, q_ret, q_volume,
  // q_spread; then adds the rows to the baselines. The rank searches of all
  // 3 x count windows run interleaved (RollingBaseline::score_and_add_many).
  static constexpr size_t kManyMax = RollingBaseline::kManyMax / 3;
  static void score_and_add_many(SymbolBaselines* const* baselines, sh_feature_row* const* rows,
                                 size_t count);
  size_t heap_bytes() const { return ret.heap_bytes() + volume.heap_bytes() + spread.heap_bytes(); }

  RollingBaseline ret;
  RollingBaseline volume;
  RollingBaseline spread;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_BASELINE_H
