// branchy: the sum of the Collatz step counts of n = 1 .. 300,000 -- measures branch-heavy
// integer code (a data-dependent if/else in a loop). n is even when halved, so n / 2 is exact
// (values stay below 2^53; `>> 1` would overflow 32 bits).
"use strict";

function collatz(n) {
  let steps = 0;
  while (n !== 1) {
    if (n % 2 === 0) {
      n = n / 2;
    } else {
      n = 3 * n + 1;
    }
    steps = steps + 1;
  }
  return steps;
}

function main() {
  let total = 0;
  let n = 1;
  while (n <= 300000) {
    total = total + collatz(n);
    n = n + 1;
  }
  console.log(total);
}

main();
