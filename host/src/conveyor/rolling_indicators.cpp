#include "conveyor/rolling_indicators.h"

#include <cmath>
#include <vector>

#include "conveyor/indicators.h"

namespace sh::host {
namespace {

double input_of(const sh_feature_row& r, FeatureInput in) {
  switch (in) {
    case FeatureInput::kClose: return r.close;
    case FeatureInput::kOpen: return r.open;
    case FeatureInput::kHigh: return r.high;
    case FeatureInput::kLow: return r.low;
    case FeatureInput::kVolume: return r.volume;
    case FeatureInput::kVwap: return r.vwap;
    case FeatureInput::kLogRet: return r.log_ret;
    case FeatureInput::kSpreadBps: return r.spread_bps;
    case FeatureInput::kTypical: {
      // As R's mean() of the row (TTR::BBands: apply(HLC, 1, mean)): a long
      // double mean, refined by the mean of the residuals, then rounded.
      long double m = (static_cast<long double>(r.high) + r.low + r.close) / 3.0L;
      const long double t = (r.high - m) + (r.low - m) + (r.close - m);
      m += t / 3.0L;
      return static_cast<double>(m);
    }
  }
  return kNullValue;
}

// The last n inputs in a ring; slot(i) in storage order, back(k) k inputs ago.
class Ring {
 public:
  explicit Ring(uint32_t n) : buf_(n, 0.0) {}
  // Stores x; returns the input it replaced (NaN while not full).
  double push(double x) {
    const double old = full() ? buf_[head_] : kNullValue;
    buf_[head_] = x;
    head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
    if (count_ < buf_.size()) ++count_;
    return old;
  }
  bool full() const { return count_ == buf_.size(); }
  size_t size() const { return buf_.size(); }
  double slot(size_t i) const { return buf_[i]; }
  // The oldest stored input (the next one push replaces); full rings only.
  double oldest() const { return buf_[head_]; }

 private:
  std::vector<double> buf_;
  size_t head_ = 0;
  size_t count_ = 0;
};

// A single-input indicator: skips null inputs.
class OnInput : public ColumnIndicator {
 public:
  explicit OnInput(FeatureInput in) : in_(in) {}
  double add(const sh_feature_row& row) final {
    const double x = input_of(row, in_);
    return std::isnan(x) ? kNullValue : on(x);
  }

 protected:
  virtual double on(double x) = 0;

 private:
  FeatureInput in_;
};

// TTR's runSum: the first sum over n inputs, then + new - dropped.
class RunSum {
 public:
  explicit RunSum(uint32_t n) : ring_(n) {}
  double add(double x) {
    const double dropped = ring_.push(x);
    if (std::isnan(dropped)) {
      sum_ += x;
      return ring_.full() ? sum_ : kNullValue;
    }
    sum_ = sum_ + x - dropped;
    return sum_;
  }
  const Ring& ring() const { return ring_; }

 private:
  Ring ring_;
  double sum_ = 0.0;
};

class Sma final : public OnInput {
 public:
  Sma(FeatureInput in, uint32_t n) : OnInput(in), sum_(n), n_(n) {}
  double on(double x) override { return sum_.add(x) / n_; }

 private:
  RunSum sum_;
  double n_;
};

// Two-pass standard deviation of a full ring (storage order, as the default
// set's rv_5 always did, so its values stay bit for bit).
double ring_std(const Ring& ring, bool sample) {
  const size_t n = ring.size();
  double mean = 0.0;
  for (size_t i = 0; i < n; ++i) mean += ring.slot(i);
  mean /= static_cast<double>(n);
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += (ring.slot(i) - mean) * (ring.slot(i) - mean);
  return std::sqrt(ss / static_cast<double>(sample ? n - 1 : n));
}

class Sd final : public OnInput {
 public:
  Sd(FeatureInput in, uint32_t n, bool sample) : OnInput(in), ring_(n), sample_(sample) {}
  double on(double x) override {
    ring_.push(x);
    return ring_.full() ? ring_std(ring_, sample_) : kNullValue;
  }

 private:
  Ring ring_;
  bool sample_;
};

class Ema final : public OnInput {
 public:
  Ema(FeatureInput in, uint32_t n, bool wilder)
      : OnInput(in), ema_(wilder ? SeededEma::wilder(n) : SeededEma::classic(n)) {}
  double on(double x) override { return ema_.add(x); }

 private:
  SeededEma ema_;
};

class RsiColumn final : public OnInput {
 public:
  RsiColumn(FeatureInput in, uint32_t n) : OnInput(in), rsi_(n) {}
  double on(double x) override { return rsi_.add(x); }

 private:
  Rsi rsi_;
};

class AtrColumn final : public ColumnIndicator {
 public:
  explicit AtrColumn(uint32_t n) : atr_(n) {}
  double add(const sh_feature_row& r) override { return atr_.add(r.high, r.low, r.close); }

 private:
  Atr atr_;
};

class Mom final : public OnInput {
 public:
  Mom(FeatureInput in, uint32_t n) : OnInput(in), ring_(n + 1) {}
  double on(double x) override {
    ring_.push(x);
    return ring_.full() ? x / ring_.oldest() - 1.0 : kNullValue;
  }

 private:
  Ring ring_;  // n + 1 inputs: the oldest is the one n rows ago
};

class Extreme final : public OnInput {
 public:
  Extreme(FeatureInput in, uint32_t n, bool is_max) : OnInput(in), ring_(n), max_(is_max) {}
  double on(double x) override {
    ring_.push(x);
    if (!ring_.full()) return kNullValue;
    double v = ring_.slot(0);
    for (size_t i = 1; i < ring_.size(); ++i) {
      const double s = ring_.slot(i);
      if (max_ ? s > v : s < v) v = s;
    }
    return v;
  }

 private:
  Ring ring_;
  bool max_;
};

class Bbands final : public OnInput {
 public:
  Bbands(FeatureInput in, uint32_t n, double k, FeatureOutput out)
      : OnInput(in), sum_(n), n_(n), k_(k), out_(out) {}
  double on(double x) override {
    const double mid = sum_.add(x) / n_;
    if (std::isnan(mid)) return kNullValue;
    const double sigma = ring_std(sum_.ring(), false);
    const double up = mid + k_ * sigma;
    const double dn = mid - k_ * sigma;
    switch (out_) {
      case FeatureOutput::kUpper: return up;
      case FeatureOutput::kMiddle: return mid;
      case FeatureOutput::kLower: return dn;
      default: return up > dn ? (x - dn) / (up - dn) : kNullValue;  // pctb; flat window: 0/0
    }
  }

 private:
  RunSum sum_;
  double n_;
  double k_;
  FeatureOutput out_;
};

class Macd final : public OnInput {
 public:
  Macd(FeatureInput in, const FeatureSpec& s)
      : OnInput(in), fast_(SeededEma::classic(s.fast)), slow_(SeededEma::classic(s.slow)),
        signal_(SeededEma::classic(s.signal)), percent_(s.percent), out_(s.output) {}
  double on(double x) override {
    const double f = fast_.add(x);
    const double s = slow_.add(x);
    if (std::isnan(f) || std::isnan(s)) return kNullValue;
    const double macd = percent_ ? 100.0 * (f / s - 1.0) : f - s;
    if (std::isnan(macd)) return kNullValue;
    const double sig = signal_.add(macd);
    if (out_ == FeatureOutput::kMacd) return macd;
    if (out_ == FeatureOutput::kSignal) return sig;
    return macd - sig;
  }

 private:
  SeededEma fast_, slow_, signal_;
  bool percent_;
  FeatureOutput out_;
};

class VwapDev final : public ColumnIndicator {
 public:
  explicit VwapDev(uint32_t n) : pv_(n), v_(n) {}
  double add(const sh_feature_row& r) override {
    if (std::isnan(r.close) || std::isnan(r.volume)) return kNullValue;
    const double pv = pv_.add(r.close * r.volume);
    const double v = v_.add(r.volume);
    if (std::isnan(pv) || !(v > 0.0)) return kNullValue;
    return r.close / (pv / v) - 1.0;
  }

 private:
  RunSum pv_, v_;
};

}  // namespace

std::unique_ptr<ColumnIndicator> make_indicator(const FeatureSpec& s) {
  switch (s.kind) {
    case IndicatorKind::kSma: return std::make_unique<Sma>(s.input, s.window);
    case IndicatorKind::kEma: return std::make_unique<Ema>(s.input, s.window, s.wilder);
    case IndicatorKind::kSd: return std::make_unique<Sd>(s.input, s.window, s.sample);
    case IndicatorKind::kRsi: return std::make_unique<RsiColumn>(s.input, s.window);
    case IndicatorKind::kAtr: return std::make_unique<AtrColumn>(s.window);
    case IndicatorKind::kMom: return std::make_unique<Mom>(s.input, s.window);
    case IndicatorKind::kMin: return std::make_unique<Extreme>(s.input, s.window, false);
    case IndicatorKind::kMax: return std::make_unique<Extreme>(s.input, s.window, true);
    case IndicatorKind::kBbands: return std::make_unique<Bbands>(s.input, s.window, s.k, s.output);
    case IndicatorKind::kMacd: return std::make_unique<Macd>(s.input, s);
    case IndicatorKind::kVwapDev: return std::make_unique<VwapDev>(s.window);
  }
  return nullptr;
}

}  // namespace sh::host
