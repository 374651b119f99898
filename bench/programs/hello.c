/* hello: prints one line -- measures start-up and shut-down only. */
#include <stdio.h>

int main(void) {
    puts("hello");
    return 0;
}
