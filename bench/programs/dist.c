/* dist: seed 004's distance function called 10,000,000 times with float arguments derived from
   the loop counter -- calls with float arguments, float arithmetic and sqrt. */
#include <math.h>
#include <stdio.h>

static double dist(double x1, double y1, double x2, double y2) {
    double dist_x = x1 - x2;
    double dist_y = y1 - y2;
    return sqrt(dist_x * dist_x + dist_y * dist_y);
}

int main(void) {
    double total = 0.0;
    long long i = 0;
    while (i < 10000000) {
        total = total + dist((double)(i % 1000) * 0.01, (double)(i % 997) * 0.02, 5.0,
                             (double)(i % 13) * 0.5);
        i = i + 1;
    }
    printf("%lld\n", (long long)total);
    return 0;
}
