#include "cli/validate_config.h"

#include <filesystem>
#include <memory>

#include "control/config_drift.h"
#include "history/history_check.h"
#include "store/state_store.h"

#include "plugins/component_loader.h"
#include "isolation/plugin_selection.h"
#include "config/config_source.h"
#include "control/control_config.h"
#include "ops/http_config.h"
#include "plugins/lua_rule_loader.h"
#include "config/pipeline_config.h"

namespace sh::host {
namespace {

// When the config's state dir holds a store: the components whose serving
// version (a reload, re-applied at each restart) differs from this YAML.
void report_drift(const HostConfig& config, std::ostream& out) {
  std::error_code ec;
  if (!std::filesystem::exists(config.state_dir() / "data.mdb", ec)) return;
  std::vector<ComponentDrift> drift;
  const Status st = read_config_drift(config, &drift);
  if (!st.ok()) {
    out << "config drift: not checked: " << st.message() << "\n";
    return;
  }
  if (drift.empty()) return;
  out << "config drift: " << config.state_dir().string()
      << " serves reloaded versions this YAML does not hold (re-applied at each restart until the "
         "YAML is edited; `host config export --to FILE` writes the serving config):\n"
      << format_config_drift(drift);
}

}  // namespace

int validate_config(const HostConfig& config, std::ostream& out, std::ostream& err) {
  HostRuntime runtime;
  runtime.config_dir = config.base_dir();
  std::vector<std::string> errors;
  // The sections other modules own: each throws one located ConfigError line.
  try {
    parse_pipeline_config(config, runtime);
  } catch (const ConfigError& e) {
    errors.push_back(e.what());
  }
  try {
    parse_control_config(config);
  } catch (const ConfigError& e) {
    errors.push_back(e.what());
  }
  try {
    parse_http_config(config);
  } catch (const ConfigError& e) {
    errors.push_back(e.what());
  }
  HistoryCheck history;
  bool history_enabled = false;
  try {
    const HistoryConfig h = parse_history_config(config);
    history_enabled = h.enabled;
    if (h.enabled) history = check_history(config, h);
  } catch (const ConfigError& e) {
    errors.push_back(e.what());
  }
  errors.insert(errors.end(), history.errors.begin(), history.errors.end());
  const PluginCatalog catalog = scan_configured_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  LoadedRules rules = load_lua_components(config, runtime);
  const size_t count = loaded.instances.size() + rules.rules.size();
  loaded.instances.clear();  // destroy before reporting, as a start would on failure
  rules.rules.clear();
  errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
  errors.insert(errors.end(), rules.errors.begin(), rules.errors.end());
  if (!errors.empty()) {
    for (const auto& e : errors) err << e << "\n";
    return 1;
  }
  out << "config OK: " << count << " components\n";
  if (history_enabled) out << "history: " << history.symbols << " symbols in the universe\n";
  for (const auto& note : history.notes) out << note << "\n";
  report_drift(config, out);
  return 0;
}

}  // namespace sh::host
