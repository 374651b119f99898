-- branchy: the sum of the Collatz step counts of n = 1 .. 300,000 -- measures branch-heavy
-- integer code (a data-dependent if/else in a loop).
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).
-- Halving uses floor(n / 2): it runs on both Lua 5.4 (where `//` would also do, and floor returns
-- an integer) and LuaJIT (no `//`); n is even there, so n / 2 is exact (values stay below 2^53).
local floor = math.floor

local function collatz(n)
  local steps = 0
  while n ~= 1 do
    if n % 2 == 0 then
      n = floor(n / 2)
    else
      n = 3 * n + 1
    end
    steps = steps + 1
  end
  return steps
end

local function main()
  local total = 0
  local n = 1
  while n <= 300000 do
    total = total + collatz(n)
    n = n + 1
  end
  print(total)
end

main()
