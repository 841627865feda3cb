// [lua] Rule code runs in an allow-list environment: every way out is
// refused with an error naming the function and the rule file.
#include <catch2/catch.hpp>

#include "test_lua_support.h"

using namespace lua_test;
using sh::host::LuaRule;

TEST_CASE("every sandbox escape names the function and the rule file", "[lua]") {
  TempDir dir;
  const char* const denied[] = {"io", "os", "require", "package", "ffi", "debug", "jit", "load",
                                "loadstring", "loadfile", "dofile", "collectgarbage", "setfenv",
                                "getfenv", "newproxy", "module", "rawset", "_G", "coroutine",
                                "string.dump"};
  for (const char* name : denied) {
    SECTION(name) {
      // At the top level (runs while loading) ...
      const std::string top = dir.write("escape_top.lua",
          std::string("-- tries ") + name + "\nlocal f = " + name + "\nfunction detect(row, ctx) end\n");
      std::string err;
      CHECK_FALSE(LuaRule::load(detector_config(top), &err));
      CHECK(err == top + ":2: '" + name + "' is not available in rules (sandbox)");
      // ... and inside detect() (caught by the dry run).
      const std::string inner = dir.write("escape_inner.lua",
          std::string("function detect(row, ctx)\n  local f = ") + name + "\nend\n");
      CHECK_FALSE(LuaRule::load(detector_config(inner), &err));
      CHECK(contains(err, inner + ":2: '" + name + "' is not available in rules (sandbox)"));
    }
  }
}

TEST_CASE("the os escape in a shipped-style path reads as documented", "[lua]") {
  TempDir dir;
  const std::string p = dir.write("return_spike.lua",
      "local t = params.z_threshold or 4\n\nlocal now = os.time()\nfunction detect(row, ctx) end\n");
  std::string err;
  CHECK_FALSE(LuaRule::load(detector_config(p), &err));
  CHECK(err == p + ":3: 'os' is not available in rules (sandbox)");
}

TEST_CASE("bytecode is refused", "[lua]") {
  TempDir dir;
  const std::string p = dir.write("compiled.lua", std::string("\x1bLJ\x02\x0a\x00\x00\x00", 8));
  std::string err;
  CHECK_FALSE(LuaRule::load(detector_config(p), &err));
  CHECK(contains(err, p + ": precompiled bytecode is not accepted"));
}

TEST_CASE("reading an undefined global is an error, defining one is fine", "[lua]") {
  TempDir dir;
  const std::string typo = dir.write("typo.lua", "function detect(row, ctx)\n  return prams.x\nend\n");
  std::string err;
  CHECK_FALSE(LuaRule::load(detector_config(typo), &err));
  CHECK(contains(err, typo + ":2: 'prams' is not defined (undefined global)"));
  const std::string ok = dir.write("ok.lua", "counter = 0\nfunction detect(row, ctx) counter = counter + 1 end\n");
  CHECK(LuaRule::load(detector_config(ok), &err));
}

TEST_CASE("rows and ctx cannot be used to reach host memory", "[lua]") {
  TempDir dir;
  const std::string p = dir.write("poke.lua", R"(
function detect(row, ctx)
  if row.symbol ~= 1 then return nil end
  local refused = 0
  local function try(f) if not pcall(f) then refused = refused + 1 end end
  try(function() return row + 1 end)            -- pointer arithmetic
  try(function() return row[1] end)             -- indexing past the row
  try(function() row.close = 1 end)             -- writing host memory
  try(function() return ctx - 1 end)
  try(function() ctx.breadth = 2 end)
  try(function() return #row end)
  try(function() return row.no_such_field end)
  try(function() return ("x"):dump() end)       -- string.dump via the string metatable
  if getmetatable("") == nil then refused = refused + 1 end
  return refused
end
)");
  std::string err;
  auto rule = LuaRule::load(detector_config(p), &err);
  INFO(err);
  REQUIRE(rule);
  std::vector<sh_feature_row> rows = {row(1)};
  std::vector<Hit> hits;
  REQUIRE(run(*rule, rows, 1, &hits) == SH_OK);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].score == 9);
  CHECK(rows[0].close == 100);  // untouched
}

TEST_CASE("the allowed library works inside rules", "[lua]") {
  TempDir dir;
  const std::string p = dir.write("libs.lua", R"(
local t = {}
for i = 1, 5 do table.insert(t, i * i) end
local s = string.format("%d-%s", #t, string.rep("a", 2))
local m = math.floor(math.sqrt(16)) + bit.band(7, 3)
function detect(row, ctx)
  if is_null(row.z_ret) then return nil end
  if s == "5-aa" and m == 7 and select("#", unpack(t)) == 5 and is_null(0/0) and is_null(nil) then
    return 42, "libs_ok"
  end
end
)");
  std::string err;
  auto rule = LuaRule::load(detector_config(p), &err);
  INFO(err);
  REQUIRE(rule);
  std::vector<Hit> hits;
  REQUIRE(run(*rule, {row(1)}, 1, &hits) == SH_OK);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].cls == "libs_ok");
  CHECK(hits[0].score == 42);
}
