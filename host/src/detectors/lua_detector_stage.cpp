#include "detectors/lua_detector_stage.h"

#include "plugins/lua_rule_loader.h"

namespace sh::host {

LuaDetectorStage::LuaDetectorStage(std::string name, std::unique_ptr<LuaRule> rule)
    : name_(std::move(name)), rule_(std::move(rule)) {
  sync_version();
}

sh_status LuaDetectorStage::detect(const sh_feature_batch& rows, const sh_market_context& context,
                                   const sh_hit_sink& sink) {
  const sh_status st = rule_->detect(rows, context, sink);
  sync_version();  // a failure may have rolled back to the previous version
  return st;
}

std::string LuaDetectorStage::last_error() const {
  return with_full_rule_path(rule_->last_error(), rule_->path());
}

void LuaDetectorStage::sync_version() {
  if (rule_->content_hash() == hash_) return;
  hash_ = rule_->content_hash();
  version_ = "lua:" + hash_;
}

}  // namespace sh::host
