namespace MiniVm.Fuzz.Engine;

/// <summary>
/// The fuzzers' random numbers: SplitMix64, seeded from (run seed, input number). Our own
/// generator rather than <see cref="Random"/>, so an input depends on nothing but the seed, its
/// number and the corpus — not on a .NET version's algorithm — and any input of a run can be
/// made again alone, without replaying the ones before it.
/// </summary>
public sealed class FuzzRandom
{
    private ulong _state;

    public FuzzRandom(ulong seed, long index)
    {
        _state = Mix(seed) ^ Mix((ulong)index * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
    }

    public ulong NextU64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A number in [0, <paramref name="maxExclusive"/>); 0 when the range is empty.</summary>
    public int Next(int maxExclusive) =>
        maxExclusive <= 0 ? 0 : (int)(((NextU64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>A number in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    /// <summary>A number in [<paramref name="min"/>, <paramref name="maxExclusive"/>) over the whole
    /// range of long (the bias of taking a remainder is below 2^-63 of the range: irrelevant here).</summary>
    public long NextInt64(long min, long maxExclusive) =>
        maxExclusive <= min ? min : min + (long)(NextU64() % (ulong)(maxExclusive - min));

    /// <summary>A double in [0, 1): the top 53 bits of a draw.</summary>
    public double NextDouble() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with the given chance in percent.</summary>
    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Small numbers often, large ones rarely: 1 + the number of coin flips won in a row, at most <paramref name="max"/>.</summary>
    public int SmallCount(int max)
    {
        int count = 1;
        while (count < max && Chance(40)) count++;
        return count;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
