/* branchy: the sum of the Collatz step counts of n = 1 .. 300,000 -- branch-heavy integer code. */
#include <stdio.h>

static long long collatz(long long n) {
    long long steps = 0;
    while (n != 1) {
        if (n % 2 == 0) {
            n = n / 2;
        } else {
            n = 3 * n + 1;
        }
        steps = steps + 1;
    }
    return steps;
}

int main(void) {
    long long total = 0;
    long long n = 1;
    while (n <= 300000) {
        total = total + collatz(n);
        n = n + 1;
    }
    printf("%lld\n", total);
    return 0;
}
