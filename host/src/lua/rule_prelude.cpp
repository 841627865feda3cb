// rule_prelude.cpp: the trusted prelude (see rule_prelude.h). It is the only
// Lua code in a rule state that sees `ffi`, `jit` or a host pointer.
#include "lua/rule_prelude.h"

namespace sh::host {

const RiskReasonName kRiskReasonNames[] = {
    {"NONE", SH_REASON_NONE},
    {"KILL_SWITCH", SH_REASON_KILL_SWITCH},
    {"LOW_CONFIDENCE", SH_REASON_LOW_CONFIDENCE},
    {"NOTIONAL_CAP", SH_REASON_NOTIONAL_CAP},
    {"RISK_LOCKED", SH_REASON_RISK_LOCKED},
    {"DAILY_LOSS", SH_REASON_DAILY_LOSS},
    {"VAR_LIMIT", SH_REASON_VAR_LIMIT},
    {"CIRCUIT_OPEN", SH_REASON_CIRCUIT_OPEN},
    {"SAFE_MODE", SH_REASON_SAFE_MODE},
    {"RATE_LIMITED", SH_REASON_RATE_LIMITED},
    {"VOL_TARGET", SH_REASON_VOL_TARGET},
    {"CONFIDENCE_SCALE", SH_REASON_CONFIDENCE_SCALE},
    {"POLICY_ERROR", SH_REASON_POLICY_ERROR},
    {"SYMBOL_NOT_ACTIVE", SH_REASON_SYMBOL_NOT_ACTIVE},
};
const size_t kRiskReasonCount = sizeof(kRiskReasonNames) / sizeof(kRiskReasonNames[0]);

namespace {

// Part 1: FFI declarations. They must match strategy_host/abi.h and
// rule_vm.h byte for byte (test_lua_layout.cpp checks every field).
const char* const kCdefs = R"LUA(
local budget_ptr, clock_ptr, host_log, host_symbol_name = ...
local ffi = require("ffi")
local jit_util = require("jit.util")
ffi.cdef[[
typedef struct sh_feature_row {
  uint32_t struct_size; uint32_t symbol; int64_t minute_ts_ns; int32_t dq; uint32_t late_events;
  double open, high, low, close; double volume; double vwap; double trade_count;
  double log_ret; double mom_20; double rv_5; double rsi_14; double atr_14; double ema_20;
  double spread_bps; double l2_imbalance; double book_staleness_ms; double ingest_lag_ms;
  double z_ret; double z_volume; double z_spread; double q_ret; double q_volume; double q_spread;
  double rs_benchmark;
} sh_feature_row;
typedef struct sh_market_context {
  uint32_t struct_size; uint32_t symbol_count; int64_t minute_ts_ns; double breadth;
  uint32_t leader; uint32_t benchmark; double leader_ret; double benchmark_ret;
} sh_market_context;
typedef struct sh_evidence {
  uint32_t struct_size; uint32_t symbol; uint32_t flags; uint32_t reserved0;
  double prob_long; double prob_short; double confidence;
} sh_evidence;
typedef struct sh_order_intent {
  uint32_t struct_size; uint32_t symbol; uint64_t intent_id; int64_t ts_ns; int32_t side;
  uint32_t reserved0; double qty; double price; double notional_usd; double confidence;
  double prob_long; double prob_short;
} sh_order_intent;
typedef struct sh_position {
  uint32_t struct_size; uint32_t symbol; double qty; double avg_price; double mark_price;
  double notional_usd; double unrealized_pnl_usd;
} sh_position;
typedef struct sh_portfolio_state {
  uint32_t struct_size; uint32_t position_size; uint32_t position_count;
  uint32_t consecutive_errors; int64_t ts_ns; double equity_usd; double cash_usd;
  double gross_exposure_usd; double net_exposure_usd; double daily_pnl_usd;
  double peak_equity_usd; double drawdown_pct; double var_pct; double decision_latency_ms;
  const sh_position *positions;
} sh_portfolio_state;
typedef struct sh_risk_verdict {
  uint32_t struct_size; int32_t action; int32_t reason; uint32_t reserved0; double scale;
  char detail[96]; const char *detail_ext;
} sh_risk_verdict;
typedef struct sh_lua_portfolio {
  uint32_t struct_size; uint32_t position_size; uint32_t position_count;
  uint32_t consecutive_errors; int64_t ts_ns; double equity_usd; double cash_usd;
  double gross_exposure_usd; double net_exposure_usd; double daily_pnl_usd;
  double peak_equity_usd; double drawdown_pct; double var_pct; double decision_latency_ms;
} sh_lua_portfolio;
typedef struct sh_lua_budget {
  double ticks_left; double check_mark; double deadline_ns; double clock_every;
  double budget_ticks; double time_budget_ns; double memory_limit; int32_t tripped;
  int32_t reserved0;
} sh_lua_budget;
typedef struct sh_lua_hit {
  uint32_t row; int32_t class_index; double score; double value; double threshold;
} sh_lua_hit;
typedef struct sh_lua_route { int32_t direction; int32_t reserved0; double confidence; } sh_lua_route;
]]
)LUA";

// Part 2 (after the generated REASON table): budget, sandbox, batch loops.
const char* const kBody = R"LUA(
local type, error, tostring, tonumber, pairs, ipairs, select, pcall, setfenv, rawget =
      type, error, tostring, tonumber, pairs, ipairs, select, pcall, setfenv, rawget
local setmetatable, getmetatable, format, concat = setmetatable, getmetatable, string.format, table.concat
local cast, copy, sizeof, offsetof = ffi.cast, ffi.copy, ffi.sizeof, ffi.offsetof
local NAN = 0 / 0

---------------------------------------------------------------- budget
-- Every instrumented loop body and function entry calls tick(). Compiled,
-- the fast path is a load, a subtract, a store and a compare on B.
local B = cast("sh_lua_budget *", budget_ptr)
local now_ns = cast("double (*)(void)", clock_ptr)

local function budget_message(t)
  if t == 1 then
    return format("instruction budget exceeded (%.0f ticks per batch)", B.budget_ticks)
  elseif t == 2 then
    return format("time budget exceeded (%.0f ms per batch)", B.time_budget_ns / 1e6)
  end
  return format("memory limit exceeded (%.0f MiB)", B.memory_limit / 1048576)
end

local function tick_slow(n)
  local t = B.tripped
  if t == 0 then
    if n <= 0 then
      B.tripped = 1
    elseif now_ns() > B.deadline_ns then
      B.tripped = 2
    else
      local mark = n - B.clock_every
      B.check_mark = mark > 1 and mark or 1
      return
    end
    t = B.tripped
  end
  -- Sticky: every later tick lands here too, so a rule that catches this
  -- error with pcall is stopped again at its next loop iteration or call.
  B.check_mark = 1e308
  error(budget_message(t), 3)  -- level 3: the rule line that ticked
end

local function tick()
  local n = B.ticks_left - 1
  B.ticks_left = n
  if n < B.check_mark then tick_slow(n) end
end

---------------------------------------------------------------- tick check
-- The JIT never runs hooks, so a compiled loop is bounded only by the
-- budget ticks inside it. Before a rule's chunk runs, each of its function
-- prototypes is checked at the bytecode level, independently of how the
-- source was lexed: every backward jump (the back-edge of every loop form:
-- FORL, ITERL, JMP, UCLO) must have a tick between its target and itself,
-- and every function but the main chunk must tick first. Any miss turns the
-- JIT off for the whole rule, so that the count hook and the watchdog bound
-- it instead (see rule_watchdog.h).
local band, rshift = bit.band, bit.rshift
local funcbc, funcinfo, funck, funcuvname =
      jit_util.funcbc, jit_util.funcinfo, jit_util.funck, jit_util.funcuvname
local jit_off = jit.off

-- Opcode numbers by name: LuaJIT 2.1's list, or else jit.vmdef's when
-- installed, whichever passes the calibration on functions whose bytecode
-- is known.
local function opcode(f, pc)
  local ins = funcbc(f, pc)
  return ins and band(ins, 0xff), ins
end
local function opcodes_from(names)
  local op = {}
  for i = 0, #names / 6 - 1 do
    local name = names:sub(i * 6 + 1, i * 6 + 6):match("^(%S+)")
    if name then op[name] = i end
  end
  for _, k in ipairs({ "UGET", "CALL", "MOV", "FORI", "FORL", "ITERL", "JMP", "UCLO" }) do
    if not op[k] then return nil end
  end
  local u
  local f = function() u() end
  local g = function() for _ = 1, 2 do end end
  if opcode(f, 1) == op.UGET and opcode(f, 2) == op.CALL and opcode(g, 4) == op.FORI
     and opcode(g, 5) == op.FORL then
    return op
  end
  return nil
end
local OP = opcodes_from(BCNAMES_2_1)
if not OP then
  local ok, vmdef = pcall(require, "jit.vmdef")
  OP = ok and type(vmdef) == "table" and type(vmdef.bcnames) == "string"
       and opcodes_from(vmdef.bcnames) or nil
end
local TICK_CHECK_OK = OP ~= nil
OP = OP or {}
local BACKWARD = {}
for _, name in ipairs({ "JMP", "UCLO", "FORL", "IFORL", "ITERL", "IITERL" }) do
  if OP[name] then BACKWARD[OP[name]] = true end
end

local function check_proto(f, main)
  local tick_uv = -1
  if not main then
    for i = 0, (funcinfo(f).upvalues or 0) - 1 do
      if funcuvname(f, i) == "__sh_tick" then tick_uv = i break end
    end
  end
  -- upto[pc]: number of ticks at or before pc (upto[0] = 0).
  local upto, n, first = { [0] = 0 }, 0, nil
  local pc = 1
  while true do
    local op, ins = opcode(f, pc)
    if not op then break end
    local is_tick
    if main then
      -- The main chunk's tick is its first local (slot 0): `MOV x 0`.
      is_tick = op == OP.MOV and rshift(ins, 16) == 0
    else
      is_tick = op == OP.UGET and rshift(ins, 16) == tick_uv
    end
    if is_tick then
      n = n + 1
      first = first or pc
    end
    upto[pc] = n
    pc = pc + 1
  end
  if not main and first ~= 1 then
    return false, format("function at line %d has no budget check at its entry",
                         funcinfo(f).linedefined or 0)
  end
  for at = 1, pc - 1 do
    local op, ins = opcode(f, at)
    if BACKWARD[op] then
      local target = at + 1 + rshift(ins, 16) - 0x8000
      if target <= at and upto[at] - upto[target - 1] == 0 then
        return false, format("loop at line %d has no budget check",
                             funcinfo(f, at).currentline or 0)
      end
    end
  end
  for i = -1, -1e9, -1 do
    local k = funck(f, i)
    if k == nil then break end
    if type(k) == "proto" then
      local ok, why = check_proto(k, false)
      if not ok then return false, why end
    end
  end
  return true
end

-- true, or false and the reason (after turning the JIT off for the chunk).
local function check_ticks(chunk, label)
  local ok, why
  if TICK_CHECK_OK then
    ok, why = check_proto(chunk, true)
  else
    ok, why = false, "the bytecode of this LuaJIT build is not the one the host knows"
  end
  if ok then return true end
  jit_off(chunk, true)
  return false, format("%s: %s", label, why)
end

---------------------------------------------------------------- records
-- Rows, contexts, evidence, intents and positions reach rules as const
-- references to these structs: field reads compile to plain loads; no
-- pointer arithmetic, indexing or writes are possible on a struct reference,
-- and none of these structs has a pointer field.
local function symbol_name_of(id)
  return host_symbol_name(tonumber(id))
end
local function record_mt(what, has_symbol)
  return {
    __index = function(rec, key)
      if has_symbol and key == "symbol_name" then return symbol_name_of(rec.symbol) end
      error(format("%s has no field '%s'", what, tostring(key)), 2)
    end,
  }
end
-- Configured feature columns (config `features:`, ABI 1.6 batch columns):
-- row.<name> is the current batch's value of that column for the row (NaN
-- = null). COL_INDEX maps a name to its column; the detect batch sets
-- COL_VALUES / COL_BASE / COL_ROWS / COL_STRIDE; a row of another batch, or
-- of the load-time dry run, reads null.
local COL_INDEX, COL_NAMES, gmatch = {}, nil, string.gmatch
local COL_VALUES, COL_BASE, COL_ROWS, COL_STRIDE, COL_COUNT = nil, nil, 0, 1, 0
local BYTEP0 = ffi.typeof("const uint8_t *")
local DOUBLEP = ffi.typeof("const double *")
local function set_columns(names)
  COL_INDEX, COL_NAMES = {}, {}
  local j = 0
  for name in gmatch(names, "([^\n]+)") do
    COL_INDEX[name] = j
    COL_NAMES[#COL_NAMES + 1] = name
    j = j + 1
  end
end
ffi.metatype("sh_feature_row", {
  __index = function(rec, key)
    if key == "symbol_name" then return symbol_name_of(rec.symbol) end
    local j = COL_INDEX[key]
    if j == nil then
      if COL_NAMES == nil then error(format("row has no field '%s'", tostring(key)), 2) end
      error(format("row has no field or configured feature column '%s' (columns: %s)",
                   tostring(key), concat(COL_NAMES, ", ")), 2)
    end
    if COL_VALUES == nil then return NAN end
    local off = tonumber(ffi.cast(BYTEP0, rec) - COL_BASE)
    if off < 0 or off % COL_STRIDE ~= 0 then return NAN end
    local i = off / COL_STRIDE
    if i >= COL_ROWS then return NAN end
    return COL_VALUES[i * COL_COUNT + j]
  end,
})
ffi.metatype("sh_market_context", record_mt("ctx", false))
ffi.metatype("sh_evidence", record_mt("ev", true))
ffi.metatype("sh_order_intent", record_mt("intent", true))
ffi.metatype("sh_position", record_mt("position", true))
ffi.metatype("sh_lua_portfolio", record_mt("pf", false))

local BYTEP = ffi.typeof("const uint8_t *")
local ROWP = ffi.typeof("const sh_feature_row *")
local CTXP = ffi.typeof("const sh_market_context *")
local EVP = ffi.typeof("const sh_evidence *")
local INTP = ffi.typeof("const sh_order_intent *")
local POSP = ffi.typeof("const sh_position *")
local PFP = ffi.typeof("const sh_lua_portfolio *")
local HITP = ffi.typeof("sh_lua_hit *")
local ROUTEP = ffi.typeof("sh_lua_route *")
local VERDP = ffi.typeof("sh_risk_verdict *")

---------------------------------------------------------------- sandbox
local DENIED = {}
for _, k in ipairs({ "io", "os", "require", "package", "ffi", "debug", "jit", "load",
  "loadstring", "loadfile", "dofile", "collectgarbage", "setfenv", "getfenv", "newproxy",
  "module", "rawset", "_G", "coroutine", "gcinfo", "string.dump" }) do
  DENIED[k] = true
end

local function lib_copy(lib, libname)
  local t = {}
  for k, v in pairs(lib) do
    if not DENIED[libname .. "." .. k] then t[k] = v end
  end
  return setmetatable(t, {
    __index = function(_, k)
      local full = libname .. "." .. tostring(k)
      if DENIED[full] then error(format("'%s' is not available in rules (sandbox)", full), 2) end
      return nil
    end,
    __metatable = false,
  })
end

local function frozen(t, what)
  return setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if v == nil then error(format("%s has no entry '%s'", what, tostring(k)), 2) end
      return v
    end,
    __newindex = function() error(what .. " is read-only", 2) end,
    __metatable = false,
  })
end

local function is_null(x) return x == nil or x ~= x end

local rule_label = "?"
local log_line = function(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  host_log(concat(parts, "\t"))
end

local position_base, position_count = nil, 0
local function position(symbol)
  for i = 0, position_count - 1 do
    local p = position_base[i]
    if p.symbol == symbol then return p end
  end
  return nil
end

local function make_env(params)
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
    xpcall = xpcall, select = select, tonumber = tonumber, tostring = tostring, type = type,
    unpack = unpack, rawequal = rawequal, rawget = rawget, rawlen = rawlen,
    setmetatable = setmetatable,
    -- getmetatable only on tables: a string's metatable is the real string
    -- library, shared by the whole state.
    getmetatable = function(x) if type(x) == "table" then return getmetatable(x) end return nil end,
    math = lib_copy(math, "math"), string = lib_copy(string, "string"),
    table = lib_copy(table, "table"), bit = lib_copy(bit, "bit"),
    params = params, is_null = is_null, log = log_line, print = log_line,
    symbol_name = symbol_name_of, position = position,
    DQ = frozen({ OK = 0, STALE_BOOK = 1, NO_TRADES = 2, GAP = 3, LATE = 4 }, "DQ"),
    SIDE = frozen({ UNKNOWN = 0, BUY = 1, SELL = -1 }, "SIDE"),
    REASON = frozen(REASON, "REASON"),
    _VERSION = _VERSION,
  }
  return setmetatable(env, {
    __index = function(_, k)
      if DENIED[k] then
        error(format("'%s' is not available in rules (sandbox)", tostring(k)), 2)
      end
      error(format("'%s' is not defined (undefined global)", tostring(k)), 2)
    end,
    __metatable = false,
  })
end

local REQUIRED = { [0] = "detect", [1] = "route", [2] = "check" }
local KIND = { [0] = "detector", [1] = "router", [2] = "risk" }
local rule_fn

local function install(chunk, kind, params, label, verify)
  rule_label = label
  local jit_ok, why = true, nil
  if verify then jit_ok, why = check_ticks(chunk, label) end
  local env = make_env(params)
  setfenv(chunk, env)
  chunk(tick)
  local name = REQUIRED[kind]
  local f = rawget(env, name)
  if type(f) ~= "function" then
    error(format("%s: rule defines no function '%s' (required for a %s rule)",
                 label, name, KIND[kind]), 0)
  end
  rule_fn = f
  return jit_ok, why
end

---------------------------------------------------------------- detector
local class_ids, classes, n_classes = {}, {}, 0
local function class_index(cls, i, row)
  local id = class_ids[cls]
  if id then return id end
  if type(cls) ~= "string" or #cls == 0 or #cls > 64 then
    error(format("%s: detect() returned %s as its class for row %d (symbol %d); expected a "
                 .. "string of 1..64 characters", rule_label, type(cls), i, row.symbol), 0)
  end
  if n_classes >= 64 then
    error(format("%s: detect() used more than 64 distinct classes", rule_label), 0)
  end
  n_classes = n_classes + 1
  class_ids[cls] = n_classes
  classes[n_classes] = cls
  return n_classes
end

local function bad_number(fn, what, v, i, sym, range)
  error(format("%s: %s() returned %s as its %s for row %d (symbol %d); expected %s",
               rule_label, fn, v ~= v and "NaN" or type(v), what, i, tonumber(sym), range), 0)
end

local function run_detect(rows_p, n, stride, ctx_p, out_p, cols_p, ncols, names)
  local base = cast(BYTEP, rows_p)
  if names then set_columns(names) end
  if cols_p ~= nil and ncols > 0 then
    COL_VALUES, COL_BASE, COL_ROWS, COL_STRIDE, COL_COUNT = cast(DOUBLEP, cols_p), base, n, stride, ncols
  else
    COL_VALUES = nil
  end
  local ctx = cast(CTXP, ctx_p)[0]
  local out = cast(HITP, out_p)
  local detect = rule_fn
  local nh = 0
  for i = 0, n - 1 do
    local row = cast(ROWP, base + i * stride)[0]
    local score, cls, value, threshold = detect(row, ctx)
    if score then
      if type(score) ~= "number" or score ~= score then
        bad_number("detect", "score", score, i, row.symbol, "nil or a number 0..100")
      end
      if score < 0 then score = 0 elseif score > 100 then score = 100 end
      if value == nil then value = NAN elseif type(value) ~= "number" then
        bad_number("detect", "value", value, i, row.symbol, "a number")
      end
      if threshold == nil then threshold = NAN elseif type(threshold) ~= "number" then
        bad_number("detect", "threshold", threshold, i, row.symbol, "a number")
      end
      local h = out[nh]
      h.row = i
      h.class_index = cls == nil and 0 or class_index(cls, i, row)
      h.score = score
      h.value = value
      h.threshold = threshold
      nh = nh + 1
    end
  end
  COL_VALUES = nil  -- the batch's columns are borrowed for this call
  return nh, n_classes
end

---------------------------------------------------------------- router
local DIRECTION = { long = 1, short = -1, flat = 0 }
local function run_route(ev_p, n, stride, ctx_p, out_p)
  local base = cast(BYTEP, ev_p)
  local ctx = cast(CTXP, ctx_p)[0]
  local out = cast(ROUTEP, out_p)
  local route = rule_fn
  for i = 0, n - 1 do
    local ev = cast(EVP, base + i * stride)[0]
    local dir, conf = route(ev, ctx)
    local d = DIRECTION[dir]
    if d == nil then
      error(format("%s: route() returned %s as its direction for record %d (symbol %d); "
                   .. "expected \"long\", \"short\" or \"flat\"", rule_label,
                   type(dir) == "string" and ("\"" .. dir .. "\"") or type(dir), i, ev.symbol), 0)
    end
    if conf == nil then conf = d == 0 and 0 or ev.confidence end
    if type(conf) ~= "number" or conf ~= conf then
      bad_number("route", "confidence", conf, i, ev.symbol, "a number 0..1")
    end
    if conf < 0 then conf = 0 elseif conf > 1 then conf = 1 end
    local o = out[i]
    o.direction = d
    o.confidence = conf
  end
  return n
end

---------------------------------------------------------------- risk
local function reason_code(name, i, sym)
  local code = type(name) == "string" and REASON_BY_NAME[name] or nil
  if code == nil then
    error(format("%s: check() returned %s as its reason for intent %d (symbol %d); expected "
                 .. "one of %s", rule_label,
                 type(name) == "string" and ("\"" .. name .. "\"") or type(name), i,
                 tonumber(sym), REASON_LIST), 0)
  end
  return code
end

-- Details longer than the fixed field, kept whole for the host (detail_ext
-- points into them); anchored here until the next batch.
local long_details, long_count = {}, 0

local function set_detail(v, detail, i, sym)
  v.detail_ext = nil
  if detail == nil then v.detail[0] = 0 return end
  if type(detail) ~= "string" then detail = tostring(detail) end
  local len = #detail
  if len > 95 then
    len = 95
    long_count = long_count + 1
    long_details[long_count] = detail
    v.detail_ext = detail
  end
  copy(v.detail, detail, len)
  v.detail[len] = 0
end

local function run_check(int_p, n, stride, pf_p, pos_p, npos, out_p)
  for k = 1, long_count do long_details[k] = nil end
  long_count = 0
  local base = cast(BYTEP, int_p)
  local pf = cast(PFP, pf_p)[0]
  position_base, position_count = cast(POSP, pos_p), npos
  local out = cast(VERDP, out_p)
  local check = rule_fn
  for i = 0, n - 1 do
    local intent = cast(INTP, base + i * stride)[0]
    local action, a, b, c = check(intent, pf)
    local v = out[i]
    if action == "allow" then
      v.action = 0; v.reason = 0; v.scale = 1; set_detail(v, nil)
    elseif action == "scale" then
      if type(a) ~= "number" or a ~= a or a < 0 or a > 1 then
        bad_number("check", "scale factor", a, i, intent.symbol, "a number 0..1")
      end
      v.action = 1; v.scale = a
      v.reason = b == nil and 0 or reason_code(b, i, intent.symbol)
      set_detail(v, c)
    elseif action == "deny" then
      v.action = 2; v.scale = 0
      v.reason = reason_code(a, i, intent.symbol)
      set_detail(v, b)
    else
      error(format("%s: check() returned %s as its action for intent %d (symbol %d); "
                   .. "expected \"allow\", \"scale\" or \"deny\"", rule_label,
                   type(action) == "string" and ("\"" .. action .. "\"") or type(action), i,
                   tonumber(intent.symbol)), 0)
    end
  end
  position_base, position_count = nil, 0
  return n
end

---------------------------------------------------------------- diagnostics
local function layout(t, field)
  local ok, v
  if field == "" then ok, v = pcall(sizeof, t) else ok, v = pcall(offsetof, t, field) end
  if ok and v then return tonumber(v) end
  return -1
end

local function trace_count()
  local n = 0
  while jit_util.traceinfo(n + 1) do n = n + 1 end
  return n
end

-- Nothing after this needs string.dump; a rule could reach the real string
-- library through any string's metatable, so remove it there too.
string.dump = nil

return {
  install = install, run_detect = run_detect, run_route = run_route, run_check = run_check,
  classes = classes, layout = layout, trace_count = trace_count,
}
)LUA";

// LuaJIT 2.1's bytecode names (jit/vmdef.lua's bcnames), 6 characters each:
// the fallback when jit.vmdef is not installed.
const char* const kBcNames21 =
    "ISLT  ISGE  ISLE  ISGT  ISEQV ISNEV ISEQS ISNES ISEQN ISNEN ISEQP ISNEP ISTC  ISFC  IST   "
    "ISF   ISTYPEISNUM MOV   NOT   UNM   LEN   ADDVN SUBVN MULVN DIVVN MODVN ADDNV SUBNV MULNV "
    "DIVNV MODNV ADDVV SUBVV MULVV DIVVV MODVV POW   CAT   KSTR  KCDATAKSHORTKNUM  KPRI  KNIL  "
    "UGET  USETV USETS USETN USETP UCLO  FNEW  TNEW  TDUP  GGET  GSET  TGETV TGETS TGETB TGETR "
    "TSETV TSETS TSETB TSETM TSETR CALLM CALL  CALLMTCALLT ITERC ITERN VARG  ISNEXTRETM  RET   "
    "RET0  RET1  FORI  JFORI FORL  IFORL JFORL ITERL IITERLJITERLLOOP  ILOOP JLOOP JMP   FUNCF "
    "IFUNCFJFUNCFFUNCV IFUNCVJFUNCVFUNCC FUNCCW";

std::string build_prelude() {
  std::string s = kCdefs;
  s += "local REASON_BY_NAME = {";
  std::string list;
  for (size_t i = 0; i < kRiskReasonCount; ++i) {
    s += std::string(kRiskReasonNames[i].name) + " = " + std::to_string(kRiskReasonNames[i].code) + ", ";
    if (i > 0) list += ", ";
    list += kRiskReasonNames[i].name;
  }
  s += "}\nlocal REASON = REASON_BY_NAME\nlocal REASON_LIST = \"" + list + "\"\n";
  s += "local BCNAMES_2_1 = \"" + std::string(kBcNames21) + "\"\n";
  s += kBody;
  return s;
}

}  // namespace

const std::string& rule_prelude_source() {
  static const std::string source = build_prelude();
  return source;
}

}  // namespace sh::host
