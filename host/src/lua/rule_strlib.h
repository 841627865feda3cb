// rule_strlib.h: bounded replacements for the string library functions that
// can run for minutes inside one C call (which no count hook or budget tick
// can interrupt): the pattern functions and string.rep.
//
// string.find, string.match, string.gmatch and string.gsub are a port of
// Lua 5.1's lstrlib matcher (MIT licence, Copyright (C) 1994-2012 Lua.org,
// PUC-Rio) with the same results for every pattern, plus:
//  - every match step (a pattern item tried at a subject position, a
//    backtrack, a byte scanned by %b or a plain find) is counted; each
//    kStepsPerTick steps cost one tick of the rule's instruction budget, and
//    the wall-clock deadline and the watchdog's flag are checked every
//    kStepsPerCheck steps, so a catastrophic pattern ends with
//    "FILE:LINE: instruction budget exceeded (...) in string.find (pattern
//    matching ...)" or the time-budget equivalent, sticky like every trip;
//  - matcher recursion is limited to kMaxMatchDepth (Lua 5.1 has no limit and
//    overflows the C stack on a long pattern of optional items): deeper
//    patterns fail with "pattern too complex", as in Lua 5.2+ and LuaJIT.
// string.rep refuses a result larger than the rule's memory limit up front
// (a memory trip naming the size) and returns "" for an empty result
// without looping; otherwise it is LuaJIT's own. Result strings (gsub,
// captures) are built through the state's capped allocator.
#ifndef SH_HOST_LUA_RULE_STRLIB_H
#define SH_HOST_LUA_RULE_STRLIB_H

struct lua_State;

namespace sh::host {

inline constexpr long kStepsPerTick = 16;
inline constexpr long kStepsPerCheck = 4096;
inline constexpr int kMaxMatchDepth = 200;

// Replaces find/match/gmatch/gsub/rep in the state's global `string` table
// (which is also the string metatable's __index, so s:find(...) is bounded
// too). Call before the prelude copies the library into the sandbox.
void rule_strlib_install(lua_State* L);

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_STRLIB_H
