// dist: seed 004's distance function called 10,000,000 times with float arguments derived from
// the loop counter -- measures calls with float arguments, float arithmetic and sqrt.
"use strict";

function dist(x1, y1, x2, y2) {
  const dist_x = x1 - x2;
  const dist_y = y1 - y2;
  return Math.sqrt(dist_x * dist_x + dist_y * dist_y);
}

function main() {
  let total = 0.0;
  let i = 0;
  while (i < 10000000) {
    total = total + dist(i % 1000 * 0.01, i % 997 * 0.02, 5.0, i % 13 * 0.5);
    i = i + 1;
  }
  console.log(Math.trunc(total));
}

main();
