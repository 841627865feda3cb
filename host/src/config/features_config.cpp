#include "config/features_config.h"

#include <map>
#include <string>
#include <vector>

#include "config/config_keys.h"
#include "config/config_source.h"
#include "services/text_util.h"

namespace sh::host {
namespace {

std::vector<std::string> allowed_keys(IndicatorKind kind) {
  std::vector<std::string> keys = {"name", "indicator"};
  if (kind != IndicatorKind::kAtr && kind != IndicatorKind::kVwapDev) keys.push_back("input");
  if (kind == IndicatorKind::kMacd) {
    for (const char* k : {"fast", "slow", "signal", "percent", "output"}) keys.push_back(k);
  } else {
    keys.push_back("window");
  }
  if (kind == IndicatorKind::kEma) keys.push_back("wilder");
  if (kind == IndicatorKind::kSd) keys.push_back("sample");
  if (kind == IndicatorKind::kBbands) {
    keys.push_back("k");
    keys.push_back("output");
  }
  return keys;
}

std::string scalar(const HostConfig& cfg, const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) throw ConfigError(cfg.message_at(n, where + ": expected a scalar"));
  return n.Scalar();
}

template <typename T>
T number(const HostConfig& cfg, const YAML::Node& item, const char* key, const std::string& where, T fallback) {
  const YAML::Node n = item[key];
  if (!n) return fallback;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(cfg.message_at(n, where + "." + key + " has the wrong type (expected " +
                                            (std::is_same<T, bool>::value ? "true or false" : "a number") +
                                            ", got '" + (n.IsScalar() ? n.Scalar() : "a map or list") + "')"));
  }
}

// A window as written: an integer, range-checked by validate_feature_spec.
uint32_t window(const HostConfig& cfg, const YAML::Node& item, const char* key, const std::string& where,
                uint32_t fallback) {
  const YAML::Node n = item[key];
  if (!n) return fallback;
  long long v = 0;
  try {
    v = n.as<long long>();
  } catch (const YAML::Exception&) {
    throw ConfigError(cfg.message_at(n, where + "." + key + " must be a whole number of rows, not '" +
                                            (n.IsScalar() ? n.Scalar() : "a map or list") + "'"));
  }
  if (v < 0 || v > 1000000) {
    throw ConfigError(cfg.message_at(n, where + "." + key + " must be in 1.." +
                                            std::to_string(kMaxFeatureWindow) + ", not " + std::to_string(v)));
  }
  return static_cast<uint32_t>(v);
}

FeatureSpec parse_one(const HostConfig& cfg, const YAML::Node& item, const std::string& where) {
  if (!item.IsMap()) {
    throw ConfigError(cfg.message_at(item, where + ": expected a map (name, indicator, input, window, ...)"));
  }
  FeatureSpec s;
  if (!item["indicator"]) throw ConfigError(cfg.message_at(item, where + ": missing 'indicator' (one of: " + join(indicator_names()) + ")"));
  const std::string ind = scalar(cfg, item["indicator"], where + ".indicator");
  if (!parse_indicator(ind, &s.kind)) {
    throw ConfigError(cfg.message_at(item["indicator"], unknown_key_message(ind, where + ".indicator", indicator_names())
                                                            .replace(0, 11, "unknown indicator")));
  }
  check_known_keys(item, cfg.source(), where + " (" + ind + ")", allowed_keys(s.kind));
  if (!item["name"]) throw ConfigError(cfg.message_at(item, where + ": missing 'name' (the column name)"));
  s.name = scalar(cfg, item["name"], where + ".name");
  if (item["input"]) {
    const std::string in = scalar(cfg, item["input"], where + ".input");
    if (!parse_input(in, &s.input)) {
      throw ConfigError(cfg.message_at(item["input"], "unknown input '" + in + "' in " + where + ".input (expected one of: " + join(input_names()) + ")"));
    }
  }
  if (s.kind == IndicatorKind::kMacd) {
    s.fast = window(cfg, item, "fast", where, s.fast);
    s.slow = window(cfg, item, "slow", where, s.slow);
    s.signal = window(cfg, item, "signal", where, s.signal);
    s.percent = number<bool>(cfg, item, "percent", where, true);
    s.output = FeatureOutput::kMacd;
  } else {
    if (!item["window"]) throw ConfigError(cfg.message_at(item, where + ": missing 'window' (rows)"));
    s.window = window(cfg, item, "window", where, 0);
  }
  if (s.kind == IndicatorKind::kBbands) s.output = FeatureOutput::kPctB;
  s.wilder = number<bool>(cfg, item, "wilder", where, false);
  s.sample = number<bool>(cfg, item, "sample", where, true);
  s.k = number<double>(cfg, item, "k", where, 2.0);
  if (item["output"]) {
    const std::string out = scalar(cfg, item["output"], where + ".output");
    if (!parse_output(out, &s.output)) {
      throw ConfigError(cfg.message_at(item["output"], "unknown output '" + out + "' in " + where + ".output"));
    }
  }
  const std::string problem = validate_feature_spec(s);
  if (!problem.empty()) {
    // At the key the problem names, when it is in the file. (Never assign
    // one YAML::Node to another: that writes into the document.)
    auto at = [&]() -> YAML::Node {
      if (problem.compare(0, 4, "name") == 0 || problem.compare(0, 6, "column") == 0) return item["name"];
      for (const char* key : {"window", "fast", "slow", "signal", "k ", "output"}) {
        const std::string k = std::string(key) == "k " ? "k" : key;
        if (problem.compare(0, std::string(key).size(), key) == 0 && item[k]) return item[k];
      }
      return item;
    };
    throw ConfigError(cfg.message_at(at(), where + " (" + s.name + "): " + problem));
  }
  return s;
}

}  // namespace

std::shared_ptr<const FeatureSet> parse_features(const HostConfig& cfg, const YAML::Node& root) {
  if (!root.IsMap() || !root["features"]) return FeatureSet::default_set();
  const YAML::Node list = root["features"];
  if (!list.IsSequence()) {
    throw ConfigError(cfg.message_at(list, "features: expected a list of columns (- name: ..., indicator: ..., window: ...)"));
  }
  if (list.size() > kMaxFeatureColumns) {
    throw ConfigError(cfg.message_at(list, "features: " + std::to_string(list.size()) + " columns, over the limit of " +
                                               std::to_string(kMaxFeatureColumns)));
  }
  std::vector<FeatureSpec> specs;
  std::map<std::string, size_t> seen;
  uint64_t lookback = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "features[" + std::to_string(i) + "]";
    FeatureSpec s = parse_one(cfg, list[i], where);
    const auto [it, fresh] = seen.emplace(s.name, i);
    if (!fresh) {
      throw ConfigError(cfg.message_at(list[i]["name"], where + ": duplicate column name '" + s.name +
                                                            "' (features[" + std::to_string(it->second) +
                                                            "] at line " +
                                                            std::to_string(list[it->second]["name"].Mark().line + 1) +
                                                            " has it)"));
    }
    lookback += s.lookback();
    if (lookback > kMaxFeatureLookback) {
      throw ConfigError(cfg.message_at(list[i], where + ": the columns so far keep " + std::to_string(lookback) +
                                                    " values per symbol, over the limit of " +
                                                    std::to_string(kMaxFeatureLookback)));
    }
    specs.push_back(std::move(s));
  }
  return std::make_shared<const FeatureSet>(std::move(specs));
}

}  // namespace sh::host
