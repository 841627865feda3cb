#include "ops/alert_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <vector>

#include "config/config_keys.h"
#include "services/text_util.h"

namespace sh::host {
namespace {

constexpr AlertKindInfo kAlertKinds[kAlertKindCount] = {
    {"var", "VAR_HIGH", true, "% of equity"},
    {"daily_loss", "DAILY_LOSS_NEAR", true, "% of the daily loss limit"},
    {"drawdown", "DRAWDOWN_NEAR", true, "% of the drawdown limit"},
    {"baseline_drift", "BASELINE_DRIFT", true, "x the green band"},
    {"dq", "DQ_LOW", false, "% of rows dq ok"},
    {"bar_finalize", "BAR_FINALIZE_SLOW", true, "ms (p95)"},
    {"feed_stale", "FEED_STALE", true, "s"},
    {"suppression", "SUPPRESSION_HIGH", true, "% of gated events"},
    {"model_switches", "MODEL_SWITCH_RATE", true, "switches per hour"},
};

// The keys an alert's section takes besides the common five.
std::vector<std::string> alert_rule_keys(AlertKind kind) {
  std::vector<std::string> keys = {"enabled", "severity", "raise", "clear", "hold_minutes"};
  switch (kind) {
    case AlertKind::kDailyLoss:
    case AlertKind::kDrawdown:
      keys.push_back("limit_pct");
      break;
    case AlertKind::kBaselineDrift:
      keys.insert(keys.end(), {"window_minutes", "min_samples", "max_abs_mean", "min_std", "max_std"});
      break;
    case AlertKind::kSuppression:
      keys.insert(keys.end(), {"window_minutes", "min_events"});
      break;
    case AlertKind::kDq:
    case AlertKind::kBarFinalize:
    case AlertKind::kModelSwitches:
      keys.push_back("window_minutes");
      break;
    default:
      break;
  }
  return keys;
}

AlertRuleConfig rule_default(AlertKind kind) {
  AlertRuleConfig r;
  switch (kind) {
    case AlertKind::kVar: r.raise = 1.8; r.clear = 1.6; break;
    case AlertKind::kDailyLoss:
    case AlertKind::kDrawdown:
      r.severity = AlertSeverity::kCritical;
      r.raise = 80;
      r.clear = 70;
      break;
    case AlertKind::kBaselineDrift:
      r.raise = 1.0; r.clear = 0.9; r.window_minutes = 60; r.min_samples = 200; break;
    case AlertKind::kDq: r.raise = 95; r.clear = 97; r.window_minutes = 30; break;
    case AlertKind::kBarFinalize: r.raise = 300; r.clear = 250; r.window_minutes = 30; break;
    case AlertKind::kFeedStale: r.raise = 20; r.clear = 10; break;
    case AlertKind::kSuppression:
      r.raise = 5; r.clear = 3; r.window_minutes = 60; r.min_samples = 20; break;
    case AlertKind::kModelSwitches:
      r.severity = AlertSeverity::kInfo;
      r.raise = 20;
      r.clear = 10;
      r.window_minutes = 60;
      break;
    default:
      break;
  }
  return r;
}

// Reads the parts of one `alerts:` map; every error names the key in full.
class AlertSectionReader {
 public:
  AlertSectionReader(const HostConfig& cfg, const YAML::Node& map, std::string where)
      : cfg_(cfg), map_(map), where_(std::move(where)) {}

  [[noreturn]] void fail(const char* key, const std::string& msg) const {
    const YAML::Node n = map_[key];
    throw ConfigError(cfg_.message_at(n ? n : map_, where_ + "." + key + " " + msg));
  }
  double number(const char* key, double fallback) const {
    const YAML::Node n = map_[key];
    if (!n) return fallback;
    double v = 0;
    try {
      if (!n.IsScalar()) fail(key, "must be a number");
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail(key, "must be a number, not '" + n.Scalar() + "'");
    }
    if (!std::isfinite(v)) fail(key, "must be a finite number");
    return v;
  }
  uint64_t count(const char* key, uint64_t fallback, uint64_t lo, uint64_t hi) const {
    const double v = number(key, static_cast<double>(fallback));
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
      fail(key, "must be a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<uint64_t>(v);
  }
  bool flag(const char* key, bool fallback) const {
    const YAML::Node n = map_[key];
    if (!n) return fallback;
    try {
      if (n.IsScalar()) return n.as<bool>();
    } catch (const YAML::Exception&) {
    }
    fail(key, "must be true or false");
  }
  std::string text(const char* key, const std::string& fallback) const {
    const YAML::Node n = map_[key];
    if (!n) return fallback;
    if (!n.IsScalar()) fail(key, "must be a string");
    return n.Scalar();
  }
  const YAML::Node& map() const { return map_; }

 private:
  const HostConfig& cfg_;
  YAML::Node map_;
  std::string where_;
};

void check_thresholds(const AlertSectionReader& in, AlertKind kind, const AlertRuleConfig& r,
                      const std::string& where) {
  const bool pct = kind == AlertKind::kDq || kind == AlertKind::kSuppression ||
                   kind == AlertKind::kVar || kind == AlertKind::kDailyLoss ||
                   kind == AlertKind::kDrawdown;
  for (const char* key : {"raise", "clear"}) {
    const double v = key[0] == 'r' ? r.raise : r.clear;
    if (v < 0 || (pct && v > 100)) in.fail(key, pct ? "must be in [0, 100]" : "must be >= 0");
  }
  if (!(r.raise > 0) && alert_kind_info(kind).above) in.fail("raise", "must be > 0");
  const bool above = alert_kind_info(kind).above;
  const bool wrong_side = above ? r.clear > r.raise : r.clear < r.raise;
  if (wrong_side || (r.clear == r.raise && r.hold_minutes == 0)) {
    in.fail("clear", "(" + format_g(r.clear, 6) + ") must be " + (above ? "below " : "above ") + where +
                         ".raise (" + format_g(r.raise, 6) + ")" +
                         (r.clear == r.raise ? " or hold_minutes > 0" : "") +
                         ": the clear threshold is the hysteresis that stops an alert flapping");
  }
}

AlertRuleConfig parse_rule(const HostConfig& cfg, const YAML::Node& node, AlertKind kind,
                           uint32_t hold_default) {
  const AlertKindInfo& info = alert_kind_info(kind);
  const std::string where = std::string("alerts.") + info.key;
  AlertRuleConfig r = rule_default(kind);
  r.hold_minutes = hold_default;
  if (!node) return r;
  if (!node.IsMap()) throw ConfigError(cfg.message_at(node, where + ": expected a map"));
  check_known_keys(node, cfg.source(), where + ":", alert_rule_keys(kind));
  AlertSectionReader in(cfg, node, where);
  r.enabled = in.flag("enabled", r.enabled);
  const std::string sev = in.text("severity", alert_severity_name(r.severity));
  if (sev == "info") {
    r.severity = AlertSeverity::kInfo;
  } else if (sev == "warning") {
    r.severity = AlertSeverity::kWarning;
  } else if (sev == "critical") {
    r.severity = AlertSeverity::kCritical;
  } else {
    in.fail("severity", "must be info, warning or critical, not '" + sev + "'");
  }
  r.raise = in.number("raise", r.raise);
  r.clear = in.number("clear", r.clear);
  r.hold_minutes = static_cast<uint32_t>(in.count("hold_minutes", r.hold_minutes, 0, 10080));
  if (r.window_minutes > 0) {
    r.window_minutes = static_cast<uint32_t>(in.count("window_minutes", r.window_minutes, 1, 10080));
  }
  if (kind == AlertKind::kBaselineDrift) r.min_samples = in.count("min_samples", r.min_samples, 1, 1u << 30);
  if (kind == AlertKind::kSuppression) r.min_samples = in.count("min_events", r.min_samples, 1, 1u << 30);
  if (kind == AlertKind::kDailyLoss || kind == AlertKind::kDrawdown) {
    r.limit_pct = in.number("limit_pct", r.limit_pct);
    if (node["limit_pct"] && !(r.limit_pct > 0 && r.limit_pct <= 100)) in.fail("limit_pct", "must be in (0, 100]");
  }
  if (kind == AlertKind::kBaselineDrift) {
    r.max_abs_mean = in.number("max_abs_mean", r.max_abs_mean);
    r.min_std = in.number("min_std", r.min_std);
    r.max_std = in.number("max_std", r.max_std);
    if (!(r.max_abs_mean > 0)) in.fail("max_abs_mean", "must be > 0");
    if (!(r.min_std > 0)) in.fail("min_std", "must be > 0");
    if (!(r.max_std > r.min_std)) in.fail("max_std", "must be above " + where + ".min_std (" + format_g(r.min_std, 6) + ")");
  }
  check_thresholds(in, kind, r, where);
  return r;
}

std::vector<std::string> alert_section_keys() {
  std::vector<std::string> keys = {"enabled", "file", "redis_stream", "redis_maxlen", "hold_minutes"};
  for (const AlertKindInfo& k : kAlertKinds) keys.push_back(k.key);
  return keys;
}

}  // namespace

const char* alert_severity_name(AlertSeverity severity) {
  switch (severity) {
    case AlertSeverity::kInfo: return "info";
    case AlertSeverity::kWarning: return "warning";
    case AlertSeverity::kCritical: return "critical";
  }
  return "?";
}

const AlertKindInfo& alert_kind_info(AlertKind kind) { return kAlertKinds[static_cast<size_t>(kind)]; }

AlertConfig default_alert_config() {
  AlertConfig c;
  for (size_t k = 0; k < kAlertKindCount; ++k) c.rules[k] = rule_default(static_cast<AlertKind>(k));
  return c;
}

AlertConfig parse_alert_config(const HostConfig& config) {
  AlertConfig c = default_alert_config();
  const YAML::Node& root = config.root();
  const YAML::Node s = root.IsMap() ? root["alerts"] : YAML::Node();
  if (!s || s.IsNull()) return c;
  if (!s.IsMap()) throw ConfigError(config.message_at(s, "alerts: expected a map"));
  check_known_keys(s, config.source(), "alerts:", alert_section_keys());
  AlertSectionReader in(config, s, "alerts");
  c.enabled = in.flag("enabled", c.enabled);
  c.file = in.text("file", c.file);
  c.redis_stream = in.text("redis_stream", c.redis_stream);
  c.redis_maxlen = in.count("redis_maxlen", c.redis_maxlen, 0, uint64_t{1} << 40);
  const uint32_t hold = static_cast<uint32_t>(in.count("hold_minutes", 5, 0, 10080));
  for (size_t k = 0; k < kAlertKindCount; ++k) {
    const AlertKind kind = static_cast<AlertKind>(k);
    c.rules[k] = parse_rule(config, s[alert_kind_info(kind).key], kind, hold);
  }
  return c;
}

DailyReportConfig parse_daily_report_config(const HostConfig& config) {
  DailyReportConfig c;
  const YAML::Node& root = config.root();
  const YAML::Node s = root.IsMap() ? root["daily_report"] : YAML::Node();
  if (!s || s.IsNull()) return c;
  if (!s.IsMap()) throw ConfigError(config.message_at(s, "daily_report: expected a map"));
  check_known_keys(s, config.source(), "daily_report:", {"enabled", "dir"});
  AlertSectionReader in(config, s, "daily_report");
  c.enabled = in.flag("enabled", c.enabled);
  c.dir = in.text("dir", c.dir);
  if (c.enabled && c.dir.empty()) in.fail("dir", "must not be empty");
  return c;
}

}  // namespace sh::host
