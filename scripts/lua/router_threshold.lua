-- router_threshold (router): go long or short when the expert evidence leans
-- clearly one way and is confident enough, else stay flat.
--
-- params: min_confidence (default 0.55)  below this: flat
--         min_edge (default 0.1)         |prob_long - prob_short| must reach this
-- Returns direction ("long" | "short" | "flat"), confidence (0..1).
local min_confidence = params.min_confidence or 0.55
local min_edge = params.min_edge or 0.1

function route(ev, ctx)
  local pl, ps, c = ev.prob_long, ev.prob_short, ev.confidence
  -- Null (NaN) inputs fail every comparison below and end up flat.
  if not (c >= min_confidence) then return "flat", 0 end
  local edge = pl - ps
  if edge >= min_edge then return "long", c end
  if -edge >= min_edge then return "short", c end
  return "flat", 0
end
