-- fib: naive recursive Fibonacci -- measures function calls and returns.
-- The top-level code is in main(), the usual way Lua benchmarks are written (locals, not globals).

local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

local function main()
  print(fib(35))
end

main()
