# loop: one long while loop of 64-bit integer arithmetic (+, *, %) -- measures the dispatch of
# simple integer instructions. Values stay far below 2^53, so double-based runtimes are exact.
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).


def main():
    n = 30000000
    s = 0
    i = 0
    while i < n:
        s = (s + i * 7 + i % 13) % 1000003
        i = i + 1
    print(s)


main()
