-- volume_spike: unusually high traded volume (one-sided). Same hits, scores,
-- values and thresholds as the C++ volume_spike detector.
--
-- params: z_threshold (default 4, > 0)      z_volume must reach this
--         min_quantile (default 0.95)       and q_volume must reach this
--         require_dq_ok (default false)     skip rows whose dq is not OK
local z_threshold = params.z_threshold or 4
local min_quantile = params.min_quantile or 0.95
local require_dq_ok = params.require_dq_ok or false
assert(z_threshold > 0, "z_threshold must be > 0")

local min = math.min

function detect(row, ctx)
  if require_dq_ok and row.dq ~= DQ.OK then return nil end
  local z = row.z_volume
  if not (z >= z_threshold) or not (row.q_volume >= min_quantile) then return nil end
  return min(100, 50 + 50 * (z - z_threshold) / z_threshold), nil, z, z_threshold
end
