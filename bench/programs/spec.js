// spec: seed 000's test(flag), called 20,000,000 times with true and then 100 times with false --
// a branch that is monomorphic for a long time and then flips (V8 deoptimizes here).
"use strict";

function test(flag) {
  let b = 0;
  if (flag) {
    b = 3;
  } else {
    b = 2;
  }
  return b + 4;
}

function main() {
  let total = 0;
  let i = 0;
  while (i < 20000000) {
    total = total + test(true);
    i = i + 1;
  }
  i = 0;
  while (i < 100) {
    total = total + test(false);
    i = i + 1;
  }
  console.log(total);
}

main();
