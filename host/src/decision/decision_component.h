// DecisionComponent: one entry of experts: or risk:, in config order: a
// plugin instance (borrowed, or adopted with Pipeline::adopt_instances) or a
// Lua rule (owned). A Lua rule under experts: is a router rule, under risk:
// a risk rule (see lua/lua_rule.h).
#pragma once

#include <memory>
#include <string>

#include "lua/lua_rule.h"
#include "plugins/plugin_instance.h"

namespace sh::host {

struct DecisionComponent {
  std::string name;
  PluginInstance* instance = nullptr;
  std::unique_ptr<LuaRule> rule;
};

}  // namespace sh::host
