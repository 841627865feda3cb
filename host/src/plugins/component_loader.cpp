#include "plugins/component_loader.h"

namespace sh::host {

namespace {

// The YAML node a JSON path points at inside `config_node`, or the deepest
// existing ancestor (e.g. the mapping that misses a required key).
YAML::Node node_at(const YAML::Node& config_node, const std::vector<JsonPathElem>& path) {
  YAML::Node cur = config_node;
  for (const auto& e : path) {
    YAML::Node next;
    if (e.index >= 0 && cur.IsSequence() && static_cast<size_t>(e.index) < cur.size()) {
      next.reset(cur[static_cast<size_t>(e.index)]);
    } else if (e.index < 0 && cur.IsMap()) {
      // Point at the key for an unknown property, else at the value.
      bool found = false;
      for (const auto& kv : cur) {
        if (kv.first.Scalar() == e.key) {
          next.reset(kv.second.IsNull() ? kv.first : kv.second);
          found = true;
          break;
        }
      }
      if (!found) return cur;
    } else {
      return cur;
    }
    cur.reset(next);  // operator= would assign into the tree, not rebind
  }
  return cur;
}

std::string label(const ComponentConfig& c) { return "component '" + c.name + "'"; }

}  // namespace

PluginCatalog scan_plugins(const HostConfig& config) {
  std::vector<std::filesystem::path> files;
  for (const ComponentConfig* c : config.components()) {
    if (!c->plugin_path.empty()) files.push_back(c->plugin_path);
  }
  return PluginCatalog::scan(config.plugin_dirs(), files);
}

std::shared_ptr<const PluginLibrary> resolve_plugin(const HostConfig& config,
                                                    const ComponentConfig& component,
                                                    const PluginCatalog& catalog,
                                                    std::string* error) {
  const YAML::Node& entry = component.node;
  const YAML::Node plugin_node = entry["plugin"];
  std::shared_ptr<const PluginLibrary> lib;
  if (!component.plugin_path.empty()) {
    const CatalogEntry* e = catalog.entry_for(component.plugin_path);
    if (e == nullptr) {
      *error = config.message_at(
          plugin_node, label(component) + ": " + component.plugin_path.string() + ": not scanned");
      return nullptr;
    }
    if (!e->library) {
      *error = config.message_at(plugin_node,
                                 label(component) + ": " + e->path.string() + ": " + e->status);
      return nullptr;
    }
    lib = e->library;
  } else {
    std::string why;
    lib = catalog.find(component.plugin, &why);
    if (!lib) {
      *error = config.message_at(plugin_node, label(component) + ": " + why);
      return nullptr;
    }
  }
  if (lib->kind() != component.kind) {
    const char* section = component.kind == SH_KIND_RISK ? "risk" : nullptr;
    std::string listed = section ? section : std::string(kind_name(component.kind)) + "s";
    *error = config.message_at(plugin_node, label(component) + " is listed under " + listed +
                                                ": but plugin '" + lib->name() + "' is a " +
                                                kind_name(lib->kind()));
    return nullptr;
  }
  return lib;
}

PluginInstance::Created load_component(const HostConfig& config, const ComponentConfig& component,
                                       const PluginCatalog& catalog, HostRuntime& runtime) {
  PluginInstance::Created out;
  auto lib = resolve_plugin(config, component, catalog, &out.error);
  if (!lib) return out;

  const bool has_config = component.config_node.IsMap();
  const YAML::Node& anchor = has_config ? component.config_node : component.node;
  // Validated here as well as in create() so the error points at the field's line.
  if (auto err = lib->schema().validate(component.config)) {
    const YAML::Node at = has_config ? node_at(component.config_node, err->path) : component.node;
    out.error = config.message_at(
        at, label(component) + " (plugin " + lib->name() + "): " + err->to_string("config"));
    return out;
  }
  out = PluginInstance::create(component.name, lib, component.config, runtime);
  if (!out.instance) out.error = config.message_at(anchor, out.error);
  return out;
}

LoadedComponents load_components(const HostConfig& config, const PluginCatalog& catalog,
                                 HostRuntime& runtime) {
  LoadedComponents out;
  for (const ComponentConfig* c : config.components()) {
    if (c->is_lua) continue;  // Lua rules: load_lua_components (lua_rule_loader.h)
    auto created = load_component(config, *c, catalog, runtime);
    if (created.instance) {
      out.instances.push_back(std::move(created.instance));
    } else {
      out.errors.push_back(std::move(created.error));
    }
  }
  return out;
}

}  // namespace sh::host
