#include "validate_config.h"

#include "component_loader.h"

namespace sh::host {

int validate_config(const HostConfig& config, std::ostream& out, std::ostream& err) {
  HostRuntime runtime;
  const PluginCatalog catalog = scan_plugins(config);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  const size_t count = loaded.instances.size();
  loaded.instances.clear();  // destroy before reporting, as a start would on failure
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) err << e << "\n";
    return 1;
  }
  out << "config OK: " << count << " components\n";
  return 0;
}

}  // namespace sh::host
