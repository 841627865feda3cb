// Lua rule components: config entry (`lua: PATH`) -> LuaRuleConfig -> a
// loaded (compiled, dry-run) LuaRule.
//
// Errors are one line that starts with the config location of the entry and
// names the rule file and line, e.g.
//   cfg.yaml:12:10: component 'spike' (lua detector): /rules/spike.lua:3: attempt to index global 'os' (a nil value)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/host_config.h"
#include "services/host_services.h"
#include "lua/lua_rule.h"

namespace sh::host {

// detectors: -> Detector, experts: -> Router, risk: -> Risk.
RuleKind rule_kind_of(const ComponentConfig& component);

// The rule config of a `lua:` component. With a runtime, row.symbol_name
// resolves through runtime->symbols and the rule's log lines go to spdlog as
// "[NAME] ..." and are counted in the counter "NAME.log_lines"; without one,
// lines go to spdlog only. runtime must outlive the rule.
LuaRuleConfig make_lua_rule_config(const ComponentConfig& component, HostRuntime* runtime);

// Loads one `lua:` component. Null and *error (located, one line) on failure.
std::unique_ptr<LuaRule> load_lua_component(const HostConfig& config,
                                            const ComponentConfig& component,
                                            HostRuntime* runtime, std::string* error);

// LuaJIT shortens chunk names in messages to 60 bytes ("...tail/rule.lua:5:
// msg"); this puts the full `path` back wherever such a tail of it appears,
// so that every error names the rule file exactly.
std::string with_full_rule_path(const std::string& message, const std::string& path);

struct LoadedRules {
  struct Rule {
    const ComponentConfig* component;
    std::unique_ptr<LuaRule> rule;
  };
  std::vector<Rule> rules;          // HostConfig::components() order
  std::vector<std::string> errors;  // one line per failed rule
};

// Loads every `lua:` component, carrying on past failures.
LoadedRules load_lua_components(const HostConfig& config, HostRuntime& runtime);

}  // namespace sh::host
