// rule_vm.h: one LuaJIT state holding one version of one rule: the memory
// limited allocator, the budget block shared with JIT-compiled code, the
// trusted prelude and the sandboxed rule. Private to host/src/lua (and tests).
#ifndef SH_HOST_LUA_RULE_VM_H
#define SH_HOST_LUA_RULE_VM_H

#include "lua/lua_rule.h"

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct lua_State;
struct lua_Debug;

namespace sh::host {

class RuleWatch;

// Chunk name of every rule in its lua_State. LuaJIT cuts chunk names to
// LUA_IDSIZE (60) bytes in its messages, so the state never sees the path:
// messages leave the VM through fix_chunk_names(), which puts the full,
// uncut path back ("<rule>:12: x" -> "/deep/path/rule.lua:12: x").
inline constexpr const char* kRuleChunkName = "=<rule>";
inline constexpr const char* kRuleChunkTag = "<rule>:";

// Shared with the prelude through FFI (declared there as sh_lua_budget; the
// layout test keeps the two in step). Doubles so that interpreted code does
// no boxing; all counts stay far below 2^53.
struct LuaBudget {
  double ticks_left;      // decremented by every __sh_tick()
  double check_mark;      // slow path (clock/limits) once ticks_left < check_mark
  double deadline_ns;     // monotonic clock, ns
  double clock_every;     // ticks between two clock reads
  double budget_ticks;    // configured, for messages
  double time_budget_ns;  // configured, for messages
  double memory_limit;    // bytes, for messages
  int32_t tripped;        // LuaTrip; sticky until the next batch
  int32_t reserved0;
};

enum LuaTrip : int32_t { kTripNone = 0, kTripTicks = 1, kTripTime = 2, kTripMemory = 3 };

// Written by the prelude's detect loop, one per hit (host-private layout).
struct LuaHitOut {
  uint32_t row;         // index of the row in the batch
  int32_t class_index;  // 0 = the rule's default class, else a class the rule named
  double score;         // clamped to 0..100
  double value;         // NaN when the rule gave none
  double threshold;     // NaN when the rule gave none
};

struct LuaRouteOut {
  int32_t direction;  // RouteDirection
  int32_t reserved0;
  double confidence;  // 0..1
};

// The portfolio as a rule sees it: sh_portfolio_state minus the positions
// pointer (no pointer ever reaches rule code; positions via position(sym)).
struct LuaPortfolio {
  uint32_t struct_size;
  uint32_t position_size;
  uint32_t position_count;
  uint32_t consecutive_errors;
  int64_t ts_ns;
  double equity_usd;
  double cash_usd;
  double gross_exposure_usd;
  double net_exposure_usd;
  double daily_pnl_usd;
  double peak_equity_usd;
  double drawdown_pct;
  double var_pct;
  double decision_latency_ms;
};

struct RuleVmOptions {
  std::string label;  // the rule file in every message, uncut (the configured path)
  RuleKind kind = RuleKind::Detector;
  uint64_t instruction_budget = 10'000'000;
  int64_t time_budget_ns = 50'000'000;
  size_t memory_limit_bytes = 64u << 20;
  bool jit = true;
  uint32_t hook_every_instructions = 10'000;  // count hook period (interpreted code); 0 = none
  // Tests only: false loads the rule without budget ticks, to show what the
  // count hook alone does. Production rules are always instrumented.
  bool instrument = true;
  // Benchmarks only: false skips the bytecode check that keeps functions
  // without budget ticks out of the JIT (with instrument = false, to measure
  // an unbounded rule). Production rules are always checked.
  bool verify_ticks = true;
  std::function<void(sh_log_level, const std::string&)> log;
  std::function<const char*(sh_symbol_id)> symbol_name;
};

// Outcome of one protected call into the state.
struct VmCall {
  bool ok = true;
  LuaTrip trip = kTripNone;
  std::string error;  // "file:line: message" where known
};

class RuleVm {
 public:
  // New state with the allocator, libraries, hook and prelude. Null + *error
  // when the state cannot be created.
  static std::unique_ptr<RuleVm> create(const RuleVmOptions& options, std::string* error);
  ~RuleVm();
  RuleVm(const RuleVm&) = delete;
  RuleVm& operator=(const RuleVm&) = delete;

  // Instruments + compiles `source` (text only), runs it in the sandbox with
  // `params_json` as `params`, and checks the kind's function exists.
  VmCall install(const std::string& source, const std::string& params_json);

  // Batch calls. Inputs are full-size, contiguous-by-stride ABI records (see
  // the normalising copies in lua_rule.cpp). Outputs: the first *n_hits
  // entries of `hits` (a buffer grown to >= count, never shrunk, so a steady
  // state allocates and clears nothing), `routes`/`verdicts` (count entries,
  // pre-filled here). *n_hits is 0 when the call fails.
  VmCall run_detect(const void* rows, uint32_t count, uint32_t stride,
                    const sh_market_context& ctx, std::vector<LuaHitOut>* hits, uint32_t* n_hits,
                    const double* columns = nullptr, uint32_t column_count = 0);
  // The feature column names rows carry (config `features:`): row.<name>
  // reads them; the next run_detect hands a changed list to the VM. Until
  // one is set, a row read of any other name is an error (as before).
  void set_columns(const char* const* names, uint32_t count);
  void set_column_names(const std::vector<std::string>& names);
  VmCall run_route(const void* evidence, uint32_t count, uint32_t stride,
                   const sh_market_context& ctx, std::vector<LuaRouteOut>* routes);
  VmCall run_check(const void* intents, uint32_t count, uint32_t stride,
                   const LuaPortfolio& pf, const sh_position* positions, uint32_t position_count,
                   std::vector<sh_risk_verdict>* verdicts);

  // Name of a class index a detect batch returned (0 = "" meaning default).
  const std::string& class_name(int32_t index) const;

  size_t memory_bytes() const;
  const std::string& label() const { return options_.label; }
  // Whether the JIT compiles this rule: false when the bytecode check found
  // a loop or function without a budget tick (or JIT off by option).
  bool jit_enabled() const { return jit_enabled_; }
  // Times the watchdog had to stop a call from outside.
  uint64_t watchdog_interventions() const;

  // Diagnostics for tests: FFI offsetof(type, field) (field "" = sizeof);
  // -1 when unknown. Number of compiled traces in this state.
  long ffi_layout(const std::string& type, const std::string& field);
  int trace_count();

  struct AllocState;  // allocator accounting, also the count hook's context

 private:
  explicit RuleVm(const RuleVmOptions& options);
  VmCall protected_call(int nargs, int nresults);  // function + args pushed
  void reset_budget();
  void sync_class_names(int n_classes);

  RuleVmOptions options_;
  std::unique_ptr<AllocState> alloc_;
  std::unique_ptr<LuaBudget> budget_;
  lua_State* L_ = nullptr;
  int refs_[8] = {};  // registry refs of the prelude's functions (PreludeSlot)
  std::vector<std::string> class_names_;  // index 0 = ""
  const char* const* column_ptrs_ = nullptr;  // the last set_columns() list
  uint32_t column_ptr_count_ = 0;
  std::string columns_;        // its names, '\n'-joined
  bool columns_dirty_ = false;  // not handed to the VM yet
  int log_lines_this_call_ = 0;
  bool jit_enabled_ = false;
  std::unique_ptr<RuleWatch> watch_;

  friend int rule_vm_log(lua_State* L);
  friend int rule_vm_symbol_name(lua_State* L);
  friend void rule_vm_count_hook(lua_State* L, lua_Debug* ar);
};

// Monotonic clock in ns (as a double: what the prelude compares against).
double rule_vm_monotonic_ns();

// Replaces every kRuleChunkTag in `msg` with "<label>:".
std::string fix_chunk_names(const std::string& msg, const std::string& label);

// For C functions the rule calls (rule_strlib.cpp). All raise a Lua error
// located at the innermost rule line on the stack ("FILE:LINE: msg", the
// full path) and never return when they raise.
// Raises `msg`.
int rule_vm_error(lua_State* L, const char* msg);
// Spends `ticks` of the call's instruction budget; raises the budget error
// (naming `what`) when the budget, the deadline or a trip says so. Sticky.
void rule_vm_charge(lua_State* L, double ticks, const char* what);
// Spends `ticks` without checking (the next check sees them).
void rule_vm_charge_quiet(lua_State* L, double ticks);
// The rule's memory limit in bytes, and a memory trip with `detail`.
double rule_vm_memory_limit(lua_State* L);
int rule_vm_memory_error(lua_State* L, const char* detail);

}  // namespace sh::host

#endif  // SH_HOST_LUA_RULE_VM_H
