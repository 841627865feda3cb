// Fuzzes the Lua rule loader's source handling: the instrumenter (the part
// that once misread string escapes and let a loop run unbounded) on any
// bytes, then LuaJIT compiles (never runs) both the original and the
// instrumented text. Property: whenever LuaJIT accepts the original, the
// instrumenter either refuses it with a message or produces text LuaJIT also
// accepts, with every line where it was. A crash, a sanitizer report or a
// broken property is a finding.
#include <lua.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "lua/rule_instrument.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lua_State* L = luaL_newstate();
  const std::string source(reinterpret_cast<const char*>(data), size);
  lua_settop(L, 0);
  const bool original_ok = luaL_loadbuffer(L, source.data(), source.size(), "=fuzz") == 0;
  lua_settop(L, 0);
  std::string out, error;
  bool lexical = false;
  const bool instrumented = sh::host::instrument_rule_source(source, "fuzz.lua", &out, &error, &lexical);
  if (!instrumented) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  if (original_ok) {
    if (luaL_loadbuffer(L, out.data(), out.size(), "=fuzz") != 0) {
      std::fprintf(stderr, "instrumented text does not compile: %s\n", lua_tostring(L, -1));
      std::abort();
    }
    lua_settop(L, 0);
    size_t lines_in = 0, lines_out = 0;
    for (char c : source) lines_in += c == '\n';
    for (char c : out) lines_out += c == '\n';
    if (lines_in != lines_out) std::abort();  // error lines must match the file
  }
  return 0;
}
