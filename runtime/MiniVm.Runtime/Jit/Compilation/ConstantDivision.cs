using System.Numerics;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// The arithmetic behind dividing by a constant without a divide instruction (Hacker's Delight,
/// chapter 10): for a divisor d with |d| ≥ 2, a "magic" multiplier M and shift s such that the
/// truncated quotient x / d is <c>(mulhi(M, x) [+ or − x]) >> s</c>, plus one when negative, for
/// every 64-bit x.
/// </summary>
internal static class ConstantDivision
{
    /// <summary>Divisors compiled without <c>idiv</c>: every one but -1, 0, 1 and long.MinValue.</summary>
    public static bool CanStrengthReduce(long d) => d is not (-1 or 0 or 1 or long.MinValue);

    /// <summary>k when d is 2^k (k ≥ 1), else null.</summary>
    public static int? PowerOfTwoShift(long d) => d > 1 && (d & (d - 1)) == 0 ? BitOperations.TrailingZeroCount(d) : null;

    /// <summary>The signed magic number and shift for <paramref name="d"/> (|d| ≥ 2, not long.MinValue).</summary>
    public static (long Magic, int Shift) Magic(long d)
    {
        const ulong TwoTo63 = 1UL << 63;
        ulong ad = (ulong)Math.Abs(d);
        ulong t = TwoTo63 + ((ulong)d >> 63);
        ulong anc = t - 1 - t % ad; // |nc|
        int p = 63;
        ulong q1 = TwoTo63 / anc, r1 = TwoTo63 - q1 * anc;
        ulong q2 = TwoTo63 / ad, r2 = TwoTo63 - q2 * ad;
        ulong delta;
        do
        {
            p++;
            q1 *= 2;
            r1 *= 2;
            if (r1 >= anc)
            {
                q1++;
                r1 -= anc;
            }
            q2 *= 2;
            r2 *= 2;
            if (r2 >= ad)
            {
                q2++;
                r2 -= ad;
            }
            delta = ad - r2;
        } while (q1 < delta || (q1 == delta && r1 == 0));
        long magic = (long)(q2 + 1);
        return (d < 0 ? -magic : magic, p - 64);
    }
}
