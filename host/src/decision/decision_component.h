// DecisionComponent: one entry of experts: or risk:, in config order: a
// plugin instance (borrowed, or adopted with Pipeline::adopt_instances) or a
// Lua rule (owned). A Lua rule under experts: is a router rule, under risk:
// a risk rule (see lua/lua_rule.h).
#pragma once

#include <memory>
#include <string>

#include "lua/lua_rule.h"
#include "plugins/plugin_instance.h"
#include "store/status.h"

namespace sh::host {

struct DecisionComponent {
  std::string name;
  PluginInstance* instance = nullptr;
  std::unique_ptr<LuaRule> rule;
};

// One call of a risk component, a Lua risk rule (when `rule` is set) or a
// plugin instance, as the risk chain's RiskPolicy::evaluate: its sh_status
// and last error as a Status. On failure a rule has written DENY
// POLICY_ERROR (or its last good version's verdicts). Used for the serving
// policies and for shadow trials' candidates.
Status evaluate_risk_component(PluginInstance* instance, LuaRule* rule,
                               const sh_order_intent_batch& intents,
                               const sh_portfolio_state& portfolio, sh_risk_verdict_batch& out);

}  // namespace sh::host
