# spec: seed 000's test(flag), called 20,000,000 times with True and then 100 times with False --
# a branch that is monomorphic for a long time and then flips.
# The top-level code is in main(), the usual way Python benchmarks are written (locals, not globals).


def test(flag):
    b = 0
    if flag:
        b = 3
    else:
        b = 2
    return b + 4


def main():
    total = 0
    i = 0
    while i < 20000000:
        total = total + test(True)
        i = i + 1
    i = 0
    while i < 100:
        total = total + test(False)
        i = i + 1
    print(total)


main()
