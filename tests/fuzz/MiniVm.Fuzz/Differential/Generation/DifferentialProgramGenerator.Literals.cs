using System.Globalization;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>The literals programs are made of: the limits of int, of int32, of exact doubles, and divisors the JIT treats specially.</summary>
public sealed partial class DifferentialProgramGenerator
{
    // Literals the JIT's fast paths find hard: limits of int, of int32, of exact doubles.
    private static readonly string[] SpecialInts =
    [
        "0", "1", "2147483647", "2147483648", "4294967295", "4294967296", "9007199254740993", "9007199254740992",
        "3037000499", "3037000500", "4611686018427387904", "4611686018427387903", "9223372036854775807",
        "-9223372036854775807", "(-9223372036854775807 - 1)", "-4611686018427387904", "1000003", "-2147483648",
        "123456789012345678", "-99999999999",
    ];

    private static readonly string[] Dividends =
    [
        "0", "1", "-1", "7", "-7", "100", "-100", "2147483648", "-2147483649", "4294967301", "4611686018427387904",
        "-4611686018427387904", "9223372036854775807", "(-9223372036854775807 - 1)", "-9223372036854775807",
        "5000017", "-99999999999", "123456789012345678", "63", "-64", "1000003", "-4294967296",
    ];

    private static readonly string[] Divisors =
    [
        "2", "-2", "3", "-3", "5", "7", "-7", "10", "16", "-16", "64", "6", "12", "641", "1000003", "-1000003",
        "4294967296", "-4294967296", "2147483648", "2147483647", "4611686018427387904", "-4611686018427387904",
        "9223372036854775807", "-9223372036854775807", "1", "-1", "-1000", "1024",
    ];

    private static readonly string[] RareDivisors = ["0", "(-9223372036854775807 - 1)", "(3 - 3)"];

    private static readonly string[] Floats = ["0.0", "0.5", "1.5", "2.25", "-3.75", "0.1", "123.456", "1e16", "2.0", "-0.5", "10.0", "7.0"];

    private static readonly string[] SpecialFloats =
    [
        "-0.0", "1e300", "1e309", "-1e309", "(0.0 / 0.0)", "9007199254740992.0", "9.223372036854776e18",
        "-9.223372036854776e18", "1e-320", "1e19", "4.611686018427388e18", "2147483648.0", "0.30000000000000004",
    ];

    private static readonly string[] FloatDivisors = ["2.0", "-0.5", "3.0", "0.0", "1e-300", "-7.0", "1e309"];

    private static readonly string[] Strings = ["\"\"", "\"a\"", "\"abc\"", "\"B\"", "\"a b\"", "\"x\\ty\"", "\"10\"", "\"zz\""];

    private static readonly string[] Comparisons = ["<", "<=", ">", ">=", "==", "!="];

    private string Literal(K kind) => kind switch
    {
        K.Int => Chance(0.04) ? Pick(SpecialInts) : SmallInt(),
        K.Float => Chance(0.15) ? Pick(SpecialFloats) : Chance(0.5) ? Pick(Floats) : $"{_random.Next(0, 50)}.{_random.Next(0, 100)}",
        K.Num => Literal(Chance(0.6) ? K.Int : K.Float),
        K.Bool => Chance(0.5) ? "true" : "false",
        K.Str => Pick(Strings),
        K.None => "none",
        _ => Literal(Pick([K.Int, K.Float, K.Bool, K.Str, K.None])),
    };

    private string SmallInt()
    {
        int n = _random.Next(-20, 100);
        return n < 0 ? $"({n})" : n.ToString(CultureInfo.InvariantCulture);
    }

    private string SmallNumber() => Chance(0.75) ? SmallInt() : Pick(Floats);

    private string Divisor() => Chance(0.015) ? Pick(RareDivisors) : Chance(0.2) ? RandomLong(2 + _random.Next(62)) : Pick(Divisors);

    /// <summary>An int literal of about <paramref name="bits"/> bits (at random if 0) and either sign.</summary>
    private string RandomLong(int bits = 0)
    {
        if (bits == 0) bits = _random.Next(2, 64);
        long magnitude = _random.NextInt64(1L << (bits - 2), bits >= 63 ? long.MaxValue : 1L << (bits - 1)) | 1L << (bits - 2);
        return (Chance(0.5) ? "-" : "") + magnitude.ToString(CultureInfo.InvariantCulture);
    }
}
