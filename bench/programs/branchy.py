# branchy: the sum of the Collatz step counts of n = 1 .. 300,000 -- measures branch-heavy
# integer code (a data-dependent if/else in a loop).
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).


def collatz(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps = steps + 1
    return steps


def main():
    total = 0
    n = 1
    while n <= 300000:
        total = total + collatz(n)
        n = n + 1
    print(total)


main()
