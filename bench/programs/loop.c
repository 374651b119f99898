/* loop: one long while loop of 64-bit integer arithmetic (+, *, %). */
#include <stdio.h>

int main(void) {
    long long n = 30000000;
    long long s = 0;
    long long i = 0;
    while (i < n) {
        s = (s + i * 7 + i % 13) % 1000003;
        i = i + 1;
    }
    printf("%lld\n", s);
    return 0;
}
