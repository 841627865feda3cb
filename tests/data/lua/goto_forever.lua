-- A loop made of a label and a backward goto (no while/for at all).
function detect(row, ctx)
  local i = 0
  ::again::
  i = i + 1
  goto again
end
