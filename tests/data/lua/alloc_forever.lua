-- Allocates without limit (the same 1 MB string again and again: Lua interns
-- it, so mostly the table grows).
function detect(row, ctx)
  if ctx.symbol_count ~= 999 then return nil end
  local t = {} while true do t[#t+1] = string.rep('x', 1e6) end
end
