-- Passes the dry run; fails at run time on a batch whose symbol_count is 999.
function detect(row, ctx)
  if ctx.symbol_count == 999 then
    local missing = nil
    return missing.field
  end
  return 1, "v_bad"
end
