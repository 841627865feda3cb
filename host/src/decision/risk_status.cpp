#include "decision/risk_status.h"

#include <nlohmann/json.hpp>

#include "config/config_paths.h"
#include "decision/durable_state.h"

namespace sh::host {
namespace {

// The file a kill_switch policy watches, resolved as the plugin gets it.
std::string kill_switch_path(const PluginInstance& inst, const std::filesystem::path& config_dir) {
  const auto schema =
      nlohmann::json::parse(inst.library().identity().config_schema, nullptr, false);
  if (schema.is_discarded()) return "";
  const nlohmann::json wire = resolve_config_paths(schema, inst.config(), config_dir);
  return wire.value("path", std::string());
}

}  // namespace

void describe_risk_component(const DecisionComponent& c, const std::map<std::string, std::string>& saved,
                             const std::filesystem::path& config_dir, RiskComponentStatus* r) {
  r->name = c.name;
  r->plugin = c.instance != nullptr ? c.instance->library().name() : "lua";
  const auto it = saved.find(c.name);
  std::string writer;
  std::string_view bytes;
  if (it != saved.end() && c.instance != nullptr &&
      component_state_bytes(it->second, *c.instance, &writer, &bytes)) {
    r->state_json = std::string(bytes);
  }
  if (r->plugin == "circuit_breaker") {
    r->breaker = true;
    const auto j = nlohmann::json::parse(r->state_json, nullptr, false);
    r->open = j.is_object() && j.value("state", "CLOSED") != "CLOSED";
  } else if (r->plugin == "kill_switch" && c.instance != nullptr) {
    r->kill_switch = true;
    r->path = kill_switch_path(*c.instance, config_dir);
    std::error_code ec;
    // As the policy decides: present, or not checkable, is engaged.
    r->engaged = !r->path.empty() && (std::filesystem::exists(r->path, ec) || ec);
  }
}

}  // namespace sh::host
