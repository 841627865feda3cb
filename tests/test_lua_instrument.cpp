// [lua] The source instrumenter puts budget checks in every loop and function
// and nowhere else, without moving lines.
#include <catch2/catch.hpp>

#include "lua/rule_instrument.h"

#include <lua.hpp>

#include <algorithm>
#include <string>
#include <vector>

using sh::host::instrument_rule_source;

namespace {

std::string instrument(const std::string& src) {
  std::string out, err;
  REQUIRE(instrument_rule_source(src, "r.lua", &out, &err));
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("ticks go after loop do, repeat and function headers, before goto", "[lua]") {
  const std::string src =
      "local function f(a, b)\n"
      "  while a do a = false end\n"
      "  for i = 1, 3 do end\n"
      "  for k, v in pairs({}) do end\n"
      "  repeat b = nil until true\n"
      "  ::top:: if b then goto top end\n"
      "  return function(...) end\n"
      "end\n";
  const std::string out = instrument(src);
  CHECK(out.rfind("local __sh_tick = ...; local function f(a, b) __sh_tick();\n", 0) == 0);
  CHECK(out.find("while a do __sh_tick(); a = false end") != std::string::npos);
  CHECK(out.find("for i = 1, 3 do __sh_tick(); end") != std::string::npos);
  CHECK(out.find("in pairs({}) do __sh_tick(); end") != std::string::npos);
  CHECK(out.find("repeat __sh_tick(); b = nil") != std::string::npos);
  CHECK(out.find("then __sh_tick(); goto top end") != std::string::npos);
  CHECK(out.find("function(...) __sh_tick(); end") != std::string::npos);
  CHECK(count(out, "__sh_tick();") == 7);
  CHECK(std::count(out.begin(), out.end(), '\n') == std::count(src.begin(), src.end(), '\n'));
}

TEST_CASE("keywords in strings and comments are left alone", "[lua]") {
  const std::string src =
      "local s = 'while x do' .. \"for do \\\" do\" -- do repeat function()\n"
      "local t = [[ do\n repeat ]] .. [==[ ]] do ]==]\n"
      "--[[ while true do end\n function() ]] local u = 1\n"
      "--[=[ ]] do ]=] x = t.done\n"
      "local n = 1e5 + 0x1Fdo\n";  // malformed numeral: the compiler's problem, not a `do`
  const std::string out = instrument(src);
  CHECK(count(out, "__sh_tick();") == 0);
  CHECK(out.substr(std::string("local __sh_tick = ...; ").size()) == src);
}

TEST_CASE("reserved names and bytecode are refused with file:line", "[lua]") {
  std::string out, err;
  CHECK_FALSE(instrument_rule_source("local x = 1\n__sh_tick = function() end\n", "r.lua", &out, &err));
  CHECK(err == "r.lua:2: identifier '__sh_tick' is reserved for the host (names starting with __sh_)");
  CHECK_FALSE(instrument_rule_source(std::string("\x1bLJ\x02\x00", 5), "r.lua", &out, &err));
  CHECK(err.find("bytecode") != std::string::npos);
}

TEST_CASE("a shebang line stays a comment and keeps line numbers", "[lua]") {
  const std::string out = instrument("#!/usr/bin/env luajit\nfor i=1,2 do end\n");
  CHECK(out.find('#') == std::string::npos);
  CHECK(out.find("\nfor i=1,2 do __sh_tick(); end\n") != std::string::npos);
}

// Each source hides `while true do end` behind a lexical trick that made the
// old instrumenter misread where a string or comment ends. LuaJIT reads the
// loop as code, so the instrumenter must too.
TEST_CASE("string escapes and long brackets cannot hide a loop from the instrumenter", "[lua]") {
  struct Trick {
    const char* name;
    std::string src;
  };
  const std::vector<Trick> tricks = {
      {"backslash z skips a newline", "local s = \"\\z\n   \" while true do end --\"\n"},
      {"backslash z skips CR LF", "local s = 'a\\z\r\n\t ' while true do end --'\n"},
      {"backslash CR LF continues the string", "local s = \"a\\\r\n\" while true do end --\"\n"},
      {"backslash LF CR continues the string", "local s = \"a\\\n\r\" while true do end --\"\n"},
      {"escaped backslash before the quote", "local s = \"\\\\\" while true do end --\"\n"},
      {"escaped quote", "local s = \"\\\"\" while true do end --\"\n"},
      {"escaped backslash and quote", "local s = '\\\\\\'' while true do end --'\n"},
      {"hex escape of a quote", "local s = \"\\x22\" while true do end --\"\n"},
      {"decimal escape of a quote", "local s = \"\\34\\034\" while true do end --\"\n"},
      {"unicode escape", "local s = \"\\u{22}\" while true do end --\"\n"},
      {"other quote inside", "local s = \"'\" .. '\"' while true do end --'\n"},
      {"long string with a shorter closer inside", "local s = [==[ ]] ]=] ]===] ]==] while true do end\n"},
      {"long string closer after a bracket run", "local s = [=[ ]]=] while true do end\n"},
      {"long comment with a shorter closer inside", "--[==[ ]] ]=] ]==] while true do end\n"},
      {"not a long comment: short comment to end of line", "--[= not long\nwhile true do end\n"},
      {"comment start inside a string", "local s = '--[[' while true do end -- ]]\n"},
      {"long bracket inside a string", "local s = \"[[\" while true do end -- ]]\n"},
      {"hex numeral with e then minus", "local x = 0xe-1 while true do end\n"},
      {"numeral suffixes", "local x = 1ULL + 2LL + 3i + 0x10ull + 1e-3 while true do end\n"},
      {"dot digit numeral", "local x = .5e+1 while true do end\n"},
      {"carriage returns only", "local s = 'x'\rwhile true do end\r"},
      {"BOM then shebang", "\xef\xbb\xbf#!/usr/bin/luajit \"\nwhile true do end\n"},
  };
  for (const Trick& t : tricks) {
    INFO(t.name);
    std::string out, err;
    bool lexical = true;
    REQUIRE(instrument_rule_source(t.src, "r.lua", &out, &err, &lexical));
    CHECK_FALSE(lexical);
    CHECK(out.find("while true do __sh_tick(); end") != std::string::npos);
    CHECK(count(out, "__sh_tick();") == 1);
    CHECK(std::count(out.begin(), out.end(), '\n') == std::count(t.src.begin(), t.src.end(), '\n'));
  }
}

TEST_CASE("source the lexer cannot read is refused as a lexical error", "[lua]") {
  for (const std::string src : {"local s = 'unfinished\nwhile true do end\n",
                                "local s = \"bad escape \\q\" while true do end\n",
                                "local s = \"\\x2\" while true do end\n",
                                "local s = \"\\256\" while true do end\n",
                                "local s = [=[ never closed ]] while true do end\n",
                                "--[[ never closed\nwhile true do end\n",
                                "local s = [= x\n"}) {
    INFO(src);
    std::string out, err;
    bool lexical = false;
    CHECK_FALSE(instrument_rule_source(src, "r.lua", &out, &err, &lexical));
    CHECK(lexical);
    CHECK(err.rfind("r.lua:", 0) == 0);
  }
}

TEST_CASE("function headers tick however they are spelt", "[lua]") {
  const std::string out = instrument(
      "local t = {}\n"
      "function t.a.b:c(x, ...) return x end\n"
      "local f = function --[[ ( ]] (y) return y end\n"
      "local g = 0xe-function() end\n");
  CHECK(out.find("function t.a.b:c(x, ...) __sh_tick(); return") != std::string::npos);
  CHECK(out.find("(y) __sh_tick(); return y end") != std::string::npos);
  CHECK(out.find("0xe-function() __sh_tick(); end") != std::string::npos);
}

TEST_CASE("goto used as a name is left alone, goto statements still tick", "[lua]") {
  // LuaJIT (5.1 mode) reads `goto` as a name wherever a name may stand; a
  // tick before such a `goto` broke the rule (found by fuzz/fuzz_lua_rule:
  // `local abs = goto.abs`).
  lua_State* L = luaL_newstate();
  auto compiles = [&](const std::string& text) {
    const bool ok = luaL_loadbuffer(L, text.data(), text.size(), "=t") == 0;
    lua_settop(L, 0);
    return ok;
  };
  for (const std::string src : {"local goto = {abs = math.abs}\nlocal abs = goto.abs\n",
                                "local t = {goto = 1}\nreturn t.goto, t:goto()\n",
                                "local goto = 1\nlocal x = goto\nlocal y = (goto) + goto\n",
                                "local function goto(a) return a end\nreturn goto(1)\n"}) {
    INFO(src);
    REQUIRE(compiles(src));
    const std::string out = instrument(src);
    CHECK(compiles(out));
    CHECK(count(out, "__sh_tick(); goto") == 0);
  }
  // Statements: after a statement end, a block keyword, a label, `;` or `)`.
  const std::string loops =
      "local i = 0\n"
      "::a:: i = i + 1 if i < 3 then goto a end\n"
      "::b:: i = i - 1; goto c\n"
      "::c:: do goto d end ::d:: print(i) goto e\n"
      "::e::\n";
  REQUIRE(compiles(loops));
  const std::string out = instrument(loops);
  CHECK(compiles(out));
  CHECK(count(out, "__sh_tick(); goto") == 4);
  lua_close(L);
}
