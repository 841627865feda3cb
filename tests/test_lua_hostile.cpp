// [lua] Hostile rules: source that tries to hide a loop from the
// instrumenter, C library calls that would run for minutes (catastrophic
// patterns, huge string.rep/gsub results), and rules at deep paths. Each is
// stopped with a clear message naming the rule file (the whole path) and
// the budget, the rule is disabled, and the next batch goes on.
#include <catch2/catch.hpp>

#include "lua/rule_instrument.h"
#include "lua/rule_strlib.h"
#include "lua/rule_vm.h"
#include "lua/rule_watchdog.h"
#include "test_lua_support.h"

#include <lua.hpp>

#include <chrono>
#include <iterator>
#include <random>
#include <cstdio>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace lua_test;
using sh::host::LuaRule;
using sh::host::RuleVm;
using sh::host::VmCall;

namespace {

struct VmOpts {
  bool jit = true;
  bool instrument = true;
  uint32_t hook_every = 10'000;
  uint64_t ticks = 1'000'000;
  int64_t time_ns = 2'000'000'000;
  size_t mem = 16u << 20;
};

// A rule VM on `file`; `warnings` collects what the host logged about it.
struct Vm {
  std::unique_ptr<RuleVm> vm;
  std::vector<sh::host::LuaHitOut> hits;
  uint32_t n_hits = 0;
  std::vector<sh_feature_row> rows = {row(1), row(2), row(3)};
  std::vector<std::string> logged;

  Vm(const std::string& file, const std::string& source, VmOpts o = {}) {
    sh::host::RuleVmOptions opt;
    opt.label = file;
    opt.jit = o.jit;
    opt.instrument = o.instrument;
    opt.hook_every_instructions = o.hook_every;
    opt.instruction_budget = o.ticks;
    opt.time_budget_ns = o.time_ns;
    opt.memory_limit_bytes = o.mem;
    opt.log = [this](sh_log_level, const std::string& m) { logged.push_back(m); };
    std::string err;
    vm = RuleVm::create(opt, &err);
    INFO(err);
    REQUIRE(vm);
    VmCall r = vm->install(source, "");
    INFO(r.error);
    REQUIRE(r.ok);
  }
  VmCall batch(uint32_t symbol_count) {
    const sh_market_context ctx = context(symbol_count);
    return vm->run_detect(rows.data(), static_cast<uint32_t>(rows.size()), sizeof(sh_feature_row),
                          ctx, &hits, &n_hits);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A detector that does `body` (Lua statements) on a batch whose
// ctx.symbol_count is 999, and nothing otherwise (so the dry run passes and
// JIT traces can warm up first). `body` starts on line 3.
std::string on_999(const std::string& body) {
  return "function detect(row, ctx)\n"
         "  if ctx.symbol_count ~= 999 then return nil end\n" +
         body + "\n  return nil\nend\n";
}

}  // namespace

// ---------------------------------------------------------------- lexer tricks

TEST_CASE("an escape trick cannot hide a JIT-compiled endless loop", "[lua]") {
  // The old instrumenter ended the string at the newline after \z, then read
  // the closing quote as the start of a string running to the comment: the
  // loop was never instrumented, got compiled, and hung the host.
  const std::vector<std::pair<const char*, std::string>> tricks = {
      {"backslash z", "  local s = \"\\z\n  \" local i = 0 while true do i = i + 1 end --\""},
      {"backslash CR LF", "  local s = 'a\\\r\n' local i = 0 while true do i = i + 1 end --'"},
      {"escaped backslash", "  local s = \"\\\\\" local i = 0 while true do i = i + 1 end --\""},
      {"hex quote", "  local s = \"\\x22\" local i = 0 while true do i = i + 1 end --\""},
      {"decimal quote", "  local s = '\\039' local i = 0 while true do i = i + 1 end --'"},
      {"long bracket level 2", "  local s = [==[ ]] ]=] ]==] local i = 0 while true do i = i + 1 end"},
      {"long comment level 1", "  --[=[ ]] ]=] local i = 0 while true do i = i + 1 end"},
  };
  TempDir dir;
  for (const auto& [name, body] : tricks) {
    INFO(name);
    const std::string file = dir.write("trick.lua", on_999(body));
    Vm v(file, on_999(body));
    for (int i = 0; i < 30; ++i) REQUIRE(v.batch(3).ok);
    CHECK(v.vm->jit_enabled());  // instrumented: the bytecode check passed
    const auto t0 = std::chrono::steady_clock::now();
    VmCall r = v.batch(999);
    CHECK(seconds_since(t0) < 2.0);
    CHECK_FALSE(r.ok);
    CHECK(r.trip == sh::host::kTripTicks);
    CHECK_THAT(r.error, Catch::StartsWith(file + ":"));
    CHECK(contains(r.error, "instruction budget exceeded (1000000 ticks per batch)"));
    CHECK(v.vm->watchdog_interventions() == 0);
    CHECK(v.batch(3).ok);  // and the state serves the next batch
  }
}

TEST_CASE("a rule the lexer cannot read is refused with LuaJIT's own message", "[lua]") {
  TempDir dir;
  const std::string file = dir.write("bad.lua", "function detect(row, ctx)\n  local s = \"\\q\"\nend\n");
  auto cfg = detector_config(file);
  std::string err;
  CHECK_FALSE(LuaRule::load(cfg, &err));
  CHECK_THAT(err, Catch::StartsWith(file + ":2: invalid escape sequence"));
}

// ---------------------------------------------------------------- backstops

TEST_CASE("a function without budget ticks is kept out of the JIT and still stopped", "[lua]") {
  // The tests' switch loads the rule without ticks, as if the instrumenter
  // had missed every loop: the bytecode check turns the JIT off, so the
  // loop stays interpreted, where the count hook stops it.
  TempDir dir;
  const std::string src = on_999("  local i = 0\n  while true do i = i + 1 end");
  const std::string file = dir.write("unticked.lua", src);
  VmOpts o;
  o.instrument = false;
  o.time_ns = 50'000'000;
  Vm v(file, src, o);
  CHECK_FALSE(v.vm->jit_enabled());
  REQUIRE(v.logged.size() == 1);
  CHECK(contains(v.logged[0], file + ": function at line 1 has no budget check at its entry"));
  CHECK(contains(v.logged[0], "the JIT is off for this rule"));
  for (int i = 0; i < 30; ++i) REQUIRE(v.batch(3).ok);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  CHECK(seconds_since(t0) < 2.0);
  CHECK(r.trip == sh::host::kTripTime);
  CHECK(r.error == file + ":4: time budget exceeded (50 ms per batch)");
}

TEST_CASE("the watchdog stops a call that neither ticks nor hooks can reach", "[lua]") {
  // No ticks, no count hook: only the watchdog thread, from outside, can
  // stop this loop (it sets an every-instruction hook).
  TempDir dir;
  const std::string src = on_999("  local i = 0\n  while true do i = i + 1 end");
  const std::string file = dir.write("unhooked.lua", src);
  VmOpts o;
  o.jit = false;
  o.instrument = false;
  o.hook_every = 0;
  o.time_ns = 20'000'000;
  Vm v(file, src, o);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  const double s = seconds_since(t0);
  CHECK(s >= 0.019);
  CHECK(s < 1.0);
  CHECK(r.trip == sh::host::kTripTime);
  CHECK(r.error == file + ":4: time budget exceeded (20 ms per batch)");
  CHECK(v.vm->watchdog_interventions() == 1);
  // The hook is taken off again: the next batches run as before.
  for (int i = 0; i < 3; ++i) CHECK(v.batch(3).ok);
  CHECK(v.vm->watchdog_interventions() == 1);
  // Again and again, with healthy batches in between: every overrun is
  // stopped, no healthy batch is hit by a late intervention.
  for (int i = 0; i < 10; ++i) {
    VmCall over = v.batch(999);
    CHECK(over.trip == sh::host::kTripTime);
    for (int j = 0; j < 20; ++j) CHECK(v.batch(3).ok);
  }
  CHECK(v.vm->watchdog_interventions() == 11);
}

// ---------------------------------------------------------------- patterns

TEST_CASE("catastrophic patterns are stopped by the instruction budget", "[lua]") {
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"string.find", "  string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))"},
      {"string.match", "  local s = string.rep('x', 20000)\n  s:match('.-.-.-.-.-y')"},
      {"string.gmatch", "  for w in string.rep('ab', 5000):gmatch('.-.-.-c') do end"},
      {"string.gsub", "  local s = string.rep('a', 3000)\n  s:gsub('a*a*a*b', 'x')"},
      {"string.find", "  string.find(string.rep('a', 200000), string.rep('a', 100000) .. 'b', 1, true)"},
  };
  TempDir dir;
  for (const auto& [fn, body] : cases) {
    INFO(body);
    const std::string file = dir.write("pattern.lua", on_999(body));
    Vm v(file, on_999(body));
    const auto t0 = std::chrono::steady_clock::now();
    VmCall r = v.batch(999);
    CHECK(seconds_since(t0) < 2.0);
    CHECK_FALSE(r.ok);
    CHECK(r.trip == sh::host::kTripTicks);
    CHECK_THAT(r.error, Catch::StartsWith(file + ":"));
    CHECK(contains(r.error, std::string("instruction budget exceeded (1000000 ticks per batch) in ") +
                                fn + " (pattern matching, 16 match steps per tick)"));
    CHECK(v.batch(3).ok);
  }
}

TEST_CASE("a catastrophic pattern is stopped by the time budget too", "[lua]") {
  TempDir dir;
  const std::string src =
      on_999("  string.find(string.rep('a', 60), string.rep('a?', 60) .. string.rep('a', 60))");
  const std::string file = dir.write("slow_pattern.lua", src);
  VmOpts o;
  o.ticks = static_cast<uint64_t>(1e15);
  o.time_ns = 30'000'000;
  Vm v(file, src, o);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  CHECK(seconds_since(t0) < 1.0);
  CHECK(r.trip == sh::host::kTripTime);
  CHECK(r.error == file + ":3: time budget exceeded (30 ms per batch) in string.find (pattern "
                          "matching, 16 match steps per tick)");
}

TEST_CASE("catching a pattern budget error with pcall does not help", "[lua]") {
  TempDir dir;
  const std::string src = on_999(
      "  for i = 1, 1e9 do\n"
      "    pcall(string.find, string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))\n"
      "  end");
  const std::string file = dir.write("pattern_pcall.lua", src);
  Vm v(file, src);
  VmCall r = v.batch(999);
  CHECK(r.trip == sh::host::kTripTicks);
  CHECK(r.error == file + ":3: instruction budget exceeded (1000000 ticks per batch)");
}

TEST_CASE("a deeply nested pattern fails cleanly instead of overflowing the C stack", "[lua]") {
  TempDir dir;
  const std::string src = on_999("  string.find(string.rep('a', 1000), string.rep('a?', 1000))");
  const std::string file = dir.write("deep_pattern.lua", src);
  Vm v(file, src);
  VmCall r = v.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(r.error == file + ":3: string.find: pattern too complex");
}

// The bounded matcher gives what LuaJIT's own gives, for every ordinary use.
TEST_CASE("bounded pattern functions match the stock string library", "[lua]") {
  const char* const script = R"LUA(
local out = {}
local function put(...)
  local n = select("#", ...)
  local t = {}
  for i = 1, n do t[i] = tostring((select(i, ...))) end
  out[#out + 1] = n .. ":" .. table.concat(t, ",")
end
local s = "hello world from Lua 5.1, (nested (parens)) key=val; x=10 [tag] 0x1F"
for _, p in ipairs({ "o", "l+", "l*", "l-o", "^h", "^w", "1F$", "(%w+)=(%w+)", "()o()",
  "%b()", "%f[%w]%w+", "[%a_][%w_]*", "[^%s]+", "%d+%.?%d*", "[a-f%d]+$", "%s*", "(o)(.-)%1",
  "%[(.-)%]", "[]]", "[%]]", "[a-]", "%-", ".", "", "x=(%d)(%d)", "(h)(e)(l)(l)(o)" }) do
  put(string.find(s, p))
  put(string.find(s, p, 10))
  put(string.find(s, p, -12))
  put(s:match(p))
  put(s:match(p, 20))
  put(s:gsub(p, "<%0>"))
  put(s:gsub(p, "%%", 3))
  local n = 0
  for a, b in s:gmatch(p) do n = n + 1; if n < 4 then put(a, b) end end
  put(n)
end
put(string.find(s, "(", 1, true))
put(string.find(s, "[tag]", 1, true))
put(string.find(s, "", 100))
put(string.find("", ""))
put(("abc"):gsub("", "-"))
put(("abc"):gsub("%w", "%0%0"))
put(("hello world"):gsub("(%w+)", "<%1>"))
put(("hello world"):gsub("%w+", { hello = "HI", world = false }))
put(("hello world"):gsub("%w+", function(w) return #w > 4 and w:upper() or nil end))
put(("a,b,,c"):gsub(",", ";", 2))
put(("x = 1, y = 2"):gsub("(%w+) = (%w+)", "%2 = %1"))
put(pcall(string.find, s, "%"))
put(pcall(string.find, s, "[a"))
put(pcall(string.gsub, s, "(", "x"))
put(pcall(string.find, s, "%1"))
put(pcall(string.gsub, s, "o", "%2"))
put(pcall(string.rep))
put(string.rep("ab", 3), string.rep("ab", 3, ","), string.rep("x", 0), string.rep("", 1e9))
return table.concat(out, "\n")
)LUA";
  auto run = [&](bool bounded) {
    lua_State* L = luaL_newstate();
    luaL_openlibs(L);
    if (bounded) sh::host::rule_strlib_install(L);
    REQUIRE(luaL_loadstring(L, script) == 0);
    INFO(lua_tostring(L, -1));
    REQUIRE(lua_pcall(L, 0, 1, 0) == 0);
    std::string r = lua_tostring(L, -1);
    lua_close(L);
    return r;
  };
  const std::string stock = run(false);
  const std::string bounded = run(true);
  // Error messages differ only where stock LuaJIT names the call site.
  CHECK(stock.size() > 2000);
  auto lines_of = [](const std::string& s) {
    std::vector<std::string> v;
    size_t a = 0;
    for (size_t b = s.find('\n'); b != std::string::npos; a = b + 1, b = s.find('\n', a)) {
      v.push_back(s.substr(a, b - a));
    }
    v.push_back(s.substr(a));
    return v;
  };
  const auto a = lines_of(stock), b = lines_of(bounded);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].rfind("2:false,", 0) == 0) {
      CHECK(b[i].rfind("2:false,", 0) == 0);  // both fail
      continue;
    }
    INFO("line " << i);
    CHECK(a[i] == b[i]);
  }
}

// ---------------------------------------------------------------- sizes

TEST_CASE("a huge string.rep is refused before it is built", "[lua]") {
  TempDir dir;
  const std::string src = on_999("  local s = string.rep('x', 1e9)");
  const std::string file = dir.write("rep.lua", src);
  Vm v(file, src);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  CHECK(seconds_since(t0) < 1.0);
  CHECK(r.trip == sh::host::kTripMemory);
  CHECK(r.error == file + ":3: memory limit exceeded (16 MiB): string.rep would build a string "
                          "of 1000000000 bytes");
  CHECK(v.batch(3).ok);
}

TEST_CASE("an empty string.rep of 2^31 returns at once", "[lua]") {
  TempDir dir;
  const std::string src = on_999("  local s = ('') :rep(2^31 - 1) .. string.rep('', 2^31 - 1, '')\n"
                                 "  assert(s == '')");
  const std::string file = dir.write("rep_empty.lua", src);
  Vm v(file, src);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(v.batch(999).ok);
  CHECK(seconds_since(t0) < 0.5);
}

TEST_CASE("a gsub whose result outgrows the memory limit is stopped", "[lua]") {
  TempDir dir;
  const std::string src =
      on_999("  local s = string.rep('x', 1e6)\n  local r = s:gsub('x', string.rep('y', 100))");
  const std::string file = dir.write("gsub_big.lua", src);
  VmOpts o;
  o.ticks = static_cast<uint64_t>(1e12);
  Vm v(file, src, o);
  VmCall r = v.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(r.trip == sh::host::kTripMemory);
  CHECK(contains(r.error, "memory limit exceeded (16 MiB)"));
  CHECK(v.batch(3).ok);
}

// ---------------------------------------------------------------- rule level

TEST_CASE("a rule with a catastrophic pattern is disabled and the pipeline carries on", "[lua]") {
  TempDir dir;
  const std::string file = dir.write(
      "regex_bomb.lua",
      on_999("  local s = string.rep('a', 30)\n  s:find(string.rep('a?', 30) .. string.rep('a', 30))"));
  auto cfg = detector_config(file);
  cfg.instruction_budget = 1'000'000;
  cfg.time_budget_ns = 10'000'000'000;  // the tick budget speaks first
  cfg.on_error = sh::host::LuaRuleConfig::OnError::Disable;
  std::vector<std::string> logged;
  cfg.log = [&](sh_log_level, const std::string& m) { logged.push_back(m); };
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  CHECK(run(*rule, {row(1)}, 3) == SH_OK);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run(*rule, {row(1)}, 999) == SH_ERR_INTERNAL);
  CHECK(seconds_since(t0) < 2.0);
  CHECK_FALSE(rule->enabled());
  CHECK(rule->last_error() == file + ":4: instruction budget exceeded (1000000 ticks per batch) in "
                                     "string.find (pattern matching, 16 match steps per tick)");
  CHECK(rule->stats().budget_exceeded == 1);
  CHECK(rule->stats().disables == 1);
  REQUIRE(!logged.empty());
  CHECK(contains(logged.back(), "lua rule 'test_rule': version 1 failed: " + file + ":4: "));
  CHECK(contains(logged.back(), "rule disabled"));
  CHECK(run(*rule, {row(1)}, 3) == SH_ERR_UNSUPPORTED);
}

// ---------------------------------------------------------------- deep paths

TEST_CASE("errors name the whole path of a rule at a deep path", "[lua]") {
  // LuaJIT cuts chunk names to 60 bytes in its messages ("...h/rule.lua:3:");
  // operators must see the path they configured.
  TempDir dir;
  std::string deep = dir.path;
  for (int i = 0; deep.size() < 230; ++i) {
    deep += "/a_rather_long_directory_name_" + std::to_string(i);
    REQUIRE(::mkdir(deep.c_str(), 0755) == 0);
  }
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string p = deep + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  };
  REQUIRE(deep.size() > 200);
  std::string err;

  SECTION("compile error") {
    const std::string file = write("syntax.lua", "function detect(row, ctx)\n  local x = = 1\nend\n");
    CHECK_FALSE(LuaRule::load(detector_config(file), &err));
    CHECK_THAT(err, Catch::StartsWith(file + ":2: unexpected symbol near '='"));
  }
  SECTION("load-time error") {
    const std::string file = write("load.lua", "function detect(row, ctx) end\nlocal x = nil + 1\n");
    CHECK_FALSE(LuaRule::load(detector_config(file), &err));
    CHECK_THAT(err, Catch::StartsWith(file + ":2: attempt to perform arithmetic on a nil value"));
  }
  SECTION("sandbox refusal") {
    const std::string file = write("os.lua", "function detect(row, ctx) end\nos.exit(1)\n");
    CHECK_FALSE(LuaRule::load(detector_config(file), &err));
    CHECK(err == file + ":2: 'os' is not available in rules (sandbox)");
  }
  SECTION("lexical error") {
    const std::string file = write("lex.lua", "function detect(row, ctx)\n  return 'x\nend\n");
    CHECK_FALSE(LuaRule::load(detector_config(file), &err));
    CHECK_THAT(err, Catch::StartsWith(file + ":2: unfinished string"));
  }
  SECTION("runtime error and budget error") {
    const std::string file = write(
        "runtime.lua", on_999("  local t = nil\n  if row.symbol == 2 then while true do end end\n"
                              "  local y = t.x"));
    auto cfg = detector_config(file);
    cfg.instruction_budget = 100'000;
    auto rule = LuaRule::load(cfg, &err);
    INFO(err);
    REQUIRE(rule);
    CHECK(run(*rule, {row(1)}, 999) == SH_ERR_INTERNAL);
    CHECK(rule->last_error() == file + ":5: attempt to index local 't' (a nil value)");
    REQUIRE(rule->reload("") == "");
    CHECK(run(*rule, {row(2)}, 999) == SH_ERR_INTERNAL);
    CHECK(rule->last_error() == file + ":4: instruction budget exceeded (100000 ticks per batch)");
  }
  SECTION("an error caught by the rule and logged") {
    std::vector<std::string> logged;
    const std::string file = write(
        "logged.lua", on_999("  local ok, e = pcall(function() error('boom') end)\n  log(e)"));
    auto cfg = detector_config(file);
    cfg.log = [&](sh_log_level, const std::string& m) { logged.push_back(m); };
    auto rule = LuaRule::load(cfg, &err);
    INFO(err);
    REQUIRE(rule);
    CHECK(run(*rule, {row(1)}, 999) == SH_OK);
    REQUIRE(logged.size() == 1);
    CHECK(logged[0] == file + ": " + file + ":3: boom");
  }
}

// ---------------------------------------------------------------- no false alarms

TEST_CASE("every shipped and test rule passes the bytecode check and stays in the JIT", "[lua]") {
  struct Rule {
    std::string path;
    sh::host::RuleKind kind;
  };
  std::vector<Rule> rules = {
      {source_path("scripts/lua/return_spike.lua"), sh::host::RuleKind::Detector},
      {source_path("scripts/lua/volume_spike.lua"), sh::host::RuleKind::Detector},
      {source_path("scripts/lua/spread_blowout.lua"), sh::host::RuleKind::Detector},
      {source_path("scripts/lua/router_threshold.lua"), sh::host::RuleKind::Router},
      {source_path("scripts/lua/confidence_gate.lua"), sh::host::RuleKind::Risk},
  };
  for (const char* f : {"loop_after_warmup.lua", "goto_forever.lua", "tail_recursion.lua",
                        "pcall_swallow.lua", "pcall_swallow_once.lua", "recursion.lua",
                        "alloc_forever.lua", "alloc_distinct.lua", "classes.lua"}) {
    rules.push_back({fixture(f), sh::host::RuleKind::Detector});
  }
  // Every loop form, closures captured in loops (UCLO back-edges), methods,
  // varargs, nested functions.
  TempDir dir;
  rules.push_back({dir.write("all_loops.lua", R"LUA(
local M = {}
function M:sum(...) local t = 0 for _, v in ipairs({...}) do t = t + v end return t end
local function nested(n)
  local fs = {}
  for i = 1, n do fs[i] = function() return i end end
  local k = 0
  while k < n do local c = k; fs[#fs + 1] = function() return c end; k = k + 1 end
  repeat local d = k; fs[#fs + 1] = function() return d end; k = k - 1 until k <= 0
  for key, v in pairs({ a = 1 }) do k = k + v end
  for key, v in next, { b = 2 } do k = k + v end
  local j = 0
  ::again::
  do local e = j; fs[#fs + 1] = function() return e end end
  j = j + 1
  if j < 3 then goto again end
  for x = 3, 1, -1 do for y = 1, x do k = k + y end end
  return #fs + k + M:sum(1, 2, 3)
end
function detect(row, ctx)
  if nested(3) < 0 then return 1 end
  return nil
end
)LUA"),
                   sh::host::RuleKind::Detector});
  for (const Rule& r : rules) {
    INFO(r.path);
    std::ifstream in(r.path, std::ios::binary);
    const std::string src((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(!src.empty());
    sh::host::RuleVmOptions o;
    o.label = r.path;
    o.kind = r.kind;
    std::vector<std::string> logged;
    o.log = [&](sh_log_level, const std::string& m) { logged.push_back(m); };
    std::string err;
    auto vm = RuleVm::create(o, &err);
    REQUIRE(vm);
    VmCall c = vm->install(src, "{}");
    INFO(c.error);
    REQUIRE(c.ok);
    CHECK(vm->jit_enabled());
    CHECK(logged.empty());
  }
}

TEST_CASE("the bytecode check names an unticked loop by its line", "[lua]") {
  TempDir dir;
  const std::string src = "local n = 0\nfor i = 1, 10 do\n  n = n + i\nend\nfunction detect(row, ctx) end\n";
  const std::string file = dir.write("top_loop.lua", src);
  VmOpts o;
  o.instrument = false;
  Vm v(file, src, o);
  CHECK_FALSE(v.vm->jit_enabled());
  REQUIRE(v.logged.size() == 1);
  CHECK_THAT(v.logged[0], Catch::StartsWith(file + ": loop at line 2 has no budget check; "
                                                   "the JIT is off for this rule"));
}

// Property: whatever LuaJIT compiles, the instrumenter reads the same way.
// Random soups of quotes, escapes, long brackets, comments and newlines
// around real loops; for every one that LuaJIT accepts as written, the
// instrumented rule must compile too and pass the bytecode check (every
// loop and function LuaJIT sees got its tick). The check is independent of
// the lexer, so it is the oracle.
TEST_CASE("the instrumenter reads random lexical soups as LuaJIT does", "[lua]") {
  std::mt19937 rng(12);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  // Inside strings and comments: text that reads as code, or as the end of
  // the literal, to a lexer that gets one rule wrong.
  const std::vector<std::string> bait = {
      " while true do end ", " for i = 1, 2 do end ", " function() end ", " goto x ", "--", "[[",
      "]]", "]=]", "]==]", "[=[", "\"", "'", "x", " ", "\t", "do", "repeat"};
  const std::vector<std::string> escapes = {
      "\\\\", "\\\"", "\\'", "\\n", "\\z", "\\z \n\t ", "\\z\r\n", "\\\n",
      "\\\r\n", "\\\n\r", "\\\r", "\\x22", "\\x27", "\\34", "\\039", "\\0",
      "\\u{22}", "\\a", "\\v"};
  auto short_string = [&]() {
    const char q = rng() % 2 ? '"' : '\'';
    std::string t(1, q);
    for (int i = 0, k = static_cast<int>(rng() % 6); i < k; ++i) {
      if (rng() % 2) {
        t += pick(escapes);  // an escaped delimiter stays
        continue;
      }
      std::string piece = pick(bait);
      for (char& c : piece) {
        if (c == q) c = 'q';  // an unescaped delimiter would end the literal
      }
      t += piece;
    }
    return t + q;
  };
  auto long_bracket = [&](bool comment) {
    const std::string eq(rng() % 3, '=');
    std::string t = std::string(comment ? "--" : "") + "[" + eq + "[";
    const std::string closer = "]" + eq + "]";
    for (int i = 0, k = static_cast<int>(rng() % 6); i < k; ++i) {
      std::string piece = rng() % 3 ? pick(bait) : std::string("\n");
      if (piece.find(closer) == std::string::npos) t += piece;
    }
    return t + closer;
  };
  const std::vector<std::string> stmts = {
      " while true do end ", " for i = 1, 2 do end ", " repeat until true ",
      " local f = function() end ", " do end ", " local n = 0xe-1 ", " local m = 1e-2 + .5 ",
      " for k in pairs({}) do end "};
  const std::vector<std::string> newlines = {"\n", "\r", "\r\n", "\n\r", " "};
  lua_State* L = luaL_newstate();
  int accepted = 0;
  for (int n = 0; n < 3000; ++n) {
    std::string body;
    for (int i = 0, k = 1 + static_cast<int>(rng() % 6); i < k; ++i) {
      switch (rng() % 5) {
        case 0: body += " local s = " + short_string(); break;
        case 1: body += " local s = " + long_bracket(false); break;
        case 2: body += long_bracket(true); break;
        case 3: body += "--" + pick(bait) + "\n"; break;
        default: body += pick(stmts); break;
      }
      body += pick(newlines);
    }
    const std::string src = "function detect(row, ctx)\n" + body + "\n  return nil\nend\n";
    if (luaL_loadbuffer(L, src.data(), src.size(), "=raw") != 0) {
      lua_settop(L, 0);
      continue;
    }
    lua_settop(L, 0);
    ++accepted;
    INFO(src);
    std::string out, err;
    bool lexical = false;
    REQUIRE(sh::host::instrument_rule_source(src, "soup.lua", &out, &err, &lexical));
    sh::host::RuleVmOptions o;
    o.label = "soup.lua";
    std::vector<std::string> logged;
    o.log = [&](sh_log_level, const std::string& m) { logged.push_back(m); };
    auto vm = RuleVm::create(o, &err);
    REQUIRE(vm);
    VmCall c = vm->install(src, "");
    INFO(c.error);
    REQUIRE(c.ok);
    CHECK(vm->jit_enabled());
    CHECK(logged.empty());
  }
  lua_close(L);
  CHECK(accepted > 2000);
}

// Run only by the next test, in a child process: a JIT-compiled loop with
// no ticks and no hook (both switched off by the tests' options, which no
// configuration can reach) is beyond the watchdog's hook.
TEST_CASE("watchdog last resort child", "[.watchdog_child]") {
  TempDir dir;
  const std::string src = on_999("  local i = 0\n  while true do i = i + 1 end");
  const std::string file = dir.write("stuck.lua", src);
  sh::host::RuleVmOptions o;
  o.label = file;
  o.instrument = false;
  o.verify_ticks = false;
  o.hook_every_instructions = 0;
  o.time_budget_ns = 20'000'000;
  o.log = [](sh_log_level, const std::string&) {};
  std::string err;
  auto vm = RuleVm::create(o, &err);
  REQUIRE(vm);
  REQUIRE(vm->install(src, "").ok);
  std::vector<sh_feature_row> rows = {row(1)};
  std::vector<sh::host::LuaHitOut> hits;
  uint32_t n = 0;
  const sh_market_context ctx = context(999);
  vm->run_detect(rows.data(), 1, sizeof(sh_feature_row), ctx, &hits, &n);
  FAIL("the stuck call returned");
}

TEST_CASE("a call stuck where nothing can reach it ends the host with a line naming the rule",
          "[lua]") {
  // Quoted: the build directory's path may hold spaces.
  const std::string cmd = "'" + std::string(SH_BINARY_DIR) +
                          "/tests/sh_tests' \"watchdog last resort child\" 2>&1";
  const auto t0 = std::chrono::steady_clock::now();
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (size_t k; (k = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, k);
  const int status = ::pclose(p);
  INFO(out);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == sh::host::kExitRuleHung);
  CHECK(seconds_since(t0) < 30.0);
  CHECK(contains(out, "stuck.lua: a call into this rule is still running"));
  CHECK(contains(out, "past its time budget (20 ms per batch) where the host cannot interrupt it; "
                      "exiting with status 70"));
}
