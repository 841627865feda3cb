// [lua] The source instrumenter puts budget checks in every loop and function
// and nowhere else, without moving lines.
#include <catch2/catch.hpp>

#include "lua/rule_instrument.h"

#include <algorithm>
#include <string>

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
