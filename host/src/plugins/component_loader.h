// Component loading: config entry -> plugin library -> validated config -> instance.
//
// Every error is one line that starts with the config location of the
// problem, e.g.
//   cfg.yaml:12:18: component 'spike' (plugin zscore_spike): config.threshold: expected number, got
//   string cfg.yaml:20:13: component 'spike' is listed under risk: but plugin 'zscore_spike' is a
//   detector
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/host_config.h"
#include "services/host_services.h"
#include "plugins/plugin_catalog.h"
#include "plugins/plugin_instance.h"

namespace sh::host {

// Scans the config's plugin dirs plus the plugin files its components name by path.
PluginCatalog scan_plugins(const HostConfig& config);

// The library a component names (by path or by descriptor name), with its kind
// checked against the section the component is listed under. nullptr and
// *error (located) when unusable.
std::shared_ptr<const PluginLibrary> resolve_plugin(const HostConfig& config,
                                                    const ComponentConfig& component,
                                                    const PluginCatalog& catalog,
                                                    std::string* error);

// Resolves, validates and creates one component (also used to prepare a
// replacement instance for a reload). Never throws.
PluginInstance::Created load_component(const HostConfig& config, const ComponentConfig& component,
                                       const PluginCatalog& catalog, HostRuntime& runtime);

struct LoadedComponents {
  std::vector<std::unique_ptr<PluginInstance>> instances;  // HostConfig::components() order
  std::vector<std::string> errors;                         // one line per failed component
};

// Loads every plugin component (not the `lua:` rules), carrying on past
// failures so that all problems are reported.
LoadedComponents load_components(const HostConfig& config, const PluginCatalog& catalog,
                                 HostRuntime& runtime);

}  // namespace sh::host
