// The configured feature columns (config `features:`): which indicator, on
// which input, with which windows, under which column name. The set is the
// schema of every feature row (sh_feature_batch.column_names, the store's
// features_snapshot values); definitions of the indicators in
// rolling_indicators.h and the README ("Features").
#ifndef SH_HOST_CONVEYOR_FEATURE_SET_H
#define SH_HOST_CONVEYOR_FEATURE_SET_H

#include <strategy_host/abi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sh::host {

enum class FeatureInput : uint8_t {
  kClose, kOpen, kHigh, kLow, kVolume, kVwap, kLogRet, kSpreadBps, kTypical
};
enum class IndicatorKind : uint8_t {
  kSma, kEma, kSd, kRsi, kAtr, kMom, kMin, kMax, kBbands, kMacd, kVwapDev
};
// Which series of a multi-output indicator the column holds.
enum class FeatureOutput : uint8_t { kValue, kUpper, kMiddle, kLower, kPctB, kMacd, kSignal, kHist };

struct FeatureSpec {
  std::string name;  // the column name: [a-z][a-z0-9_]*, at most 48 characters
  IndicatorKind kind = IndicatorKind::kSma;
  FeatureInput input = FeatureInput::kClose;
  uint32_t window = 0;           // n (sma, ema, sd, rsi, atr, mom, min, max, bbands, vwap_dev)
  uint32_t fast = 12, slow = 26, signal = 9;  // macd
  double k = 2.0;                // bbands: band width in (population) standard deviations
  bool wilder = false;           // ema: ratio 1/n instead of 2/(n+1)
  bool sample = true;            // sd: n - 1 (sample) or n (population) denominator
  bool percent = true;           // macd: 100 * (fast / slow - 1) (TTR's default) or fast - slow
  FeatureOutput output = FeatureOutput::kValue;

  // Canonical text, e.g. "rsi_14=rsi(close,n=14)": the store records the
  // set's signature (every column's, in order) and refuses another one.
  std::string signature() const;
  // Values each symbol buffers for this column (the per-symbol memory bound).
  uint64_t lookback() const;
};

// Names of the enumerators as written in the config.
const char* indicator_name(IndicatorKind kind);
const char* input_name(FeatureInput input);
const char* output_name(FeatureOutput output);
bool parse_indicator(const std::string& text, IndicatorKind* kind);
bool parse_input(const std::string& text, FeatureInput* input);
bool parse_output(const std::string& text, FeatureOutput* output);
std::vector<std::string> indicator_names();
std::vector<std::string> input_names();

// The row field of a column of today's default set (mom_20, rv_5, rsi_14,
// atr_14, ema_20), nullptr for any other name.
double sh_feature_row::*legacy_field(const std::string& name);
// Fixed sh_feature_row fields a column may not be named after (open, close,
// z_ret, ...; the five legacy columns are allowed with their definition).
bool is_row_field_name(const std::string& name);

class FeatureSet {
 public:
  explicit FeatureSet(std::vector<FeatureSpec> specs);
  // Today's set, with today's names and values: mom_20, rv_5, rsi_14,
  // atr_14, ema_20 (in that order).
  static std::shared_ptr<const FeatureSet> default_set();

  const std::vector<FeatureSpec>& specs() const { return specs_; }
  size_t size() const { return specs_.size(); }
  // NUL-terminated names, one per column (sh_feature_batch.column_names).
  const char* const* name_ptrs() const { return name_ptrs_.data(); }
  // -1 if no column has this name.
  int index_of(const std::string& name) const;
  // Every column's signature, joined by ';'.
  const std::string& signature() const { return signature_; }
  // Row field of column j (legacy columns) or nullptr.
  double sh_feature_row::*field(size_t j) const { return fields_[j]; }
  // Columns without a row field: the ones the store appends to a row.
  const std::vector<uint32_t>& extra_columns() const { return extra_; }

 private:
  std::vector<FeatureSpec> specs_;
  std::vector<const char*> name_ptrs_;
  std::vector<double sh_feature_row::*> fields_;
  std::vector<uint32_t> extra_;
  std::string signature_;
};

// "" if the spec is usable, else what is wrong (names the key: "window
// must be in 1..2000", ...). Duplicates are a property of the set.
std::string validate_feature_spec(const FeatureSpec& spec);
constexpr uint32_t kMaxFeatureWindow = 2000;
constexpr uint64_t kMaxFeatureLookback = 4096;  // per symbol, over all columns (32 KiB)
constexpr size_t kMaxFeatureColumns = 64;

}  // namespace sh::host

#endif  // SH_HOST_CONVEYOR_FEATURE_SET_H
