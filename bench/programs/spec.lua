-- spec: seed 000's test(flag), called 20,000,000 times with true and then 100 times with false --
-- a branch that is monomorphic for a long time and then flips.
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).

local function test(flag)
  local b = 0
  if flag then
    b = 3
  else
    b = 2
  end
  return b + 4
end

local function main()
  local total = 0
  local i = 0
  while i < 20000000 do
    total = total + test(true)
    i = i + 1
  end
  i = 0
  while i < 100 do
    total = total + test(false)
    i = i + 1
  end
  print(total)
end

main()
