// Detectors: what the detection stage (detectors/detection_stage.h) calls
// at each minute close, C++ plugins and Lua rules behind one interface.
// DetectorStage is one detector; make_plugin_detector wraps a plugin
// instance, LuaDetectorStage (detectors/lua_detector_stage.h) a Lua rule.
#pragma once

#include <memory>
#include <string>

#include "plugins/plugin_instance.h"
#include "strategy_host/abi.h"

namespace sh::host {

// A detector as the pipeline sees it: a plugin instance or a Lua rule.
class DetectorStage {
 public:
  virtual ~DetectorStage() = default;
  virtual const std::string& name() const = 0;     // component name
  virtual const std::string& version() const = 0;  // plugin version or rule content hash
  virtual sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                           const sh_hit_sink& sink) = 0;
  virtual std::string last_error() const = 0;
};

// A detector plugin instance (not owned; must outlive the detector).
class PluginDetector final : public DetectorStage {
 public:
  explicit PluginDetector(PluginInstance& inst)
      : inst_(&inst), name_(inst.component()), version_(inst.library().version()) {}
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                   const sh_hit_sink& sink) override {
    return inst_->detect(rows, context, sink);
  }
  std::string last_error() const override { return inst_->last_error(); }

  PluginInstance& instance() const { return *inst_; }
  // A swap: the next batch goes to `inst` (not owned; must outlive its use).
  void replace(PluginInstance& inst) {
    inst_ = &inst;
    version_ = inst.library().version();
  }

 private:
  PluginInstance* inst_;
  std::string name_;
  std::string version_;
};

// Wraps a live plugin instance (not owned; must outlive the stage).
inline std::unique_ptr<DetectorStage> make_plugin_detector(PluginInstance& instance) {
  return std::make_unique<PluginDetector>(instance);
}

}  // namespace sh::host
