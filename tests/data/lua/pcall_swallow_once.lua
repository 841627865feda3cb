-- Catches the budget error once and returns normally: the batch still fails.
function detect(row, ctx)
  if ctx.symbol_count ~= 999 then return nil end
  pcall(function() while true do end end)
  return 10
end
