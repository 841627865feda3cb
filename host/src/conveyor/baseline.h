// Rolling per-symbol baselines: z-scores and quantile ranks of a feature
// against its own recent history.
#ifndef SH_HOST_CONVEYOR_BASELINE_H
#define SH_HOST_CONVEYOR_BASELINE_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef SH_BASELINE_BLOCK
#define SH_BASELINE_BLOCK 32
#endif

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
// Cost: the sorted rank keys live in blocks of kBlock keys (each block sorted,
// the blocks in order, per-block largest key and count in a small header), so
// an update touches the header, the block the new key goes to, the block the
// evicted key leaves and one ring slot: about a dozen cache lines, instead of
// a binary search plus a memmove over up to the whole window (at a close
// every symbol's windows are cold in cache, so lines touched is the cost).
// The rank of x is the keys of the blocks wholly <= x plus a count inside one
// block. A block that would overflow makes the keys be redistributed evenly
// over all blocks (O(window), rare: blocks keep about a third free).
// Mean and sum of squared deviations are updated in O(1) and recomputed
// exactly from the window every `window` evictions, so rounding drift stays
// bounded. Memory: window doubles (ring) + about 1.5 * window doubles
// (blocks), reserved up front; nothing is allocated after construction.
class RollingBaseline {
 public:
  struct Score {
    double z;
    double q;
  };

  RollingBaseline(uint32_t window, uint32_t warmup, bool rank_abs);
  RollingBaseline(RollingBaseline&&) noexcept = default;
  RollingBaseline& operator=(RollingBaseline&&) noexcept = default;
  RollingBaseline(const RollingBaseline&) = delete;
  RollingBaseline& operator=(const RollingBaseline&) = delete;

  Score score_and_add(double x);

  uint32_t count() const { return count_; }
  double mean() const { return mean_; }
  double sample_std() const;
  // Starts loading what the next score_and_add reads first (block header,
  // the ring slot it writes), so that several symbols' misses overlap.
  void prefetch() const;
  // Heap bytes held (ring, blocks and their header).
  size_t heap_bytes() const;

 private:
  static constexpr uint32_t kBlock = SH_BASELINE_BLOCK;  // keys per block

  double key(double x) const;
  void recompute_moments();
  // Number of keys <= k; *block = first block whose largest key is > k
  // (nblocks_ if none), *in_block = keys <= k in that block.
  uint32_t rank(double k, uint32_t* block, uint32_t* in_block) const;
  void insert_key(double k);
  void erase_key(double k);
  void set_block_max(uint32_t b);
  void rebalance();
  double* block_keys(uint32_t b) { return keys_ + static_cast<size_t>(b) * kBlock; }
  const double* block_keys(uint32_t b) const { return keys_ + static_cast<size_t>(b) * kBlock; }

  uint32_t window_;
  uint32_t warmup_;
  bool rank_abs_;
  uint32_t nblocks_;
  uint32_t count_ = 0;
  uint32_t head_ = 0;  // ring slot of the oldest value once the window is full
  uint32_t evictions_since_recompute_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;  // sum of squared deviations from mean_
  // One buffer: per-block largest key (nblocks_; an empty block repeats the
  // previous block's, -inf before any, so the column never decreases), the
  // ring of values in arrival order (window_), then the blocks (nblocks_ *
  // kBlock keys, 64-byte aligned, ascending; unused slots +inf).
  std::vector<double> buf_;
  std::vector<uint8_t> bcnt_;  // per block: keys held
  double* bmax_ = nullptr;
  double* ring_ = nullptr;
  double* keys_ = nullptr;
};

// The baselines one symbol keeps: log_ret (z on the signed value, q on
// |log_ret|), volume and spread_bps.
struct SymbolBaselines {
  SymbolBaselines(uint32_t window, uint32_t warmup)
      : ret(window, warmup, true), volume(window, warmup, false), spread(window, warmup, false) {}

  // Reads row.log_ret, volume, spread_bps; writes z_ret, z_volume, z_spread,
  // q_ret, q_volume, q_spread; then adds the row to the baselines.
  void score_and_add(sh_feature_row& row);
  size_t heap_bytes() const { return ret.heap_bytes() + volume.heap_bytes() + spread.heap_bytes(); }
  void prefetch() const {
    ret.prefetch();
    volume.prefetch();
    spread.prefetch();
  }

  RollingBaseline ret;
  RollingBaseline volume;
  RollingBaseline spread;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_BASELINE_H
