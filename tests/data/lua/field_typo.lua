-- Compiles, but reads a field that does not exist: caught by the dry run.
function detect(row, ctx)
  if row.z_rett > 4 then return 50 end
end
