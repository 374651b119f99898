/* mandel: count the points of a 600x600 grid over [-2,1]x[-1.5,1.5] whose orbit stays bounded
   (|z|^2 <= 4) for 200 iterations -- float arithmetic in tight nested loops. */
#include <stdio.h>

static int bounded(double cr, double ci) {
    double zr = 0.0;
    double zi = 0.0;
    long long k = 0;
    while (k < 200) {
        double zr2 = zr * zr;
        double zi2 = zi * zi;
        if (zr2 + zi2 > 4.0) {
            return 0;
        }
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        k = k + 1;
    }
    return 1;
}

int main(void) {
    long long size = 600;
    long long count = 0;
    long long y = 0;
    while (y < size) {
        double ci = -1.5 + (double)y * 3.0 / (double)size;
        long long x = 0;
        while (x < size) {
            if (bounded(-2.0 + (double)x * 3.0 / (double)size, ci)) {
                count = count + 1;
            }
            x = x + 1;
        }
        y = y + 1;
    }
    printf("%lld\n", count);
    return 0;
}
