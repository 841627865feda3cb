-- Defines no detect(): refused at load.
local x = 1
