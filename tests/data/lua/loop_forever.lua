-- Never returns: must be stopped by the budget, interpreted or compiled.
function detect(row, ctx)
  while true do end
end
