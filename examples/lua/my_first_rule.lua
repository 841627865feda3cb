-- my_first_rule.lua: a detector rule to copy and edit.
--
-- The host calls detect(row, ctx) once per symbol at every minute close.
--   row  one feature row: row.close, row.log_ret, row.z_ret, row.spread_bps,
--        row.volume, row.q_volume, row.dq, row.symbol ... (every field of
--        sh_feature_row in sdk/include/strategy_host/abi.h, same names).
--        A feature that is not available (or not warm yet) is NaN: test it
--        with is_null(x). Comparisons with NaN are always false.
--        row.symbol_name gives the symbol's name, when the host knows it.
--   ctx  the market this minute: ctx.breadth (share of symbols up, 0..1),
--        ctx.leader, ctx.leader_ret, ctx.benchmark_ret, ctx.symbol_count.
--   params  the rule's parameters from the YAML config (a plain table).
--
-- Return nothing (nil) for "no hit", or a score 0..100, optionally followed
-- by a class name (defaults to the rule's name), the measured value and the
-- threshold it crossed.
--
-- Sandbox: no io, os, require, ffi, debug, load... Using one stops the rule
-- with "'os' is not available in rules (sandbox)". Reading a global nobody
-- defined is an error too (catches typos). log("...") writes to the host log.
-- Budget: each minute's call must finish within the configured instructions,
-- time and memory; a rule that does not is stopped and rolled back/disabled.
-- 64-bit integer fields (row.minute_ts_ns) are LuaJIT int64 values: use
-- tonumber(row.minute_ts_ns) before arithmetic with fractions.

local z_min = params.z_min or 3          -- how unusual the return must be
local breadth_max = params.breadth_max or 0.3  -- "the market is mostly down"

-- A symbol that rises sharply while most of the market falls.
function detect(row, ctx)
  if row.dq ~= DQ.OK or is_null(row.z_ret) then return nil end
  if row.z_ret >= z_min and ctx.breadth <= breadth_max then
    local score = math.min(100, 50 + 10 * (row.z_ret - z_min))
    return score, "against_the_market", row.z_ret, z_min
  end
  return nil
end
