-- Allocates a new 1 MB string per iteration: hits the memory limit fast.
function detect(row, ctx)
  if ctx.symbol_count ~= 999 then return nil end
  local t = {}
  local i = 0
  while true do
    i = i + 1
    t[i] = string.rep('x', 1e6) .. i
  end
end
