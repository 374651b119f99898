// loop: one long while loop of integer arithmetic (+, *, %) -- measures the dispatch of simple
// integer instructions. Values stay far below 2^53, so JavaScript numbers are exact.
"use strict";

function main() {
  const n = 30000000;
  let s = 0;
  let i = 0;
  while (i < n) {
    s = (s + i * 7 + i % 13) % 1000003;
    i = i + 1;
  }
  console.log(s);
}

main();
