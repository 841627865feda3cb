// The real Pipeline over a YAML config, as the host runs it (real plugins
// via dlopen, real LMDB): shared by the benchmarks that time a whole run.
#pragma once

#include <strategy_host/abi.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "config/host_config.h"
#include "config/pipeline_config.h"
#include "pipeline/pipeline.h"
#include "plugins/component_loader.h"
#include "plugins/plugin_instance.h"
#include "services/host_services.h"

namespace sh_bench {

struct PipelineRun {
  sh::host::RunSummary summary;
  // Per minute, us: the close on the pipeline thread and, with the minute
  // writer, that plus the writer's commit (the minute in the store).
  std::vector<double> close_us, committed_us;
  bool ok = false;
};

// from_creation: summary.wall_seconds counts from before the components are
// created (a provider that opens or checks its input then), not from the
// pipeline's start; the plugin directory's scan is left out either way.
inline PipelineRun run_pipeline(const std::string& yaml, const std::filesystem::path& base,
                                bool from_creation = false) {
  using namespace sh::host;
  HostConfig config = HostConfig::load_string(yaml, "bench.yaml", base);
  HostRuntime runtime;
  PipelineConfig pc = parse_pipeline_config(config, runtime);
  const PluginCatalog catalog = scan_plugins(config);
  const auto t0 = std::chrono::steady_clock::now();
  LoadedComponents loaded = load_components(config, catalog, runtime);
  PipelineRun r;
  if (!loaded.errors.empty()) {
    for (auto& e : loaded.errors) std::cerr << e << "\n";
    return r;
  }
  std::vector<PluginInstance*> providers;
  std::vector<std::unique_ptr<DetectorStage>> detectors;
  for (auto& inst : loaded.instances) {
    if (inst->kind() == SH_KIND_PROVIDER) providers.push_back(inst.get());
    if (inst->kind() == SH_KIND_DETECTOR) detectors.push_back(make_plugin_detector(*inst));
  }
  Pipeline p(std::move(pc), config, runtime, providers, std::move(detectors));
  Status st = p.open();
  if (st.ok()) st = p.run();
  if (!st.ok()) {
    std::cerr << st.message() << "\n";
    return r;
  }
  r.summary = p.summary();
  const auto& close = p.close_latency_ns();
  const auto& commit = p.commit_ns();
  for (size_t i = 0; i < close.size(); ++i) {
    r.close_us.push_back(static_cast<double>(close[i]) / 1e3);
    r.committed_us.push_back(static_cast<double>(close[i] + (i < commit.size() ? commit[i] : 0)) / 1e3);
  }
  if (from_creation) {
    r.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  r.ok = true;
  return r;
}

}  // namespace sh_bench
