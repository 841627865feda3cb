#include "conveyor/baseline.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "conveyor/indicators.h"

namespace sh::host {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
constexpr double kPlusInf = std::numeric_limits<double>::infinity();

// Blocks are sized so that an even redistribution of a full window leaves
// about a third of every block free.
uint32_t block_count(uint32_t window, uint32_t block) {
  const uint64_t want = (static_cast<uint64_t>(window) * 3 / 2 + block - 1) / block;
  // At least enough that window / nblocks <= block - 1 after redistribution.
  const uint64_t least = (static_cast<uint64_t>(window) + block - 2) / (block - 1);
  const uint64_t n = want > least ? want : least;
  return static_cast<uint32_t>(n < 1 ? 1 : n);
}

}  // namespace

RollingBaseline::RollingBaseline(uint32_t window, uint32_t warmup, bool rank_abs)
    : window_(window < 1 ? 1 : window),
      warmup_(warmup),
      rank_abs_(rank_abs),
      nblocks_(block_count(window_, kBlock)),
      bcnt_(nblocks_, 0) {
  static_assert(kBlock >= 2 && kBlock <= 255, "block counts are uint8_t");
  const size_t head = static_cast<size_t>(nblocks_) + window_;
  const size_t keys = static_cast<size_t>(nblocks_) * kBlock;
  buf_.assign(head + 8 + keys, kPlusInf);  // + 8: room to align the blocks to 64 bytes
  bmax_ = buf_.data();
  ring_ = bmax_ + nblocks_;
  const auto addr = reinterpret_cast<uintptr_t>(ring_ + window_);
  keys_ = reinterpret_cast<double*>((addr + 63) & ~uintptr_t{63});
  for (uint32_t b = 0; b < nblocks_; ++b) bmax_[b] = kMinusInf;
}

double RollingBaseline::key(double x) const { return rank_abs_ ? std::fabs(x) : x; }

double RollingBaseline::sample_std() const {
  if (count_ < 2) return kNullValue;
  return std::sqrt(m2_ / (count_ - 1));
}

size_t RollingBaseline::heap_bytes() const {
  return buf_.capacity() * sizeof(double) + bcnt_.capacity() * sizeof(uint8_t);
}

void RollingBaseline::prefetch() const {
  for (uint32_t i = 0; i < nblocks_; i += 8) __builtin_prefetch(bmax_ + i);
  __builtin_prefetch(bcnt_.data());
  __builtin_prefetch(ring_ + (count_ < window_ ? count_ : head_), 1);
}

uint32_t RollingBaseline::rank(double k, uint32_t* block, uint32_t* in_block) const {
  // bmax_ never decreases, so the blocks wholly <= k are a prefix: count them
  // and their keys without branches (empty blocks add 0 keys).
  uint32_t below = 0;
  uint32_t b = 0;
  const uint8_t* cnt = bcnt_.data();
  for (uint32_t j = 0; j < nblocks_; ++j) {
    const uint32_t le = bmax_[j] <= k ? 1u : 0u;
    b += le;
    below += cnt[j] & (0u - le);
  }
  uint32_t in = 0;
  if (b < nblocks_) {
    // Unused slots are +inf: they count only when k is +inf, and then so
    // does every key of the block.
    const double* s = block_keys(b);
    for (uint32_t i = 0; i < kBlock; ++i) in += s[i] <= k ? 1u : 0u;
    if (in > cnt[b]) in = cnt[b];
  }
  *block = b;
  *in_block = in;
  return below + in;
}

void RollingBaseline::set_block_max(uint32_t b) {
  const uint32_t n = bcnt_[b];
  double m = n > 0 ? block_keys(b)[n - 1] : (b > 0 ? bmax_[b - 1] : kMinusInf);
  bmax_[b] = m;
  // Empty blocks after b repeat it.
  for (uint32_t j = b + 1; j < nblocks_ && bcnt_[j] == 0; ++j) bmax_[j] = m;
}

void RollingBaseline::insert_key(double k) {
  for (;;) {
    uint32_t b = 0, pos = 0;
    rank(k, &b, &pos);
    // k goes into block b at pos, unless it falls between two blocks (pos 0):
    // then at the end of the block before, if that one is emptier.
    if (pos == 0 && b > 0 && (b == nblocks_ || bcnt_[b - 1] < bcnt_[b])) {
      --b;
      pos = bcnt_[b];
    }
    if (bcnt_[b] < kBlock) {
      double* s = block_keys(b);
      const uint32_t n = bcnt_[b];
      std::memmove(s + pos + 1, s + pos, (n - pos) * sizeof(double));
      s[pos] = k;
      bcnt_[b] = static_cast<uint8_t>(n + 1);
      if (pos == n) set_block_max(b);
      return;
    }
    rebalance();  // leaves every block with room
  }
}

void RollingBaseline::erase_key(double k) {
  // Removes the last copy of k, i.e. from where insert_key would put
  // another one, so that a run of equal keys (common: volumes, spreads in
  // ticks) does not drift from block to block and force rebalancing.
  uint32_t b = 0, in = 0;
  rank(k, &b, &in);
  uint32_t i = 0;
  if (b < nblocks_ && in > 0) {
    i = in - 1;  // the block's last key <= k is k: an earlier block cannot hold it
  } else {
    do --b; while (bcnt_[b] == 0);  // the last non-empty block <= k ends with k
    i = bcnt_[b] - 1u;
  }
  double* s = block_keys(b);
  const uint32_t n = bcnt_[b];
  std::memmove(s + i, s + i + 1, (n - 1 - i) * sizeof(double));
  s[n - 1] = kPlusInf;
  bcnt_[b] = static_cast<uint8_t>(n - 1);
  if (i == n - 1) set_block_max(b);
}

void RollingBaseline::rebalance() {
  // Gather all keys at the front (each block moves down or stays)...
  uint32_t total = 0;
  for (uint32_t b = 0; b < nblocks_; ++b) {
    std::memmove(keys_ + total, block_keys(b), bcnt_[b] * sizeof(double));
    total += bcnt_[b];
  }
  // ...then spread them evenly, last block first (each block moves up or stays).
  const uint32_t per = total / nblocks_, extra = total % nblocks_;
  uint32_t end = total;
  for (uint32_t b = nblocks_; b-- > 0;) {
    const uint32_t n = per + (b < extra ? 1u : 0u);
    end -= n;
    double* s = block_keys(b);
    std::memmove(s, keys_ + end, n * sizeof(double));
    for (uint32_t i = n; i < kBlock; ++i) s[i] = kPlusInf;
    bcnt_[b] = static_cast<uint8_t>(n);
  }
  for (uint32_t b = 0; b < nblocks_; ++b) {
    const uint32_t n = bcnt_[b];
    bmax_[b] = n > 0 ? block_keys(b)[n - 1] : (b > 0 ? bmax_[b - 1] : kMinusInf);
  }
}

RollingBaseline::Score RollingBaseline::score_and_add(double x) {
  Score s{kNullValue, kNullValue};
  if (std::isnan(x)) return s;
  const double k = key(x);
  uint32_t b = 0, in = 0;
  const uint32_t at_or_below = rank(k, &b, &in);  // number of window keys <= k
  if (count_ >= warmup_ && count_ > 0) {
    const double sd = sample_std();
    if (sd > 0.0) s.z = (x - mean_) / sd;
    s.q = static_cast<double>(at_or_below) / count_;
  }

  if (count_ < window_) {
    ring_[count_] = x;
    insert_key(k);
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / count_;
    m2_ += delta * (x - mean_);
    return s;
  }

  const double old = ring_[head_];
  ring_[head_] = x;
  head_ = (head_ + 1) % window_;
  erase_key(key(old));
  insert_key(k);

  const double old_mean = mean_;
  mean_ += (x - old) / count_;
  m2_ += (x - old) * (x - mean_ + old - old_mean);
  if (m2_ < 0.0) m2_ = 0.0;
  if (++evictions_since_recompute_ >= window_) recompute_moments();
  return s;
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
