// rule_params.h: turns a rule's parameters (a JSON object) into the Lua
// table the rule sees as `params`.
#ifndef SH_HOST_LUA_RULE_PARAMS_H
#define SH_HOST_LUA_RULE_PARAMS_H

struct lua_State;

namespace sh::host {

// lua_CFunction, to be called with lua_pcall: argument 1 is a light userdata
// pointing to a `const std::string` holding JSON ("" or whitespace = {}).
// Pushes one table: objects become tables with string keys, arrays 1-based
// sequences, numbers/strings/booleans themselves, null is omitted (absent
// key). Raises a Lua error "params: <what> at byte N" on malformed JSON or a
// top level that is not an object. Nesting is limited to 32 levels.
int push_params_from_json(lua_State* L);

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_PARAMS_H
