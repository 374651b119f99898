/* spec: seed 000's test(flag), called 20,000,000 times with true and then 100 times with false. */
#include <stdio.h>

static long long test(int flag) {
    long long b = 0;
    if (flag) {
        b = 3;
    } else {
        b = 2;
    }
    return b + 4;
}

int main(void) {
    long long total = 0;
    long long i = 0;
    while (i < 20000000) {
        total = total + test(1);
        i = i + 1;
    }
    i = 0;
    while (i < 100) {
        total = total + test(0);
        i = i + 1;
    }
    printf("%lld\n", total);
    return 0;
}
