-- Unbounded tail recursion never grows the stack: only the budget stops it.
local function spin(n)
  return spin(n + 1)
end

function detect(row, ctx)
  if ctx.symbol_count == 999 then return spin(1) end
end
