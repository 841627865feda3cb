// pipeline_components: the loaded plugins and Lua rules sorted into what a
// Pipeline is built from, each section in config order.
//
//   providers:   provider plugin instances
//   detectors:   detector stages (plugins and Lua detector rules interleaved)
//   experts:     expert plugins and Lua router rules
//   risk:        risk plugins and Lua risk rules
//
// Instances stay owned by `loaded` (hand them to Pipeline::adopt_instances);
// the Lua rules are moved out of `rules` into the stages and components.
#pragma once

#include <memory>
#include <vector>

#include "plugins/component_loader.h"
#include "config/host_config.h"
#include "plugins/lua_rule_loader.h"
#include "decision/decision_component.h"
#include "detectors/detector.h"

namespace sh::host {

struct PipelineComponents {
  std::vector<PluginInstance*> providers;
  std::vector<std::unique_ptr<DetectorStage>> detectors;
  std::vector<DecisionComponent> experts;
  std::vector<DecisionComponent> risk;
  PluginInstance* venue = nullptr;  // execution.venue (the paper venue by default)
};

// Logs one info line per Lua rule it places.
PipelineComponents assemble_pipeline_components(const HostConfig& config,
                                                const LoadedComponents& loaded, LoadedRules& rules);

}  // namespace sh::host
