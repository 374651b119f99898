-- loop: one long while loop of 64-bit integer arithmetic (+, *, %) -- measures the dispatch of
-- simple integer instructions. Values stay far below 2^53, so LuaJIT's doubles are exact.
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).

local function main()
  local n = 30000000
  local s = 0
  local i = 0
  while i < n do
    s = (s + i * 7 + i % 13) % 1000003
    i = i + 1
  end
  print(s)
end

main()
