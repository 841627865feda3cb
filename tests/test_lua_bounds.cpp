// [lua] Bounded rules: endless loops (interpreted and JIT-compiled), runaway
// recursion and allocation are stopped, reported, and the pipeline goes on.
#include <catch2/catch.hpp>

#include "lua/rule_vm.h"
#include "test_lua_support.h"

#include <chrono>
#include <fstream>
#include <iterator>

using namespace lua_test;
using sh::host::LuaRule;
using sh::host::RuleVm;
using sh::host::VmCall;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Vm {
  std::unique_ptr<RuleVm> vm;
  std::vector<sh::host::LuaHitOut> hits;
  uint32_t n_hits = 0;
  std::vector<sh_feature_row> rows = {row(1), row(2), row(3)};

  explicit Vm(const std::string& file, bool jit = true, bool instrument = true,
              uint64_t ticks = 2'000'000, int64_t time_ns = 200'000'000, size_t mem = 32u << 20) {
    sh::host::RuleVmOptions o;
    o.label = file;
    o.jit = jit;
    o.instrument = instrument;
    o.instruction_budget = ticks;
    o.time_budget_ns = time_ns;
    o.memory_limit_bytes = mem;
    o.log = [](sh_log_level, const std::string&) {};
    std::string err;
    vm = RuleVm::create(o, &err);
    INFO(err);
    REQUIRE(vm);
    VmCall r = vm->install(read(file), "");
    INFO(r.error);
    REQUIRE(r.ok);
  }
  VmCall batch(uint32_t symbol_count) {
    const sh_market_context ctx = context(symbol_count);
    return vm->run_detect(rows.data(), static_cast<uint32_t>(rows.size()), sizeof(sh_feature_row), ctx, &hits, &n_hits);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("while true do end is stopped after the loop was JIT-compiled", "[lua]") {
  const std::string file = fixture("loop_after_warmup.lua");
  Vm v(file, /*jit=*/true);
  for (int i = 0; i < 20; ++i) REQUIRE(v.batch(3).ok);  // bounded: traces compile
  REQUIRE(v.vm->trace_count() > 0);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);  // the compiled loop never exits now
  CHECK(seconds_since(t0) < 2.0);
  CHECK_FALSE(r.ok);
  CHECK(r.trip == sh::host::kTripTicks);
  CHECK(r.error == file + ":7: instruction budget exceeded (2000000 ticks per batch)");
  // The state is still usable for the next batch.
  CHECK(v.batch(3).ok);
}

TEST_CASE("a JIT-compiled endless loop is stopped by the time budget too", "[lua]") {
  const std::string file = fixture("loop_after_warmup.lua");
  Vm v(file, true, true, /*ticks=*/1e15, /*time_ns=*/20'000'000);
  for (int i = 0; i < 20; ++i) REQUIRE(v.batch(3).ok);
  REQUIRE(v.vm->trace_count() > 0);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  const double s = seconds_since(t0);
  CHECK(s >= 0.019);
  CHECK(s < 1.0);
  CHECK(r.trip == sh::host::kTripTime);
  CHECK(r.error == file + ":7: time budget exceeded (20 ms per batch)");
  CHECK(v.batch(3).ok);
}

TEST_CASE("while true do end is stopped in the interpreter", "[lua]") {
  const std::string file = fixture("loop_after_warmup.lua");
  Vm v(file, /*jit=*/false);
  for (int i = 0; i < 5; ++i) REQUIRE(v.batch(3).ok);
  CHECK(v.vm->trace_count() == 0);
  VmCall r = v.batch(999);
  INFO(r.error);
  CHECK_FALSE(r.ok);
  CHECK(r.trip != sh::host::kTripNone);
  CHECK(contains(r.error, file + ":"));
  CHECK(contains(r.error, "budget exceeded"));
  CHECK(v.batch(3).ok);
}

TEST_CASE("the count hook alone stops interpreted code (second line of defence)", "[lua]") {
  const std::string file = fixture("loop_after_warmup.lua");
  Vm v(file, /*jit=*/false, /*instrument=*/false, 1e15, /*time_ns=*/20'000'000);
  VmCall r = v.batch(999);
  INFO(r.error);
  CHECK(r.trip == sh::host::kTripTime);
  CHECK(contains(r.error, file + ":"));
  CHECK(contains(r.error, "time budget exceeded (20 ms per batch)"));
}

TEST_CASE("a goto loop and endless tail calls are bounded", "[lua]") {
  std::string err;
  auto cfg = detector_config(fixture("goto_forever.lua"));
  cfg.instruction_budget = 1'000'000;
  CHECK_FALSE(LuaRule::load(cfg, &err));  // the dry run never ends: refused
  CHECK(contains(err, fixture("goto_forever.lua") + ":6: instruction budget exceeded"));

  Vm v(fixture("tail_recursion.lua"));
  VmCall r = v.batch(999);
  CHECK(r.trip == sh::host::kTripTicks);
  CHECK(contains(r.error, fixture("tail_recursion.lua") + ":2: instruction budget exceeded"));
}

TEST_CASE("an endless loop is caught by the dry run at load", "[lua]") {
  auto cfg = detector_config(fixture("loop_forever.lua"));
  cfg.instruction_budget = 1'000'000;
  std::string err;
  CHECK_FALSE(LuaRule::load(cfg, &err));
  CHECK(err == fixture("loop_forever.lua") +
                   ":3: instruction budget exceeded (1000000 ticks per batch) (in the dry run on sample rows)");
}

TEST_CASE("runaway recursion ends in a stack overflow error", "[lua]") {
  Vm v(fixture("recursion.lua"));
  VmCall r = v.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(contains(r.error, "stack overflow"));
  CHECK(contains(r.error, fixture("recursion.lua") + ":"));
  CHECK(v.batch(3).ok);
}

TEST_CASE("runaway allocation hits the memory limit and the memory comes back", "[lua]") {
  Vm v(fixture("alloc_distinct.lua"), true, true, 1e15, 5'000'000'000, /*mem=*/16u << 20);
  VmCall r = v.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(r.trip == sh::host::kTripMemory);
  CHECK(r.error == fixture("alloc_distinct.lua") + ": memory limit exceeded (16 MiB)");
  CHECK(v.vm->memory_bytes() < (4u << 20));  // collected after the failed batch
  CHECK(v.batch(3).ok);
}

TEST_CASE("the allocation loop from the issue is stopped by some budget", "[lua]") {
  Vm v(fixture("alloc_forever.lua"), true, true, 10'000'000, 200'000'000, 16u << 20);
  const auto t0 = std::chrono::steady_clock::now();
  VmCall r = v.batch(999);
  CHECK(seconds_since(t0) < 5.0);
  CHECK_FALSE(r.ok);
  CHECK(r.trip != sh::host::kTripNone);
  CHECK(v.batch(3).ok);
}

TEST_CASE("catching the budget error with pcall does not help", "[lua]") {
  Vm v(fixture("pcall_swallow.lua"), true, true, 1'000'000);
  VmCall r = v.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(r.trip == sh::host::kTripTicks);
  CHECK(contains(r.error, "instruction budget exceeded"));

  // With more rows, the next call of detect() is stopped at its entry.
  Vm once(fixture("pcall_swallow_once.lua"), true, true, 1'000'000);
  r = once.batch(999);
  CHECK(r.error == fixture("pcall_swallow_once.lua") +
                       ":2: instruction budget exceeded (1000000 ticks per batch)");
  // On the last row it returns normally, and the batch still fails.
  once.rows = {row(1)};
  r = once.batch(999);
  CHECK_FALSE(r.ok);
  CHECK(r.error == fixture("pcall_swallow_once.lua") +
                       ": instruction budget exceeded (1000000 ticks per batch) (the rule caught "
                       "the error and carried on)");
  CHECK(once.n_hits == 0);
}

TEST_CASE("a rule over budget is disabled and the pipeline carries on", "[lua]") {
  auto cfg = detector_config(fixture("loop_after_warmup.lua"));
  cfg.instruction_budget = 1'000'000;
  cfg.on_error = sh::host::LuaRuleConfig::OnError::Disable;
  std::string err;
  auto rule = LuaRule::load(cfg, &err);
  INFO(err);
  REQUIRE(rule);
  CHECK(run(*rule, {row(1)}, 3) == SH_OK);
  CHECK(run(*rule, {row(1)}, 999) == SH_ERR_INTERNAL);
  CHECK_FALSE(rule->enabled());
  CHECK(contains(rule->last_error(), "instruction budget exceeded"));
  CHECK(rule->stats().budget_exceeded == 1);
  CHECK(rule->stats().disables == 1);
  CHECK(run(*rule, {row(1)}, 3) == SH_ERR_UNSUPPORTED);  // returns at once, no hits
}
