-- mandel: count the points of a 600x600 grid over [-2,1]x[-1.5,1.5] whose orbit stays bounded
-- (|z|^2 <= 4) for 200 iterations -- measures float arithmetic in tight nested loops.
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).

local function bounded(cr, ci)
  local zr = 0.0
  local zi = 0.0
  local k = 0
  while k < 200 do
    local zr2 = zr * zr
    local zi2 = zi * zi
    if zr2 + zi2 > 4.0 then
      return false
    end
    zi = 2.0 * zr * zi + ci
    zr = zr2 - zi2 + cr
    k = k + 1
  end
  return true
end

local function main()
  local size = 600
  local count = 0
  local y = 0
  while y < size do
    local ci = -1.5 + y * 3.0 / size
    local x = 0
    while x < size do
      if bounded(-2.0 + x * 3.0 / size, ci) then
        count = count + 1
      end
      x = x + 1
    end
    y = y + 1
  end
  print(count)
end

main()
