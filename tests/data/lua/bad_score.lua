-- Returns a string as its score on batches with symbol_count 999.
function detect(row, ctx)
  if ctx.symbol_count == 999 then return "high" end
end
