#include "pipeline/pipeline_components.h"

#include <spdlog/spdlog.h>

#include "detectors/lua_detector_stage.h"
#include "plugins/plugin_instance.h"

namespace sh::host {
namespace {

std::unique_ptr<LuaRule> take_rule(const ComponentConfig& c, LoadedRules& rules) {
  for (auto& r : rules.rules) {
    if (r.component == &c && r.rule) {
      spdlog::info("rule '{}' (lua {}) loaded from {} (hash {})", c.name,
                   rule_kind_name(r.rule->kind()), r.rule->path(), r.rule->content_hash());
      return std::move(r.rule);
    }
  }
  return nullptr;
}

PluginInstance* find_instance(const ComponentConfig& c, const LoadedComponents& loaded,
                              sh_plugin_kind kind) {
  for (const auto& inst : loaded.instances) {
    if (inst->component() == c.name && inst->kind() == kind) return inst.get();
  }
  return nullptr;
}

std::vector<DecisionComponent> decision_section(const std::vector<ComponentConfig>& section,
                                                sh_plugin_kind kind, const LoadedComponents& loaded,
                                                LoadedRules& rules) {
  std::vector<DecisionComponent> out;
  for (const ComponentConfig& c : section) {
    DecisionComponent d;
    d.name = c.name;
    if (c.is_lua) {
      d.rule = take_rule(c, rules);
    } else {
      d.instance = find_instance(c, loaded, kind);
    }
    if (d.instance != nullptr || d.rule) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

PipelineComponents assemble_pipeline_components(const HostConfig& config,
                                                const LoadedComponents& loaded, LoadedRules& rules) {
  PipelineComponents out;
  for (const auto& inst : loaded.instances) {
    if (inst->kind() == SH_KIND_PROVIDER) out.providers.push_back(inst.get());
  }
  for (const ComponentConfig& c : config.detectors()) {
    if (c.is_lua) {
      if (auto rule = take_rule(c, rules)) {
        out.detectors.push_back(std::make_unique<LuaDetectorStage>(c.name, std::move(rule)));
      }
    } else if (PluginInstance* inst = find_instance(c, loaded, SH_KIND_DETECTOR)) {
      out.detectors.push_back(make_plugin_detector(*inst));
    }
  }
  out.experts = decision_section(config.experts(), SH_KIND_EXPERT, loaded, rules);
  out.risk = decision_section(config.risk(), SH_KIND_RISK, loaded, rules);
  if (const ComponentConfig* v = config.venue()) out.venue = find_instance(*v, loaded, SH_KIND_VENUE);
  return out;
}

}  // namespace sh::host
