#include "conveyor/feature_set.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <sstream>

namespace sh::host {
namespace {

const char* const kIndicators[] = {"sma", "ema", "sd",     "rsi",  "atr",     "mom",
                                   "min", "max", "bbands", "macd", "vwap_dev"};
const char* const kInputs[] = {"close", "open",    "high",       "low",    "volume",
                               "vwap",  "log_ret", "spread_bps", "typical"};
const char* const kOutputs[] = {"value", "upper", "middle", "lower", "pctb", "macd", "signal", "hist"};

struct Legacy {
  const char* name;
  double sh_feature_row::*field;
};
const Legacy kLegacy[] = {{"mom_20", &sh_feature_row::mom_20},
                          {"rv_5", &sh_feature_row::rv_5},
                          {"rsi_14", &sh_feature_row::rsi_14},
                          {"atr_14", &sh_feature_row::atr_14},
                          {"ema_20", &sh_feature_row::ema_20}};

const char* const kRowFields[] = {
    "struct_size", "symbol",     "minute_ts_ns", "dq",           "late_events", "open",
    "high",        "low",        "close",        "volume",       "vwap",        "trade_count",
    "log_ret",     "spread_bps", "l2_imbalance", "book_staleness_ms", "ingest_lag_ms",
    "z_ret",       "z_volume",   "z_spread",     "q_ret",        "q_volume",    "q_spread",
    "rs_benchmark"};

template <size_t N, typename E>
bool parse_enum(const char* const (&names)[N], const std::string& text, E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

std::string number(double v) {
  std::ostringstream os;
  os << std::setprecision(17) << v;
  return os.str();
}

FeatureSpec legacy_spec(const char* name, IndicatorKind kind, FeatureInput input, uint32_t n) {
  FeatureSpec s;
  s.name = name;
  s.kind = kind;
  s.input = input;
  s.window = n;
  return s;
}

}  // namespace

const char* indicator_name(IndicatorKind kind) { return kIndicators[static_cast<size_t>(kind)]; }
const char* input_name(FeatureInput input) { return kInputs[static_cast<size_t>(input)]; }
const char* output_name(FeatureOutput output) { return kOutputs[static_cast<size_t>(output)]; }
bool parse_indicator(const std::string& text, IndicatorKind* kind) { return parse_enum(kIndicators, text, kind); }
bool parse_input(const std::string& text, FeatureInput* input) { return parse_enum(kInputs, text, input); }
bool parse_output(const std::string& text, FeatureOutput* output) { return parse_enum(kOutputs, text, output); }
std::vector<std::string> indicator_names() { return {std::begin(kIndicators), std::end(kIndicators)}; }
std::vector<std::string> input_names() { return {std::begin(kInputs), std::end(kInputs)}; }

double sh_feature_row::*legacy_field(const std::string& name) {
  for (const Legacy& l : kLegacy) {
    if (name == l.name) return l.field;
  }
  return nullptr;
}

bool is_row_field_name(const std::string& name) {
  return std::find(std::begin(kRowFields), std::end(kRowFields), name) != std::end(kRowFields);
}

std::string FeatureSpec::signature() const {
  std::string s = name + "=" + indicator_name(kind) + "(";
  switch (kind) {
    case IndicatorKind::kAtr:
      s += "hlc";
      break;
    case IndicatorKind::kVwapDev:
      s += "close,volume";
      break;
    default:
      s += input_name(input);
  }
  if (kind == IndicatorKind::kMacd) {
    s += ",fast=" + std::to_string(fast) + ",slow=" + std::to_string(slow) +
         ",signal=" + std::to_string(signal) + ",percent=" + (percent ? "true" : "false");
  } else {
    s += ",n=" + std::to_string(window);
  }
  if (kind == IndicatorKind::kEma) s += std::string(",wilder=") + (wilder ? "true" : "false");
  if (kind == IndicatorKind::kSd) s += std::string(",sample=") + (sample ? "true" : "false");
  if (kind == IndicatorKind::kBbands) s += ",k=" + number(k);
  if (output != FeatureOutput::kValue) s += std::string(",output=") + output_name(output);
  return s + ")";
}

uint64_t FeatureSpec::lookback() const {
  switch (kind) {
    case IndicatorKind::kEma:
    case IndicatorKind::kRsi:
    case IndicatorKind::kAtr:
      return 2;
    case IndicatorKind::kMacd:
      return 4;
    case IndicatorKind::kVwapDev:
      return 2ull * window;
    default:
      return uint64_t{window} + 1;
  }
}

std::string validate_feature_spec(const FeatureSpec& s) {
  const std::string& n = s.name;
  if (n.empty() || n.size() > 48 || !(n[0] >= 'a' && n[0] <= 'z') ||
      !std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; })) {
    return "name '" + n + "' is not a column name ([a-z][a-z0-9_]*, at most 48 characters)";
  }
  if (is_row_field_name(n)) {
    return "name '" + n + "' is a fixed field of the feature row; choose another column name";
  }
  auto window_ok = [](uint32_t w, uint32_t lo) { return w >= lo && w <= kMaxFeatureWindow; };
  if (s.kind == IndicatorKind::kMacd) {
    if (!window_ok(s.fast, 1)) return "fast must be in 1.." + std::to_string(kMaxFeatureWindow);
    if (!window_ok(s.slow, 1)) return "slow must be in 1.." + std::to_string(kMaxFeatureWindow);
    if (!window_ok(s.signal, 1)) return "signal must be in 1.." + std::to_string(kMaxFeatureWindow);
    if (s.fast >= s.slow) return "fast (" + std::to_string(s.fast) + ") must be shorter than slow (" + std::to_string(s.slow) + ")";
  } else {
    const uint32_t lo = s.kind == IndicatorKind::kSd || s.kind == IndicatorKind::kBbands ? 2 : 1;
    if (!window_ok(s.window, lo)) {
      return "window must be in " + std::to_string(lo) + ".." + std::to_string(kMaxFeatureWindow) +
             " for " + indicator_name(s.kind) + ", not " + std::to_string(s.window);
    }
  }
  if (s.kind == IndicatorKind::kBbands && !(s.k > 0.0 && s.k <= 100.0)) return "k must be in (0, 100]";
  const bool bands = s.output == FeatureOutput::kUpper || s.output == FeatureOutput::kMiddle ||
                     s.output == FeatureOutput::kLower || s.output == FeatureOutput::kPctB;
  const bool macd = s.output == FeatureOutput::kMacd || s.output == FeatureOutput::kSignal ||
                    s.output == FeatureOutput::kHist;
  if (s.kind == IndicatorKind::kBbands && !bands) return "bbands output must be upper, middle, lower or pctb";
  if (s.kind == IndicatorKind::kMacd && !macd) return "macd output must be macd, signal or hist";
  if (s.kind != IndicatorKind::kBbands && s.kind != IndicatorKind::kMacd && s.output != FeatureOutput::kValue) {
    return std::string("output applies to bbands and macd only, not ") + indicator_name(s.kind);
  }
  if (const auto field = legacy_field(n)) {
    for (const FeatureSpec& d : FeatureSet::default_set()->specs()) {
      if (d.name == n && d.signature() != s.signature()) {
        return "column '" + n + "' is the row field of today's default set; it must be " +
               d.signature().substr(n.size() + 1) + " (name another definition differently)";
      }
    }
    (void)field;
  }
  return {};
}

FeatureSet::FeatureSet(std::vector<FeatureSpec> specs) : specs_(std::move(specs)) {
  for (size_t j = 0; j < specs_.size(); ++j) {
    name_ptrs_.push_back(specs_[j].name.c_str());
    fields_.push_back(legacy_field(specs_[j].name));
    if (fields_.back() == nullptr) extra_.push_back(static_cast<uint32_t>(j));
    signature_ += (j ? ";" : "") + specs_[j].signature();
  }
}

std::shared_ptr<const FeatureSet> FeatureSet::default_set() {
  static const std::shared_ptr<const FeatureSet> kDefault = std::make_shared<const FeatureSet>(
      std::vector<FeatureSpec>{legacy_spec("mom_20", IndicatorKind::kMom, FeatureInput::kClose, 20),
                               legacy_spec("rv_5", IndicatorKind::kSd, FeatureInput::kLogRet, 5),
                               legacy_spec("rsi_14", IndicatorKind::kRsi, FeatureInput::kClose, 14),
                               legacy_spec("atr_14", IndicatorKind::kAtr, FeatureInput::kClose, 14),
                               legacy_spec("ema_20", IndicatorKind::kEma, FeatureInput::kClose, 20)});
  return kDefault;
}

int FeatureSet::index_of(const std::string& name) const {
  for (size_t j = 0; j < specs_.size(); ++j) {
    if (specs_[j].name == name) return static_cast<int>(j);
  }
  return -1;
}

}  // namespace sh::host
