-- Tries to survive its budget by catching the error and looping again.
function detect(row, ctx)
  if ctx.symbol_count ~= 999 then return nil end
  while true do
    pcall(function() while true do end end)
  end
end
