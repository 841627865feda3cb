// rule_instrument.h: rewrites a rule's Lua source so that every loop
// iteration and every function entry calls the budget check `__sh_tick()`.
//
// Why source rewriting: LuaJIT's compiled traces never look at count hooks, so
// a hook alone cannot stop `while true do end` once the loop is compiled. A
// call in the loop body is compiled into the trace (a load, a subtract, a
// store and a compare) and so bounds compiled code too. The rewriting is not
// trusted alone: the prelude checks the compiled bytecode for a tick on every
// loop back-edge and function entry and keeps the JIT off a rule that misses
// one, and a watchdog bounds every call from outside (rule_watchdog.h).
#ifndef SH_HOST_LUA_RULE_INSTRUMENT_H
#define SH_HOST_LUA_RULE_INSTRUMENT_H

#include <string>

namespace sh::host {

// Name of the budget-check local that instrumented code calls. Rule source
// may not use any identifier starting with kReservedPrefix.
inline constexpr const char* kTickName = "__sh_tick";
inline constexpr const char* kReservedPrefix = "__sh_";

// Rewrites `source` into `*out`:
//  - line 1 is prefixed with `local __sh_tick = ...; ` (the chunk is called
//    with the tick function as its only argument, so the check is a local
//    upvalue the rule cannot rebind);
//  - ` __sh_tick();` is inserted right after every `do` keyword (the body of
//    every `while`/`for` loop; a plain `do ... end` block ticks once, which is
//    harmless), after every `repeat`, and after the closing `)` of every
//    `function` parameter list;
//  - `__sh_tick(); ` is inserted right before every `goto`, so that a loop
//    built from a label and a backward goto ticks too. (Inserting after the
//    `::label::` instead would break the common `goto continue` idiom, where
//    the label must stay the last statement of its block.)
// Keywords inside strings, long strings ([[ ]], [==[ ]==]) and comments
// (--, --[[ ]]) are left alone; the lexer follows LuaJIT's exactly (every
// escape, long brackets of any level, numerals), so no spelling of a string
// can hide a loop from it. Insertions never add a newline, so line numbers
// in error messages match the file the operator edited.
// Returns false with `*error` set ("file:line: message", using `chunk_label`
// as the file) when the source is bytecode, uses a reserved identifier, or
// is lexically invalid (an unfinished string, a bad escape or long-bracket
// delimiter: *lexical_error is then true, and the caller may ask LuaJIT to
// compile, never run, the original for its own message). Such source is
// never run.
bool instrument_rule_source(const std::string& source, const std::string& chunk_label,
                            std::string* out, std::string* error,
                            bool* lexical_error = nullptr);

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_INSTRUMENT_H
