# mandel: count the points of a 600x600 grid over [-2,1]x[-1.5,1.5] whose orbit stays bounded
# (|z|^2 <= 4) for 200 iterations -- measures float arithmetic in tight nested loops.
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).


def bounded(cr, ci):
    zr = 0.0
    zi = 0.0
    k = 0
    while k < 200:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return False
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        k = k + 1
    return True


def main():
    size = 600
    count = 0
    y = 0
    while y < size:
        ci = -1.5 + y * 3.0 / size
        x = 0
        while x < size:
            if bounded(-2.0 + x * 3.0 / size, ci):
                count = count + 1
            x = x + 1
        y = y + 1
    print(count)


main()
