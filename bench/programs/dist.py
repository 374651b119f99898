# dist: seed 004's distance function called 10,000,000 times with float arguments derived from
# the loop counter -- measures calls with float arguments, float arithmetic and sqrt.
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).
from math import sqrt


def dist(x1, y1, x2, y2):
    dist_x = x1 - x2
    dist_y = y1 - y2
    return sqrt(dist_x * dist_x + dist_y * dist_y)


def main():
    total = 0.0
    i = 0
    while i < 10000000:
        total = total + dist(i % 1000 * 0.01, i % 997 * 0.02, 5.0, i % 13 * 0.5)
        i = i + 1
    print(int(total))


main()
