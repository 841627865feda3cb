#include "history/history_config.h"

#include <set>

#include "config/config_keys.h"
#include "config/yaml_json.h"
#include "history/calendar.h"

namespace sh::host {

namespace {

nlohmann::json scalar_json(const ConfigSource& src, const YAML::Node& v, const std::string& what) {
  if (!v.IsScalar()) src.fail(v, what + ": expected a value");
  return yaml_to_json(v, src);
}

int64_t positive_int(const ConfigSource& src, const YAML::Node& v, const std::string& what) {
  const nlohmann::json j = scalar_json(src, v, what);
  if (!j.is_number_integer() || j.get<int64_t>() <= 0) src.fail(v, what + ": expected a positive integer");
  return j.get<int64_t>();
}

double fraction(const ConfigSource& src, const YAML::Node& v, const std::string& what, double hi) {
  const nlohmann::json j = scalar_json(src, v, what);
  if (!j.is_number() || j.get<double>() <= 0 || j.get<double>() > hi) {
    src.fail(v, what + ": expected a number in (0, " + std::to_string(static_cast<int>(hi)) + "]");
  }
  return j.get<double>();
}

ComponentConfig parse_provider(const ConfigSource& src, const YAML::Node& entry, size_t index) {
  const std::string where = "history.providers[" + std::to_string(index) + "]";
  if (!entry.IsMap()) src.fail(entry, where + ": expected {name, plugin, config}");
  check_known_keys(entry, src, where, {"name", "plugin", "config"});
  ComponentConfig c;
  c.kind = SH_KIND_PROVIDER;
  c.node.reset(entry);
  c.config = nlohmann::json::object();
  const YAML::Node name = entry["name"], plugin = entry["plugin"], cfg = entry["config"];
  if (!name.IsDefined() || !name.IsScalar() || name.Scalar().empty() ||
      name.Scalar().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    src.fail(name.IsDefined() ? name : entry, where + ": name must match [a-z0-9_]+");
  }
  if (!plugin.IsDefined() || !plugin.IsScalar() || plugin.Scalar().empty()) {
    src.fail(plugin.IsDefined() ? plugin : entry, where + ": plugin must be a plugin name or a path to a .so");
  }
  c.name = name.Scalar();
  c.plugin = plugin.Scalar();
  if (c.plugin.find('/') != std::string::npos ||
      (c.plugin.size() > 3 && c.plugin.compare(c.plugin.size() - 3, 3, ".so") == 0)) {
    c.plugin_path = src.resolve(c.plugin);
  }
  if (cfg.IsDefined() && !cfg.IsNull()) {
    if (!cfg.IsMap()) src.fail(cfg, where + ": config must be a mapping");
    c.config_node.reset(cfg);
    c.config = yaml_to_json(cfg, src);
  }
  return c;
}

}  // namespace

HistoryConfig parse_history_config(const HostConfig& config) {
  HistoryConfig h;
  const ConfigSource& src = config.source();
  const YAML::Node n = config.root()["history"];
  if (!n.IsDefined() || n.IsNull()) return h;
  if (!n.IsMap()) src.fail(n, "history: expected a mapping");
  check_known_keys(n, src, "history",
                   {"universe", "days", "end", "required_rows", "quarantine_below_rows", "min_quality",
                    "spike_return", "governance_log", "gate", "providers"});
  h.enabled = true;
  if (!n["universe"].IsDefined() || !n["universe"].IsScalar() || n["universe"].Scalar().empty()) {
    src.fail(n, "history.universe: required (the universe.json every symbol comes from)");
  }
  h.universe = src.resolve(n["universe"].Scalar());
  if (n["days"].IsDefined()) h.days = positive_int(src, n["days"], "history.days");
  if (n["end"].IsDefined()) {
    if (!n["end"].IsScalar() || !parse_day(n["end"].Scalar(), &h.end_day)) {
      src.fail(n["end"], "history.end: expected a date YYYY-MM-DD");
    }
  }
  if (n["required_rows"].IsDefined()) {
    h.quality.required_rows = positive_int(src, n["required_rows"], "history.required_rows");
  }
  if (n["quarantine_below_rows"].IsDefined()) {
    h.quality.degraded_rows = positive_int(src, n["quarantine_below_rows"], "history.quarantine_below_rows");
  }
  if (h.quality.degraded_rows > h.quality.required_rows) {
    src.fail(n, "history.quarantine_below_rows (" + std::to_string(h.quality.degraded_rows) +
                    ") must not exceed history.required_rows (" + std::to_string(h.quality.required_rows) + ")");
  }
  if (n["min_quality"].IsDefined()) h.quality.min_quality = fraction(src, n["min_quality"], "history.min_quality", 1);
  if (n["spike_return"].IsDefined()) {
    h.quality.spike_return = fraction(src, n["spike_return"], "history.spike_return", 100);
  }
  std::string log_name = "governance.jsonl";
  if (n["governance_log"].IsDefined()) {
    if (!n["governance_log"].IsScalar() || n["governance_log"].Scalar().empty()) {
      src.fail(n["governance_log"], "history.governance_log: expected a file name");
    }
    log_name = n["governance_log"].Scalar();
  }
  h.governance_log = config.output_dir() / log_name;
  if (n["gate"].IsDefined()) {
    const nlohmann::json g = scalar_json(src, n["gate"], "history.gate");
    if (!g.is_boolean()) src.fail(n["gate"], "history.gate: expected true or false");
    h.gate = g.get<bool>();
  }
  const YAML::Node list = n["providers"];
  if (list.IsDefined() && !list.IsNull()) {
    if (!list.IsSequence()) src.fail(list, "history.providers: expected a list of {name, plugin, config}");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      ComponentConfig c = parse_provider(src, list[i], i);
      if (!names.insert(c.name).second) src.fail(list[i]["name"], "history.providers: duplicate name '" + c.name + "'");
      h.providers.push_back(std::move(c));
    }
  }
  return h;
}

}  // namespace sh::host
