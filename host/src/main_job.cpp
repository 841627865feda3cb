#include "main_job.h"

#include <spdlog/spdlog.h>

#include "component_loader.h"

namespace sh::host {

int run_main_job(const HostConfig& config, const CliOptions& /*options*/) {
  HostRuntime runtime;
  // Replay runs on event time; the pipeline advances the clock per event.
  if (config.mode() == RunMode::kReplay) runtime.clock.set_virtual_ns(0);

  const PluginCatalog catalog = scan_plugins(config);
  for (const auto& w : catalog.warnings()) spdlog::warn("plugin dir {}", w);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) spdlog::error("{}", e);
    return 1;
  }
  std::string names;
  for (const auto& inst : loaded.instances) {
    names += (names.empty() ? "" : ", ") + inst->component() + " (" + kind_name(inst->kind()) +
             " " + inst->library().name() + " " + inst->library().version() + ")";
  }
  spdlog::info("loaded {} components: {}", loaded.instances.size(), names);
  return 0;
}

}  // namespace sh::host
