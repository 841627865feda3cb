-- return_spike: a minute whose return is extreme both statistically and in
-- absolute terms. Same hits, scores, values and thresholds as the C++
-- return_spike detector (plugins/return_spike).
--
-- params: z_threshold (default 4, > 0)      |z_ret| must reach this
--         min_abs_ret_bps (default 10)      |log_ret| * 1e4 must reach this
--         require_dq_ok (default false)     skip rows whose dq is not OK
local z_threshold = params.z_threshold or 4
local min_abs_ret_bps = params.min_abs_ret_bps or 10
local require_dq_ok = params.require_dq_ok or false
assert(z_threshold > 0, "z_threshold must be > 0")
assert(min_abs_ret_bps >= 0, "min_abs_ret_bps must be >= 0")

local abs, min = math.abs, math.min

function detect(row, ctx)
  if require_dq_ok and row.dq ~= DQ.OK then return nil end
  local z = row.z_ret
  local az = abs(z)
  -- Comparisons with NaN (null) are false, so null rows never fire.
  if not (az >= z_threshold) or not (abs(row.log_ret * 1e4) >= min_abs_ret_bps) then
    return nil
  end
  -- 50 at the threshold, linear to 100 at twice the threshold, capped.
  local score = min(100, 50 + 50 * (az - z_threshold) / z_threshold)
  return score, nil, z, z_threshold
end
