// bench_lua_rule: per-row cost of the return_spike detector written as a Lua
// rule (scripts/lua/return_spike.lua, batched through the prelude) against
// the same logic in C++ called through an sh_detector_api function pointer,
// on the same batches. Also: the rule with the JIT off, the rule without the
// budget ticks and count hook (the cost of bounding), and a naive per-row
// LuaJIT C-API call. Build Release; run from anywhere.
#include "services/host_services.h"
#include "lua/lua_rule.h"
#include "lua/rule_vm.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_library.h"

#include <strategy_host/abi.h>

#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kRows = 1000;
constexpr int kWarmup = 200;
constexpr int kReps = 3000;

// ---- the C++ baseline: return_spike, as a plugin would implement it ----
struct CppParams {
  double z_threshold = 4.0;
  double min_abs_ret_bps = 10.0;
};

sh_status cpp_detect(void* instance, const sh_feature_batch* rows, const sh_market_context*,
                     const sh_hit_sink* sink) {
  const auto* p = static_cast<const CppParams*>(instance);
  sh_detector_hit hits[64];
  uint32_t n = 0;
  const auto* base = reinterpret_cast<const unsigned char*>(rows->rows);
  for (uint32_t i = 0; i < rows->count; ++i) {
    const auto& row = *reinterpret_cast<const sh_feature_row*>(base + static_cast<size_t>(i) * rows->row_size);
    const double az = std::fabs(row.z_ret);
    if (!(az >= p->z_threshold) || !(std::fabs(row.log_ret * 1e4) >= p->min_abs_ret_bps)) continue;
    sh_detector_hit& h = hits[n++];
    h.struct_size = sizeof h;
    h.symbol = row.symbol;
    h.minute_ts_ns = row.minute_ts_ns;
    const double s = 50.0 + 50.0 * (az - p->z_threshold) / p->z_threshold;
    h.score = s > 100.0 ? 100.0 : s;
    h.hit_class = "return_spike";
    h.value = row.z_ret;
    h.threshold = p->z_threshold;
    if (n == 64) {
      sink->emit(sink->sink_ctx, hits, n, sizeof(sh_detector_hit));
      n = 0;
    }
  }
  return n ? sink->emit(sink->sink_ctx, hits, n, sizeof(sh_detector_hit)) : SH_OK;
}

struct CountingSink {
  uint64_t hits = 0;
  sh_hit_sink sink() {
    sh_hit_sink s{sizeof(sh_hit_sink), this,
                  [](void* ctx, const sh_detector_hit*, uint32_t n, uint32_t) -> sh_status {
                    static_cast<CountingSink*>(ctx)->hits += n;
                    return SH_OK;
                  }};
    return s;
  }
};

// Realistic minute: returns ~N(0, 10 bps), z ~ N(0, 1), a handful of spikes.
std::vector<sh_feature_row> make_rows(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<sh_feature_row> rows(kRows);
  for (uint32_t i = 0; i < kRows; ++i) {
    sh_feature_row& r = rows[i];
    std::memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.symbol = i + 1;
    r.minute_ts_ns = 1'700'000'040'000'000'000;
    r.close = 100 + z(rng);
    r.volume = 1000 * std::exp(z(rng));
    r.z_ret = z(rng);
    r.log_ret = r.z_ret * 0.001;
    r.z_volume = z(rng);
    r.spread_bps = 2 + std::fabs(z(rng));
    r.q_volume = 0.5;
    if (rng() % 100 == 0) {  // ~1% spikes
      r.z_ret = (rng() % 2 ? 1 : -1) * (4 + 4 * std::fabs(z(rng)));
      r.log_ret = r.z_ret * 0.001;
    }
  }
  return rows;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Median ns per row of `call` over kReps batches (after kWarmup).
double ns_per_row(const std::function<void()>& call) {
  for (int i = 0; i < kWarmup; ++i) call();
  std::vector<double> t(kReps);
  for (int i = 0; i < kReps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    call();
    const auto b = std::chrono::steady_clock::now();
    t[i] = std::chrono::duration<double, std::nano>(b - a).count() / kRows;
  }
  return median(t);
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main() {
  const std::string rule_path = std::string(SH_SOURCE_DIR) + "/scripts/lua/return_spike.lua";
  const std::vector<sh_feature_row> rows = make_rows(7);
  sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row), kRows, 0,
                         rows[0].minute_ts_ns, rows.data(), 0, 0, nullptr, nullptr};
  sh_market_context ctx;
  std::memset(&ctx, 0, sizeof ctx);
  ctx.struct_size = sizeof ctx;
  ctx.symbol_count = kRows;
  ctx.benchmark_ret = NAN;

  // C++ through a function pointer, as the host calls a plugin.
  CppParams params;
  static sh_detector_api api{sizeof(sh_detector_api), cpp_detect};
  const sh_detector_api* volatile api_ptr = &api;
  CountingSink cpp_sink;
  const sh_hit_sink cs = cpp_sink.sink();
  const double cpp = ns_per_row([&] { api_ptr->detect(&params, &batch, &ctx, &cs); });

  // The real C++ plugin (plugins/return_spike) through dlopen and the ABI,
  // exactly as the pipeline calls it: the comparison the issue asks for.
  sh::host::HostRuntime runtime;
  const auto opened = sh::host::PluginLibrary::open(std::string(SH_PLUGIN_DIR) + "/libreturn_spike.so");
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot load the return_spike plugin: %s\n", opened.status.c_str());
    return 1;
  }
  auto created = sh::host::PluginInstance::create("return_spike", opened.library,
                                                  nlohmann::json::object(), runtime);
  if (!created.instance) {
    std::fprintf(stderr, "%s\n", created.error.c_str());
    return 1;
  }
  CountingSink plugin_sink;
  const sh_hit_sink ps = plugin_sink.sink();
  const double plugin = ns_per_row([&] { created.instance->detect(batch, ctx, ps); });

  // The Lua rule, batched (the production path, bounds on).
  auto run_rule = [&](bool jit, uint64_t* hits_out) {
    sh::host::LuaRuleConfig cfg;
    cfg.name = "return_spike";
    cfg.path = rule_path;
    cfg.jit = jit;
    std::string err;
    auto rule = sh::host::LuaRule::load(cfg, &err);
    if (!rule) {
      std::fprintf(stderr, "load failed: %s\n", err.c_str());
      std::exit(1);
    }
    CountingSink sink;
    const sh_hit_sink s = sink.sink();
    const double ns = ns_per_row([&] { rule->detect(batch, ctx, s); });
    *hits_out = sink.hits;
    return ns;
  };
  uint64_t lua_hits = 0, interp_hits = 0;
  const double lua = run_rule(true, &lua_hits);
  const double interp = run_rule(false, &interp_hits);

  // Same rule on a bare RuleVm: with and without ticks + count hook.
  auto run_vm = [&](bool bounded, bool jit = true, bool hook = true) {
    sh::host::RuleVmOptions o;
    o.label = rule_path;
    o.jit = jit;
    o.instrument = bounded;
    o.verify_ticks = bounded;  // unbounded on purpose: keep it in the JIT
    o.hook_every_instructions = bounded && hook ? 10'000 : 0;
    std::string err;
    auto vm = sh::host::RuleVm::create(o, &err);
    if (!vm || !vm->install(read(rule_path), "").ok) std::exit(1);
    std::vector<sh::host::LuaHitOut> hits;
    uint32_t n_hits = 0;
    return ns_per_row(
        [&] { vm->run_detect(rows.data(), kRows, sizeof(sh_feature_row), ctx, &hits, &n_hits); });
  };
  const double vm_bounded = run_vm(true);
  const double vm_unbounded = run_vm(false);
  const double interp_no_hook = run_vm(true, /*jit=*/false, /*hook=*/false);

  // Naive: one lua_getglobal + lua_pcall per row, the row as a fresh table.
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  luaL_dostring(L,
                "function detect(row)\n"
                "  local az = math.abs(row.z_ret)\n"
                "  if not (az >= 4) or not (math.abs(row.log_ret * 1e4) >= 10) then return nil end\n"
                "  return math.min(100, 50 + 50 * (az - 4) / 4)\n"
                "end\n");
  uint64_t naive_hits = 0;
  const double naive = ns_per_row([&] {
    for (uint32_t i = 0; i < kRows; ++i) {
      lua_getglobal(L, "detect");
      lua_createtable(L, 0, 3);
      lua_pushnumber(L, rows[i].z_ret);
      lua_setfield(L, -2, "z_ret");
      lua_pushnumber(L, rows[i].log_ret);
      lua_setfield(L, -2, "log_ret");
      lua_pushnumber(L, rows[i].symbol);
      lua_setfield(L, -2, "symbol");
      if (lua_pcall(L, 1, 1, 0) == 0) {
        naive_hits += !lua_isnil(L, -1);
      }
      lua_pop(L, 1);
    }
  });
  lua_close(L);

  const double per_batch = static_cast<double>(kWarmup + kReps);
  std::printf("bench_lua_rule: return_spike, %u rows/batch, median of %d batches\n", kRows, kReps);
  std::printf("  hits per batch: C++ %.0f, Lua %.0f, Lua (JIT off) %.0f, naive %.0f\n",
              cpp_sink.hits / per_batch, lua_hits / per_batch, interp_hits / per_batch,
              naive_hits / per_batch);
  std::printf("  hits per batch: C++ plugin %.0f\n", plugin_sink.hits / per_batch);
  std::printf("  %-52s %8.2f ns/row\n", "C++ return_spike plugin (dlopen, through the ABI)", plugin);
  std::printf("  %-52s %8.2f ns/row\n", "C++ inline copy via sh_detector_api function pointer", cpp);
  std::printf("  %-52s %8.2f ns/row   Lua/plugin = %.2fx (target <= 2x), Lua/inline = %.2fx\n",
              "Lua rule, batched via prelude (LuaRule::detect)", lua, lua / plugin, lua / cpp);
  std::printf("  %-52s %8.2f ns/row\n", "  same rule on RuleVm, bounded (ticks + hook)", vm_bounded);
  std::printf("  %-52s %8.2f ns/row   bounding overhead = %+.2f ns/row\n",
              "  same rule on RuleVm, unbounded (no ticks, no hook)", vm_unbounded,
              vm_bounded - vm_unbounded);
  std::printf("  %-52s %8.2f ns/row   (%.1fx C++)\n", "Lua rule, JIT off (interpreter + count hook)",
              interp, interp / cpp);
  std::printf("  %-52s %8.2f ns/row   (%.1fx C++)\n", "  JIT off, ticks only (no count hook)",
              interp_no_hook, interp_no_hook / cpp);
  std::printf("  %-52s %8.2f ns/row   (%.1fx C++)\n", "naive C API: lua_getglobal + lua_pcall per row",
              naive, naive / cpp);
  return 0;
}
