-- Unbounded (non-tail) recursion: Lua's "stack overflow" error.
local function depth(n)
  return 1 + depth(n + 1)
end

function detect(row, ctx)
  if ctx.symbol_count == 999 then return depth(1) end
end
