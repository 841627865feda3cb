// LuaDetectorStage: a Lua detector rule as a pipeline detector stage.
//
// version() is "lua:" + the content hash of the version serving now, so an
// event names the exact rule text that produced it; it follows reloads and
// keep_last_good rollbacks. Used from the pipeline thread only.
#pragma once

#include <memory>
#include <string>

#include "lua/lua_rule.h"
#include "detectors/detector.h"

namespace sh::host {

class LuaDetectorStage final : public DetectorStage {
 public:
  // rule must be a detector rule; name is the component name.
  LuaDetectorStage(std::string name, std::unique_ptr<LuaRule> rule);

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                   const sh_hit_sink& sink) override;
  std::string last_error() const override;

  LuaRule& rule() { return *rule_; }
  const LuaRule& rule() const { return *rule_; }
  const std::string& path() const { return rule_->path(); }

 private:
  void sync_version();

  std::string name_;
  std::unique_ptr<LuaRule> rule_;
  std::string hash_;
  std::string version_;
};

}  // namespace sh::host
