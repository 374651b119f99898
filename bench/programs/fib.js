// fib: naive recursive Fibonacci -- measures function calls and returns.
"use strict";

function fib(n) {
  if (n < 2) {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}

function main() {
  console.log(fib(35));
}

main();
