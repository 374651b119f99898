#!/usr/bin/env python3
"""Writes float-repr.txt: doubles (as 16 hex digits of their bits) and Python's repr of each.

The test FloatFormattingTests checks MiniVm's float printing against every line. Regenerate
with `python3 tests/data/make-float-repr.py` (seeded: the output is the same every time).
"""
import random
import struct

rng = random.Random(20261121)
values = []

def add(x):
    values.append(x)

# Special values and boundaries.
for x in [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324, -5e-324, 2.2250738585072014e-308,
          2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308, 0.1, 0.2, 0.1 + 0.2,
          1 / 3, 2 / 3, 1e16, 1e15, 9999999999999998.0, 1e-4, 1e-5, 0.0001, 0.00001, 123456789012345678.0,
          1e22, 1e23, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, 1.5, 100.0, 2.5, 1e300, 1e-300]:
    add(x)
# Powers of ten and their neighbours around the positional/scientific switch.
for e in range(-30, 31):
    p = 10.0 ** e
    for x in (p, p * 1.5, p * 9.999999, -p, p * 0.5):
        add(x)
# Integers as floats.
for _ in range(2000):
    add(float(rng.randint(-10 ** 18, 10 ** 18)))
for _ in range(1000):
    add(float(rng.randint(-10 ** 6, 10 ** 6)))
# Short decimals, which must print short.
for _ in range(4000):
    digits = rng.randint(1, 17)
    mantissa = rng.randint(0, 10 ** digits)
    add(float(f"{mantissa}e{rng.randint(-25, 25)}"))
# Arbitrary bit patterns (all exponents, including subnormals).
for _ in range(10000):
    bits = rng.getrandbits(64)
    (x,) = struct.unpack("<d", struct.pack("<Q", bits))
    add(x)
# Uniform doubles in [0, 1) and arithmetic results.
for _ in range(3000):
    add(rng.random() * 10 ** rng.randint(-8, 8))

with open("float-repr.txt", "w", encoding="ascii", newline="\n") as out:
    for x in values:
        (bits,) = struct.unpack("<Q", struct.pack("<d", x))
        out.write(f"{bits:016x} {repr(x)}\n")
