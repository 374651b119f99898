-- dist: seed 004's distance function called 10,000,000 times with float arguments derived from
-- the loop counter -- measures calls with float arguments, float arithmetic and sqrt.
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).
local sqrt = math.sqrt
local floor = math.floor

local function dist(x1, y1, x2, y2)
  local dist_x = x1 - x2
  local dist_y = y1 - y2
  return sqrt(dist_x * dist_x + dist_y * dist_y)
end

local function main()
  local total = 0.0
  local i = 0
  while i < 10000000 do
    total = total + dist(i % 1000 * 0.01, i % 997 * 0.02, 5.0, i % 13 * 0.5)
    i = i + 1
  end
  print(floor(total)) -- the total is positive: floor truncates
end

main()
