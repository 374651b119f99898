# fib: naive recursive Fibonacci -- measures function calls and returns.
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    print(fib(35))


main()
