// rule_vm.cpp: one bounded, sandboxed LuaJIT state (see rule_vm.h).
#include "lua/rule_vm.h"

#include "lua/rule_instrument.h"
#include "lua/rule_params.h"
#include "lua/rule_prelude.h"
#include "lua/rule_strlib.h"
#include "lua/rule_watchdog.h"

#include <lua.hpp>
#include <luajit.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace sh::host {

static_assert(sizeof(LuaBudget) == 64, "LuaBudget must match sh_lua_budget in the prelude");
static_assert(sizeof(LuaHitOut) == 32, "LuaHitOut must match sh_lua_hit in the prelude");
static_assert(sizeof(LuaRouteOut) == 16, "LuaRouteOut must match sh_lua_route in the prelude");

namespace {

constexpr double kClockEveryTicks = 1024;  // ~1-5 us of rule work between clock reads
constexpr int kMaxLogLinesPerCall = 64;
constexpr size_t kMaxLogLineBytes = 512;

// Formats the budget error the hook raises; the prelude's budget_message()
// says the same for ticks raised from rule code.
void budget_message(const LuaBudget& b, int32_t trip, char* buf, size_t n) {
  if (trip == kTripTicks) {
    std::snprintf(buf, n, "instruction budget exceeded (%.0f ticks per batch)", b.budget_ticks);
  } else if (trip == kTripTime) {
    std::snprintf(buf, n, "time budget exceeded (%.0f ms per batch)", b.time_budget_ns / 1e6);
  } else {
    std::snprintf(buf, n, "memory limit exceeded (%.0f MiB)", b.memory_limit / 1048576.0);
  }
}

}  // namespace

std::string fix_chunk_names(const std::string& msg, const std::string& label) {
  const std::string tag = kRuleChunkTag;
  if (msg.find(tag) == std::string::npos) return msg;
  std::string out;
  out.reserve(msg.size() + label.size());
  size_t from = 0;
  for (size_t at = msg.find(tag); at != std::string::npos; at = msg.find(tag, from)) {
    out.append(msg, from, at - from);
    out += label;
    out += ':';
    from = at + tag.size();
  }
  out.append(msg, from, std::string::npos);
  return out;
}

double rule_vm_monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The allocator's state doubles as the hook's context (lua_getallocf).
struct RuleVm::AllocState {
  size_t used = 0;         // bytes currently allocated by the state
  size_t limit = 0;        // refuse growth past this while `enforce`
  bool enforce = false;    // only during calls into rule code; host work is exempt
  LuaBudget* budget = nullptr;
  const char* label = "";  // the rule file, for messages raised from the hook
  RuleWatch* watch = nullptr;
};

namespace {

// lua_Alloc with a byte limit. Shrinking and freeing never fail (Lua relies
// on that); a refused growth trips the budget so the rule cannot swallow the
// "not enough memory" error with pcall and carry on.
void* limited_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<RuleVm::AllocState*>(ud);
  const size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  if (nsize > old && a->enforce && a->used - old + nsize > a->limit) {
    if (a->budget->tripped == kTripNone) a->budget->tripped = kTripMemory;
    a->budget->check_mark = 1e308;
    return nullptr;
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  a->used = a->used - old + nsize;
  return p;
}

}  // namespace

namespace {

// The rule VM's accounting, or (a state that is not a rule VM's, e.g. a
// test comparing the bounded string functions with LuaJIT's) an inert one.
RuleVm::AllocState* alloc_state(lua_State* L) {
  void* ud = nullptr;
  if (lua_getallocf(L, &ud) == limited_alloc) return static_cast<RuleVm::AllocState*>(ud);
  static thread_local LuaBudget inert_budget{};
  static thread_local RuleVm::AllocState inert;
  inert.enforce = false;
  inert.limit = static_cast<size_t>(-1);
  inert.budget = &inert_budget;
  return &inert;
}

// Raises msg located at the innermost rule line on the stack: the hook and
// C functions may interrupt the prelude's own code, which the operator never
// wrote. The full path, never LuaJIT's cut short_src.
int raise_located(lua_State* L, const char* msg) {
  RuleVm::AllocState* a = alloc_state(L);
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); ++level) {
    if (lua_getinfo(L, "Sl", &ar) && ar.source != nullptr &&
        std::strcmp(ar.source, kRuleChunkName) == 0 && ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: %s", a->label, ar.currentline, msg);
      return lua_error(L);
    }
  }
  lua_pushfstring(L, "%s: %s", a->label, msg);
  return lua_error(L);
}

// Trips (sticky) and raises the budget error for `trip`, naming `what`.
int raise_trip(lua_State* L, LuaBudget* b, const char* what) {
  b->check_mark = 1e308;
  char msg[256];
  budget_message(*b, b->tripped, msg, sizeof msg);
  if (what != nullptr) {
    const size_t n = std::strlen(msg);
    std::snprintf(msg + n, sizeof msg - n, " in %s", what);
  }
  return raise_located(L, msg);
}

}  // namespace

int rule_vm_error(lua_State* L, const char* msg) { return raise_located(L, msg); }

void rule_vm_charge(lua_State* L, double ticks, const char* what) {
  RuleVm::AllocState* a = alloc_state(L);
  if (!a->enforce) return;
  LuaBudget* b = a->budget;
  b->ticks_left -= ticks;
  if (b->tripped == kTripNone) {
    if (b->ticks_left <= 0) {
      b->tripped = kTripTicks;
    } else if (rule_vm_monotonic_ns() > b->deadline_ns) {
      b->tripped = kTripTime;
    } else {
      return;
    }
  }
  raise_trip(L, b, what);
}

void rule_vm_charge_quiet(lua_State* L, double ticks) {
  RuleVm::AllocState* a = alloc_state(L);
  if (a->enforce) a->budget->ticks_left -= ticks;
}

double rule_vm_memory_limit(lua_State* L) { return static_cast<double>(alloc_state(L)->limit); }

int rule_vm_memory_error(lua_State* L, const char* detail) {
  RuleVm::AllocState* a = alloc_state(L);
  LuaBudget* b = a->budget;
  if (a->enforce && b->tripped == kTripNone) b->tripped = kTripMemory;
  b->check_mark = 1e308;
  char msg[256];
  budget_message(*b, kTripMemory, msg, sizeof msg);
  const size_t n = std::strlen(msg);
  std::snprintf(msg + n, sizeof msg - n, ": %s", detail);
  return raise_located(L, msg);
}

// Second line of defence for interpreted code (compiled traces never call
// hooks; the ticks cover those): every hook_every_instructions VM
// instructions, check the deadline and the sticky trip flag. The watchdog
// also sets this hook with a count of 1 once a call overruns its deadline.
void rule_vm_count_hook(lua_State* L, lua_Debug*) {
  RuleVm::AllocState* a = alloc_state(L);
  LuaBudget* b = a->budget;
  if (a->enforce) {
    if (b->tripped == kTripNone) {
      if (b->ticks_left <= 0) {
        b->tripped = kTripTicks;
      } else if (rule_vm_monotonic_ns() > b->deadline_ns) {
        b->tripped = kTripTime;
      }
    }
    if (b->tripped != kTripNone) {
      raise_trip(L, b, nullptr);
      return;
    }
  }
  // No overrun: an every-instruction hook left by a late intervention of
  // the watchdog goes back to the normal count.
  if (a->watch != nullptr) a->watch->restore_hook();
}

// log(...)/print(...) in rules. Bounded per call so a rule cannot flood.
int rule_vm_log(lua_State* L) {
  auto* vm = static_cast<RuleVm*>(lua_touserdata(L, lua_upvalueindex(1)));
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  if (s == nullptr) return 0;
  const int line = vm->log_lines_this_call_++;
  if (line > kMaxLogLinesPerCall) return 0;
  std::string msg = vm->options_.label + ": ";
  if (line == kMaxLogLinesPerCall) {
    msg += "further log lines from this call suppressed";
  } else {
    msg += fix_chunk_names(std::string(s, std::min(len, kMaxLogLineBytes)), vm->options_.label);
    if (len > kMaxLogLineBytes) msg += "...";
  }
  try {
    if (vm->options_.log) {
      vm->options_.log(SH_LOG_INFO, msg);
    } else {
      std::fprintf(stderr, "[lua] %s\n", msg.c_str());
    }
  } catch (...) {
    // A failing log sink must not turn into a rule error.
  }
  return 0;
}

int rule_vm_symbol_name(lua_State* L) {
  auto* vm = static_cast<RuleVm*>(lua_touserdata(L, lua_upvalueindex(1)));
  const lua_Number id = lua_tonumber(L, 1);
  const char* name = nullptr;
  if (vm->options_.symbol_name && id > 0 && id <= 4294967295.0) {
    try {
      name = vm->options_.symbol_name(static_cast<sh_symbol_id>(id));
    } catch (...) {
      name = nullptr;
    }
  }
  if (name == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushstring(L, name);
  }
  return 1;
}

RuleVm::RuleVm(const RuleVmOptions& options)
    : options_(options), alloc_(new AllocState), budget_(new LuaBudget()) {
  class_names_.emplace_back();
}

RuleVm::~RuleVm() {
  alloc_->watch = nullptr;
  watch_.reset();  // the watchdog lets go of L_ first
  if (L_ != nullptr) {
    alloc_->enforce = false;
    lua_close(L_);
  }
}

namespace {
// Registry slots of the prelude functions, fetched once so that a batch call
// pushes no strings (nothing allocates outside the protected call).
enum PreludeSlot { kInstall = 1, kRunDetect, kRunRoute, kRunCheck, kClasses, kLayout, kTraceCount, kSlots };
const char* const kSlotNames[] = {"", "install", "run_detect", "run_route", "run_check",
                                  "classes", "layout", "trace_count"};
}  // namespace

std::unique_ptr<RuleVm> RuleVm::create(const RuleVmOptions& options, std::string* error) {
  std::unique_ptr<RuleVm> vm(new RuleVm(options));
  LuaBudget& b = *vm->budget_;
  b.budget_ticks = static_cast<double>(options.instruction_budget);
  b.time_budget_ns = static_cast<double>(options.time_budget_ns);
  b.memory_limit = static_cast<double>(options.memory_limit_bytes);
  b.clock_every = kClockEveryTicks;
  vm->alloc_->limit = options.memory_limit_bytes;
  vm->alloc_->budget = vm->budget_.get();
  vm->alloc_->label = vm->options_.label.c_str();

  // LuaJIT accepts a custom allocator only in GC64 builds (Debian's x86_64
  // 2.1 is one); elsewhere lua_newstate returns NULL and we say so.
  vm->L_ = lua_newstate(limited_alloc, vm->alloc_.get());
  if (vm->L_ == nullptr) {
    *error = options.label + ": cannot create a Lua state with a memory-limited allocator "
             "(LuaJIT must be a GC64 build)";
    return nullptr;
  }
  lua_State* L = vm->L_;
  luaL_openlibs(L);
  rule_strlib_install(L);
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | (options.jit ? LUAJIT_MODE_ON : LUAJIT_MODE_OFF));
  if (options.hook_every_instructions > 0) {
    lua_sethook(L, rule_vm_count_hook, LUA_MASKCOUNT,
                static_cast<int>(options.hook_every_instructions));
  }
  vm->watch_ = std::make_unique<RuleWatch>(L, rule_vm_count_hook,
                                           static_cast<int>(options.hook_every_instructions),
                                           vm->budget_.get(), options.label);
  vm->alloc_->watch = vm->watch_.get();

  const std::string& prelude = rule_prelude_source();
  if (luaL_loadbuffer(L, prelude.data(), prelude.size(), kPreludeChunkName) != 0) {
    *error = std::string("prelude does not compile: ") + lua_tostring(L, -1);
    return nullptr;
  }
  lua_pushlightuserdata(L, vm->budget_.get());
  lua_pushlightuserdata(L, reinterpret_cast<void*>(&rule_vm_monotonic_ns));
  lua_pushlightuserdata(L, vm.get());
  lua_pushcclosure(L, rule_vm_log, 1);
  lua_pushlightuserdata(L, vm.get());
  lua_pushcclosure(L, rule_vm_symbol_name, 1);
  if (lua_pcall(L, 4, 1, 0) != 0) {
    *error = std::string("prelude failed: ") + lua_tostring(L, -1);
    return nullptr;
  }
  static_assert(kSlots <= 8, "refs_ too small");
  for (int slot = kInstall; slot < kSlots; ++slot) {
    lua_getfield(L, -1, kSlotNames[slot]);
    vm->refs_[slot] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return vm;
}

void RuleVm::reset_budget() {
  LuaBudget& b = *budget_;
  b.ticks_left = b.budget_ticks;
  const double mark = b.budget_ticks - b.clock_every;
  b.check_mark = mark > 1 ? mark : 1;
  b.deadline_ns = rule_vm_monotonic_ns() + b.time_budget_ns;
  b.tripped = kTripNone;
  log_lines_this_call_ = 0;
}

uint64_t RuleVm::watchdog_interventions() const { return watch_ ? watch_->interventions() : 0; }

VmCall RuleVm::protected_call(int nargs, int nresults) {
  reset_budget();
  alloc_->enforce = true;
  watch_->arm(budget_->deadline_ns);
  const int rc = lua_pcall(L_, nargs, nresults, 0);
  watch_->disarm();
  alloc_->enforce = false;
  VmCall r;
  r.trip = static_cast<LuaTrip>(budget_->tripped);
  if (rc != 0) {
    r.ok = false;
    const char* msg = lua_tostring(L_, -1);
    std::string text = msg ? msg : std::string("(error object is a ") + luaL_typename(L_, -1) + " value)";
    lua_pop(L_, 1);
    text = fix_chunk_names(text, options_.label);
    if (r.trip == kTripMemory && text.find("memory limit exceeded") == std::string::npos) {
      char buf[128];
      budget_message(*budget_, kTripMemory, buf, sizeof buf);
      r.error = options_.label + ": " + buf;
      if (text != "not enough memory") r.error += " [" + text + "]";
    } else {
      r.error = text;
    }
    // Reclaim what the failed call left behind (the limit is off here).
    lua_gc(L_, LUA_GCCOLLECT, 0);
  } else if (r.trip != kTripNone) {
    // The rule caught the budget error with pcall and returned normally.
    r.ok = false;
    lua_pop(L_, nresults);
    char buf[128];
    budget_message(*budget_, r.trip, buf, sizeof buf);
    r.error = options_.label + ": " + buf + " (the rule caught the error and carried on)";
    lua_gc(L_, LUA_GCCOLLECT, 0);
  }
  return r;
}

VmCall RuleVm::install(const std::string& source, const std::string& params_json) {
  std::string code;
  VmCall r;
  lua_State* L = L_;
  const int top = lua_gettop(L);
  bool lexical = false;
  if (!instrument_rule_source(source, options_.label, &code, &r.error, &lexical)) {
    r.ok = false;
    if (lexical) {
      // Source the instrumenter cannot read is never run. LuaJIT's own
      // message is the better one for the operator: compile (only) the
      // original for it.
      alloc_->enforce = true;
      const int rc = luaL_loadbufferx(L, source.data(), source.size(), kRuleChunkName, "t");
      alloc_->enforce = false;
      if (rc != 0 && lua_tostring(L, -1) != nullptr) {
        r.error = fix_chunk_names(lua_tostring(L, -1), options_.label);
      } else {
        r.error += " (refused: the host's rule lexer cannot read this source)";
      }
      lua_settop(L, top);
    }
    return r;
  }
  if (!options_.instrument) code = "local __sh_tick = ...; " + source;
  alloc_->enforce = true;
  const int rc = luaL_loadbufferx(L, code.data(), code.size(), kRuleChunkName, "t");
  alloc_->enforce = false;
  if (rc != 0) {
    r.ok = false;
    const char* msg = lua_tostring(L, -1);
    r.error = msg ? fix_chunk_names(msg, options_.label) : options_.label + ": cannot load";
    if (rc == LUA_ERRMEM) r.error = options_.label + ": source too large for the memory limit";
    lua_settop(L, top);
    return r;
  }
  const int chunk = lua_gettop(L);
  lua_pushcfunction(L, push_params_from_json);
  lua_pushlightuserdata(L, const_cast<std::string*>(&params_json));
  r = protected_call(1, 1);
  if (!r.ok) {
    r.error = options_.label + ": " + r.error;
    lua_settop(L, top);
    return r;
  }
  const int params = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs_[kInstall]);
  lua_pushvalue(L, chunk);
  lua_pushinteger(L, static_cast<lua_Integer>(options_.kind));
  lua_pushvalue(L, params);
  lua_pushlstring(L, options_.label.data(), options_.label.size());
  lua_pushboolean(L, options_.verify_ticks ? 1 : 0);
  r = protected_call(5, 2);
  if (r.ok) {
    jit_enabled_ = options_.jit && lua_toboolean(L, -2);
    const char* why = lua_tostring(L, -1);
    if (why != nullptr) {
      const std::string msg = fix_chunk_names(why, options_.label) +
                              "; the JIT is off for this rule, so the interpreter's count hook "
                              "bounds it (the host's instrumenter missed this: please report it)";
      try {
        if (options_.log) {
          options_.log(SH_LOG_WARN, msg);
        } else {
          std::fprintf(stderr, "[lua] %s\n", msg.c_str());
        }
      } catch (...) {
      }
    }
  }
  lua_settop(L, top);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return r;
}

void RuleVm::sync_class_names(int n_classes) {
  if (n_classes < static_cast<int>(class_names_.size())) return;
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kClasses]);
  for (int k = static_cast<int>(class_names_.size()); k <= n_classes; ++k) {
    lua_rawgeti(L_, -1, k);
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    class_names_.emplace_back(s ? std::string(s, len) : std::string());
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

const std::string& RuleVm::class_name(int32_t index) const {
  static const std::string kEmpty;
  if (index < 0 || static_cast<size_t>(index) >= class_names_.size()) return kEmpty;
  return class_names_[static_cast<size_t>(index)];
}

VmCall RuleVm::run_detect(const void* rows, uint32_t count, uint32_t stride,
                          const sh_market_context& ctx, std::vector<LuaHitOut>* hits,
                          uint32_t* n_hits, const double* columns, uint32_t column_count) {
  *n_hits = 0;
  if (hits->size() < count) hits->resize(count);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kRunDetect]);
  lua_pushlightuserdata(L_, const_cast<void*>(rows));
  lua_pushnumber(L_, count);
  lua_pushnumber(L_, stride);
  lua_pushlightuserdata(L_, const_cast<sh_market_context*>(&ctx));
  lua_pushlightuserdata(L_, hits->data());
  lua_pushlightuserdata(L_, const_cast<double*>(columns));
  lua_pushnumber(L_, columns != nullptr ? column_count : 0);
  if (columns_dirty_) {
    lua_pushlstring(L_, columns_.data(), columns_.size());
    columns_dirty_ = false;
  } else {
    lua_pushnil(L_);
  }
  VmCall r = protected_call(8, 2);
  if (!r.ok) return r;
  const auto n = static_cast<uint32_t>(lua_tonumber(L_, -2));
  const int n_classes = static_cast<int>(lua_tonumber(L_, -1));
  lua_pop(L_, 2);
  sync_class_names(n_classes);
  *n_hits = std::min(n, count);
  return r;
}

void RuleVm::set_columns(const char* const* names, uint32_t count) {
  if (names == column_ptrs_ && count == column_ptr_count_) return;  // the same set: no work
  column_ptrs_ = names;
  column_ptr_count_ = count;
  std::string joined;
  for (uint32_t j = 0; j < count; ++j) {
    if (names[j] == nullptr || names[j][0] == '\0' || std::strchr(names[j], '\n') != nullptr) continue;
    joined.append(names[j]).push_back('\n');
  }
  if (joined != columns_) {
    columns_ = std::move(joined);
    columns_dirty_ = true;
  }
}

void RuleVm::set_column_names(const std::vector<std::string>& names) {
  std::vector<const char*> ptrs;
  for (const std::string& n : names) ptrs.push_back(n.c_str());
  set_columns(ptrs.data(), static_cast<uint32_t>(ptrs.size()));
  column_ptrs_ = nullptr;  // a temporary list: never the same as a batch's
}

VmCall RuleVm::run_route(const void* evidence, uint32_t count, uint32_t stride,
                         const sh_market_context& ctx, std::vector<LuaRouteOut>* routes) {
  routes->assign(count, LuaRouteOut{0, 0, 0.0});
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kRunRoute]);
  lua_pushlightuserdata(L_, const_cast<void*>(evidence));
  lua_pushnumber(L_, count);
  lua_pushnumber(L_, stride);
  lua_pushlightuserdata(L_, const_cast<sh_market_context*>(&ctx));
  lua_pushlightuserdata(L_, routes->data());
  VmCall r = protected_call(5, 1);
  if (r.ok) lua_pop(L_, 1);
  return r;
}

VmCall RuleVm::run_check(const void* intents, uint32_t count, uint32_t stride,
                         const LuaPortfolio& pf, const sh_position* positions,
                         uint32_t position_count, std::vector<sh_risk_verdict>* verdicts) {
  sh_risk_verdict allow{};
  allow.struct_size = sizeof(sh_risk_verdict);
  allow.action = SH_RISK_ALLOW;
  allow.reason = SH_REASON_NONE;
  allow.scale = 1.0;
  verdicts->assign(count, allow);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kRunCheck]);
  lua_pushlightuserdata(L_, const_cast<void*>(intents));
  lua_pushnumber(L_, count);
  lua_pushnumber(L_, stride);
  lua_pushlightuserdata(L_, const_cast<LuaPortfolio*>(&pf));
  lua_pushlightuserdata(L_, const_cast<sh_position*>(positions));
  lua_pushnumber(L_, position_count);
  lua_pushlightuserdata(L_, verdicts->data());
  VmCall r = protected_call(7, 1);
  if (r.ok) lua_pop(L_, 1);
  return r;
}

size_t RuleVm::memory_bytes() const { return alloc_->used; }

long RuleVm::ffi_layout(const std::string& type, const std::string& field) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kLayout]);
  lua_pushlstring(L_, type.data(), type.size());
  lua_pushlstring(L_, field.data(), field.size());
  VmCall r = protected_call(2, 1);
  if (!r.ok) return -1;
  const long v = static_cast<long>(lua_tonumber(L_, -1));
  lua_pop(L_, 1);
  return v;
}

int RuleVm::trace_count() {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, refs_[kTraceCount]);
  VmCall r = protected_call(0, 1);
  if (!r.ok) return -1;
  const int v = static_cast<int>(lua_tonumber(L_, -1));
  lua_pop(L_, 1);
  return v;
}

}  // namespace sh::host
