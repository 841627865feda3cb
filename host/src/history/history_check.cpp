#include "history/history_check.h"

#include <map>

#include "history/universe.h"
#include "plugins/component_loader.h"

namespace sh::host {

HistoryCheck check_history(const HostConfig& config, const HistoryConfig& history) {
  HistoryCheck check;
  Universe universe;
  const Status ust = load_universe(history.universe, &universe);
  if (!ust.ok()) check.errors.push_back("history.universe: " + ust.message());
  check.symbols = universe.symbols.size();
  if (history.providers.empty()) {
    check.errors.push_back(config.source().message_at(
        config.root()["history"], "history.providers: no provider configured (backfill needs at least one)"));
  }

  HostRuntime runtime;
  runtime.config_dir = config.base_dir();
  const PluginCatalog catalog = scan_plugins(config);
  uint32_t classes_served = 0;  // by providers reaching history.days
  for (size_t i = 0; i < history.providers.size(); ++i) {
    const ComponentConfig& c = history.providers[i];
    const std::string where = config.source().where(c.node) + ": history.providers[" + std::to_string(i) +
                              "] '" + c.name + "'";
    PluginInstance::Created created = load_component(config, c, catalog, runtime);
    if (!created.instance) {
      check.errors.push_back(created.error);  // located, names the component
      continue;
    }
    const auto caps = created.instance->library().provider_capabilities();
    if (!caps || (caps->flags & SH_PROVIDER_HISTORY) == 0 || !created.instance->serves_history()) {
      check.errors.push_back(where + " (plugin " + c.plugin +
                             "): serves no daily history (its capabilities do not declare "
                             "SH_PROVIDER_HISTORY with fetch_daily, ABI 1.5)");
      continue;
    }
    if (static_cast<int64_t>(caps->max_history_days) < history.days) {
      check.notes.push_back(where + " reaches " + std::to_string(caps->max_history_days) + " days, " +
                            std::to_string(history.days) + " asked (history.days): never used");
      continue;
    }
    classes_served |= caps->asset_classes;
  }

  // Universe symbols no provider can serve: backfill rejects them.
  std::map<std::string, std::vector<std::string>> unserved;  // class -> symbols
  for (const UniverseSymbol& s : universe.symbols) {
    if ((classes_served & asset_class_bit(s.asset_class)) == 0) {
      unserved[asset_class_name(s.asset_class)].push_back(s.symbol);
    }
  }
  for (const auto& [cls, symbols] : unserved) {
    std::string list;
    for (size_t i = 0; i < symbols.size() && i < 5; ++i) list += (i ? ", " : "") + symbols[i];
    if (symbols.size() > 5) list += ", ... (" + std::to_string(symbols.size()) + " in all)";
    check.notes.push_back("history: no provider serves " + cls + " for " +
                          std::to_string(history.days) + " days: " + list +
                          " (backfill rejects them with NO_VALID_PROVIDER; verify quarantines them)");
  }
  return check;
}

}  // namespace sh::host
