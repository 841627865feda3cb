-- Fails while its top level runs (during load).
local threshold = params.threshold
error("threshold missing") 
function detect(row, ctx) end
