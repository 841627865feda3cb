#include "conveyor/baseline.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "conveyor/indicators.h"

namespace sh::host {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

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
      bmax_(nblocks_, kMinusInf),
      bcnt_(nblocks_, 0),
      keys_(static_cast<size_t>(nblocks_) * kBlock, 0.0) {
  ring_.reserve(window_);
}

double RollingBaseline::key(double x) const { return rank_abs_ ? std::fabs(x) : x; }

double RollingBaseline::sample_std() const {
  if (count_ < 2) return kNullValue;
  return std::sqrt(m2_ / (count_ - 1));
}

size_t RollingBaseline::heap_bytes() const {
  return (ring_.capacity() + bmax_.capacity() + keys_.capacity()) * sizeof(double) +
         bcnt_.capacity() * sizeof(uint32_t);
}

uint32_t RollingBaseline::rank(double k, uint32_t* block, uint32_t* in_block) const {
  // Empty blocks have bmax -inf, so they are passed over (adding 0); the
  // first block with a larger key than k ends the scan: every non-empty block
  // after it holds only keys >= its largest.
  uint32_t below = 0;
  uint32_t b = 0;
  while (b < nblocks_ && bmax_[b] <= k) below += bcnt_[b++];
  uint32_t in = 0;
  if (b < nblocks_) {
    const double* s = block_keys(b);
    const uint32_t n = bcnt_[b];
    for (uint32_t i = 0; i < n; ++i) in += s[i] <= k ? 1u : 0u;
  }
  *block = b;
  *in_block = in;
  return below + in;
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
      bcnt_[b] = n + 1;
      bmax_[b] = s[n];
      return;
    }
    rebalance();  // leaves every block with room
  }
}

void RollingBaseline::erase_key(double k) {
  // The first non-empty block whose largest key is >= k holds k (earlier
  // blocks' keys are all < k, later blocks' all >= this block's largest).
  uint32_t b = 0;
  while (bcnt_[b] == 0 || bmax_[b] < k) ++b;
  double* s = block_keys(b);
  const uint32_t n = bcnt_[b];
  uint32_t i = 0;
  for (uint32_t j = 0; j < n; ++j) i += s[j] < k ? 1u : 0u;  // s[i] == k
  std::memmove(s + i, s + i + 1, (n - 1 - i) * sizeof(double));
  bcnt_[b] = n - 1;
  bmax_[b] = n > 1 ? s[n - 2] : kMinusInf;
}

void RollingBaseline::rebalance() {
  // Gather all keys at the front (each block moves down or stays)...
  uint32_t total = 0;
  for (uint32_t b = 0; b < nblocks_; ++b) {
    std::memmove(keys_.data() + total, block_keys(b), bcnt_[b] * sizeof(double));
    total += bcnt_[b];
  }
  // ...then spread them evenly, last block first (each block moves up or stays).
  const uint32_t per = total / nblocks_, extra = total % nblocks_;
  uint32_t end = total;
  for (uint32_t b = nblocks_; b-- > 0;) {
    const uint32_t n = per + (b < extra ? 1u : 0u);
    end -= n;
    std::memmove(block_keys(b), keys_.data() + end, n * sizeof(double));
    bcnt_[b] = n;
    bmax_[b] = n > 0 ? block_keys(b)[n - 1] : kMinusInf;
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
    ring_.push_back(x);  // within the reserved capacity: no allocation
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
