#include "decision/decision_component.h"

#include "plugins/lua_rule_loader.h"

namespace sh::host {

Status evaluate_risk_component(PluginInstance* instance, LuaRule* rule,
                               const sh_order_intent_batch& intents,
                               const sh_portfolio_state& portfolio, sh_risk_verdict_batch& out) {
  if (rule != nullptr) {
    const sh_status s = rule->check(intents, portfolio, &out);
    if (s != SH_OK) {
      return Status::Unavailable(abi_status_name(s) + ": " +
                                 with_full_rule_path(rule->last_error(), rule->path()));
    }
    return Status::Ok();
  }
  if (instance->faulted()) return Status::Unavailable("plugin faulted (an exception escaped it)");
  const sh_status s = instance->evaluate_risk(intents, portfolio, out);
  if (s != SH_OK) return Status::Unavailable(abi_status_name(s) + ": " + instance->last_error());
  return Status::Ok();
}

}  // namespace sh::host
