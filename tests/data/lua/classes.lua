-- Hits with named classes, values and thresholds, plus log() and symbol names.
function detect(row, ctx)
  if row.symbol == 1 then return 150 end                       -- clamped to 100, default class
  if row.symbol == 2 then return 20, "dip", row.z_ret, -3 end
  if row.symbol == 3 then
    log("saw " .. tostring(row.symbol_name))
    return -5, "dip"                                           -- clamped to 0
  end
end
