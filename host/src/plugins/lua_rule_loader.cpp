#include "plugins/lua_rule_loader.h"

#include <spdlog/spdlog.h>

#include <memory>
#include "services/text_util.h"

namespace sh::host {

namespace {

// Shared by every version of one rule (each RuleVm holds a copy of the callback).
struct RuleLogState {
  std::string component;
  std::string path;
  HostRuntime* runtime = nullptr;
  uint32_t counter = 0;  // "NAME.log_lines", registered on the first line
};

}  // namespace

std::string with_full_rule_path(const std::string& message, const std::string& path) {
  std::string out;
  size_t from = 0;
  for (size_t dots = message.find("..."); dots != std::string::npos;
       dots = message.find("...", dots + 3)) {
    if (dots < from) continue;
    const size_t colon = message.find(':', dots + 3);
    if (colon == std::string::npos) break;
    const size_t n = colon - (dots + 3);
    if (n == 0 || n > path.size() || path.compare(path.size() - n, n, message, dots + 3, n) != 0) {
      continue;
    }
    out.append(message, from, dots - from);
    out += path;
    from = colon;
  }
  out.append(message, from, std::string::npos);
  return out;
}

RuleKind rule_kind_of(const ComponentConfig& component) {
  switch (component.kind) {
    case SH_KIND_EXPERT: return RuleKind::Router;
    case SH_KIND_RISK: return RuleKind::Risk;
    default: return RuleKind::Detector;
  }
}

LuaRuleConfig make_lua_rule_config(const ComponentConfig& component, HostRuntime* runtime) {
  const LuaComponentSettings& s = component.lua;
  LuaRuleConfig c;
  c.name = component.name;
  c.path = s.path.string();
  c.kind = rule_kind_of(component);
  c.params_json = s.params.dump();
  c.hit_class = s.hit_class;
  c.instruction_budget = s.instruction_budget;
  c.time_budget_ns = s.time_budget_ms * 1'000'000;
  c.memory_limit_bytes = static_cast<size_t>(s.memory_limit_mb) << 20;
  if (runtime != nullptr) c.feature_columns = runtime->feature_columns;
  c.on_error = s.disable_on_error ? LuaRuleConfig::OnError::Disable
                                  : LuaRuleConfig::OnError::KeepLastGood;
  c.jit = s.jit;
  auto state = std::make_shared<RuleLogState>();
  state->component = component.name;
  state->path = c.path;
  state->runtime = runtime;
  c.log = [state](sh_log_level level, const std::string& line) {
    // The host's own reports about the rule start "lua rule 'NAME': ". Its
    // reload reports repeat what the pipeline logs about the reload: debug.
    const std::string own = "lua rule '" + state->component + "': ";
    const bool report = line.rfind(own, 0) == 0;
    if (report && line.compare(own.size(), 6, "reload") == 0) level = SH_LOG_DEBUG;
    spdlog::log(to_spdlog(level), "[{}] {}", state->component,
                with_full_rule_path(line, state->path));
    if (state->runtime == nullptr || report) return;
    if (state->counter == 0) {
      state->counter = state->runtime->counters.register_counter(state->component + ".log_lines");
    }
    state->runtime->counters.add(state->counter, 1);
  };
  if (runtime != nullptr) {
    c.symbol_name = [runtime](sh_symbol_id id) { return runtime->symbols.name(id); };
  }
  return c;
}

std::unique_ptr<LuaRule> load_lua_component(const HostConfig& config,
                                            const ComponentConfig& component,
                                            HostRuntime* runtime, std::string* error) {
  const LuaRuleConfig rc = make_lua_rule_config(component, runtime);
  std::string why;
  std::unique_ptr<LuaRule> rule = LuaRule::load(rc, &why);
  if (!rule) {
    why = with_full_rule_path(why, rc.path);
    for (char& ch : why) {
      if (ch == '\n' || ch == '\r') ch = ' ';  // one line per error
    }
    const YAML::Node at = component.node["lua"];
    *error = config.message_at(at, "component '" + component.name + "' (lua " +
                                       rule_kind_name(rc.kind) + "): " + why);
  }
  return rule;
}

LoadedRules load_lua_components(const HostConfig& config, HostRuntime& runtime) {
  LoadedRules out;
  for (const ComponentConfig* c : config.components()) {
    if (!c->is_lua) continue;
    std::string error;
    auto rule = load_lua_component(config, *c, &runtime, &error);
    if (rule) {
      out.rules.push_back({c, std::move(rule)});
    } else {
      out.errors.push_back(std::move(error));
    }
  }
  return out;
}

}  // namespace sh::host
