#include "isolation/plugin_selection.h"

#include <set>

#include "plugins/component_loader.h"
#include "isolation/plugin_probe.h"

namespace sh::host {
namespace fs = std::filesystem;

PluginCatalog scan_plugins_probed(const HostConfig& config) {
  std::vector<fs::path> files;
  for (const ComponentConfig* c : config.components()) {
    if (!c->plugin_path.empty()) files.push_back(c->plugin_path);
  }
  return PluginCatalog::scan(config.plugin_dirs(), files, &open_probed);
}

namespace {

// As PluginCatalog normalizes the paths it opens.
fs::path normalized(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal();
}

}  // namespace

PluginCatalog scan_configured_plugins(const HostConfig& config) {
  std::set<std::string> names, isolated_names;
  std::vector<fs::path> files;
  std::set<fs::path> probe;  // files of isolation: process components
  for (const ComponentConfig* c : config.components()) {
    if (c->is_lua) continue;
    if (!c->plugin_path.empty()) {
      files.push_back(c->plugin_path);
      if (c->isolation.process) probe.insert(normalized(c->plugin_path));
    } else {
      names.insert(c->plugin);
      if (c->isolation.process) isolated_names.insert(c->plugin);
    }
  }
  for (const std::string& name : names) {
    bool found = false;
    for (const fs::path& dir : config.plugin_dirs()) {
      std::error_code ec;
      const fs::path candidate = dir / ("lib" + name + ".so");
      if (fs::is_regular_file(candidate, ec)) {
        files.push_back(candidate);
        if (isolated_names.count(name)) probe.insert(normalized(candidate));
        found = true;
        break;
      }
    }
    if (!found) return scan_plugins_probed(config);
  }
  // An isolated plugin's code is not trusted to load in the host either: it
  // is loaded here (for its descriptor) only after a child survived loading it.
  PluginCatalog catalog = PluginCatalog::scan({}, files, [&](const fs::path& p) {
    return probe.count(p) ? open_probed(p) : PluginLibrary::open(p);
  });
  for (const std::string& name : names) {
    std::string why;
    if (!catalog.find(name, &why)) return scan_plugins_probed(config);  // errors name the dirs
  }
  return catalog;
}

}  // namespace sh::host
