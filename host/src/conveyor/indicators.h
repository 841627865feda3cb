// Streaming technical indicators over one symbol's closed bars.
//
// Each type consumes one value per closed row and reports NaN (null) until it
// has enough history. Definitions follow R's TTR package (and TA-Lib, which
// uses the same seeds); tests/data/ttr/reference.csv holds TTR's output on a
// fixed series and tests/test_conveyor_features.cpp checks agreement to 1e-9
// relative:
//
//   SeededEma(n, ratio) = TTR::EMA(x, n, wilder): the first value is the simple
//     mean of the first n inputs; afterwards v = x * ratio + v_prev * (1 - ratio)
//     with ratio = 2 / (n + 1) (EMA) or 1 / n (Wilder). The update is written
//     exactly as TTR's C code does so the rounding agrees too.
//   Rsi(14) = TTR::RSI(close, 14): Wilder averages of gains and losses, each
//     seeded with the simple mean of the first 14 changes (TA-Lib's seed as
//     well). 100 * up / (up + down); NaN when there was no movement at all.
//   Atr(14) = TTR::ATR(HLC, 14): Wilder average of the true range
//     max(high, prev close) - min(low, prev close). The first bar has no
//     previous close and no true range, so the seed is the mean of bars 2..15.
//   RollingSampleStd(5) = TTR::runSD(x, 5): sample (n - 1) standard deviation
//     of the last n inputs, computed two-pass from the window on every call so
//     no running-sum drift accumulates.
//   Lookback(20): the input n bars ago, for ROC(type = "discrete").
//
// All of these are fixed-size values: no allocation, safe to keep one per
// symbol in a vector.
#ifndef SH_HOST_CONVEYOR_INDICATORS_H
#define SH_HOST_CONVEYOR_INDICATORS_H

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sh::host {

inline constexpr double kNullValue = std::numeric_limits<double>::quiet_NaN();

// EMA seeded with the simple mean of its first n inputs (see file comment).
class SeededEma {
 public:
  SeededEma(uint32_t n, double ratio) : n_(n), ratio_(ratio) {}
  static SeededEma classic(uint32_t n) { return SeededEma(n, 2.0 / (n + 1.0)); }
  static SeededEma wilder(uint32_t n) { return SeededEma(n, 1.0 / n); }

  // Adds x and returns the average, or NaN while fewer than n inputs were seen.
  double add(double x) {
    if (seen_ < n_) {
      seed_sum_ += x / n_;  // TTR sums x / n term by term; same rounding
      if (++seen_ < n_) return kNullValue;
      value_ = seed_sum_;
      return value_;
    }
    value_ = x * ratio_ + value_ * (1.0 - ratio_);
    return value_;
  }
  double value() const { return seen_ >= n_ ? value_ : kNullValue; }

 private:
  uint32_t n_;
  uint32_t seen_ = 0;
  double ratio_;
  double seed_sum_ = 0.0;
  double value_ = 0.0;
};

// The last N + 1 inputs; at(N) is the input N bars before the newest.
template <uint32_t N>
class Lookback {
 public:
  void add(double x) {
    head_ = (head_ + 1) % (N + 1);
    buf_[head_] = x;
    if (count_ < N + 1) ++count_;
  }
  // The input `back` bars ago (0 = newest), NaN if not seen yet. back <= N.
  double at(uint32_t back) const {
    if (back >= count_) return kNullValue;
    return buf_[(head_ + (N + 1) - back) % (N + 1)];
  }

 private:
  std::array<double, N + 1> buf_{};
  uint32_t head_ = N;
  uint32_t count_ = 0;
};

// Sample standard deviation of the last N inputs (TTR::runSD).
template <uint32_t N>
class RollingSampleStd {
  static_assert(N >= 2, "sample std needs two values");

 public:
  // Adds x and returns the std of the last N inputs, NaN until N were seen.
  double add(double x) {
    buf_[head_] = x;
    head_ = (head_ + 1) % N;
    if (count_ < N) ++count_;
    if (count_ < N) return kNullValue;
    double mean = 0.0;
    for (double v : buf_) mean += v;
    mean /= N;
    double ss = 0.0;
    for (double v : buf_) ss += (v - mean) * (v - mean);
    return std::sqrt(ss / (N - 1));
  }

 private:
  std::array<double, N> buf_{};
  uint32_t head_ = 0;
  uint32_t count_ = 0;
};

// Wilder RSI over closes (TTR::RSI with its default maType).
class Rsi {
 public:
  explicit Rsi(uint32_t n) : up_(SeededEma::wilder(n)), down_(SeededEma::wilder(n)) {}

  // Adds a close and returns the RSI in 0..100, NaN until n changes were seen.
  double add(double close) {
    if (std::isnan(prev_close_)) {
      prev_close_ = close;
      return kNullValue;
    }
    const double change = close - prev_close_;
    prev_close_ = close;
    const double up = up_.add(change > 0 ? change : 0.0);
    const double down = down_.add(change < 0 ? -change : 0.0);
    if (std::isnan(up)) return kNullValue;
    const double total = up + down;
    if (!(total > 0.0)) return kNullValue;  // no movement: RSI undefined (TTR: 0/0)
    return 100.0 * up / total;
  }

 private:
  SeededEma up_;
  SeededEma down_;
  double prev_close_ = kNullValue;
};

// Wilder ATR (TTR::ATR with its default maType), price units.
class Atr {
 public:
  explicit Atr(uint32_t n) : avg_(SeededEma::wilder(n)) {}

  double add(double high, double low, double close) {
    if (std::isnan(prev_close_)) {
      prev_close_ = close;
      return kNullValue;
    }
    const double true_high = high > prev_close_ ? high : prev_close_;
    const double true_low = low < prev_close_ ? low : prev_close_;
    prev_close_ = close;
    return avg_.add(true_high - true_low);
  }

 private:
  SeededEma avg_;
  double prev_close_ = kNullValue;
};

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_INDICATORS_H
