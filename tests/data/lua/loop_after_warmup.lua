-- Loops a bounded number of times on ordinary batches, so LuaJIT compiles the
-- loop into a trace; on a batch whose ctx.symbol_count is 999 the same
-- compiled loop never exits.
function detect(row, ctx)
  local forever = ctx.symbol_count == 999
  local i = 0
  while true do
    i = i + 1
    if i >= 2000 and not forever then break end
  end
  return nil
end
