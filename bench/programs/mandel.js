// mandel: count the points of a 600x600 grid over [-2,1]x[-1.5,1.5] whose orbit stays bounded
// (|z|^2 <= 4) for 200 iterations -- measures float arithmetic in tight nested loops.
"use strict";

function bounded(cr, ci) {
  let zr = 0.0;
  let zi = 0.0;
  let k = 0;
  while (k < 200) {
    const zr2 = zr * zr;
    const zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) {
      return false;
    }
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    k = k + 1;
  }
  return true;
}

function main() {
  const size = 600;
  let count = 0;
  let y = 0;
  while (y < size) {
    const ci = -1.5 + y * 3.0 / size;
    let x = 0;
    while (x < size) {
      if (bounded(-2.0 + x * 3.0 / size, ci)) {
        count = count + 1;
      }
      x = x + 1;
    }
    y = y + 1;
  }
  console.log(count);
}

main();
