-- A syntax error on line 3.
function detect(row, ctx)
  local x = = 1
end
