-- spread_blowout: the bid/ask spread widened, either against its own history
-- (z_spread) or past an absolute cap (spread_bps). Same hits, scores, values
-- and thresholds as the C++ spread_blowout detector: a null input only
-- disables its own condition; when both fire the larger score wins, and
-- value/threshold report the z condition if it fired.
--
-- params: z_threshold (default 4, > 0)      z_spread reaching this fires
--         max_spread_bps (default 50, > 0)  spread_bps reaching this fires
--         require_dq_ok (default false)     skip rows whose dq is not OK
local z_threshold = params.z_threshold or 4
local max_spread_bps = params.max_spread_bps or 50
local require_dq_ok = params.require_dq_ok or false
assert(z_threshold > 0, "z_threshold must be > 0")
assert(max_spread_bps > 0, "max_spread_bps must be > 0")

local min = math.min

local function score(x, threshold)
  return min(100, 50 + 50 * (x - threshold) / threshold)
end

function detect(row, ctx)
  if require_dq_ok and row.dq ~= DQ.OK then return nil end
  local z, bps = row.z_spread, row.spread_bps
  local z_fires = z >= z_threshold
  local bps_fires = bps >= max_spread_bps
  if not z_fires and not bps_fires then return nil end
  local z_score = z_fires and score(z, z_threshold) or 0
  local bps_score = bps_fires and score(bps, max_spread_bps) or 0
  local s = z_score > bps_score and z_score or bps_score
  if z_fires then return s, nil, z, z_threshold end
  return s, nil, bps, max_spread_bps
end
