namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Division and modulo by constants, and comparisons of numbers that are hard to compare exactly.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>Division and modulo by constants (the JIT's shifts and magic multiplications), of hard dividends.</summary>
    private void DivisionStress()
    {
        if (_quiet) return;
        string x;
        int form = _random.Next(10);
        if (form < 7)
        {
            var ints = Visible().Where(v => v.Kind == K.Int).ToList();
            x = ints.Count > 0 && Chance(0.4) ? Pick(ints).Name
                : Declare(K.Int, Ex.Plain(_random.Next(10) switch { < 5 => Pick(Dividends), < 8 => RandomLong(), _ => Expr(K.Int, 2).Text })).Name;
        }
        else if (form < 9) // a float divided by an int constant: not the integer code
        {
            x = Declare(K.Float, Ex.Plain(Pick(["-7.5", "7.5", "1e19", "-0.0", "(0.0 / 0.0)", "1e309", "0.1", "-1e-320", "9.223372036854776e18", "-4.0"]))).Name;
        }
        else // whatever kind a parameter or global has
        {
            var numbers = Visible().Where(v => IsNumber(v.Kind)).ToList();
            x = numbers.Count > 0 ? Pick(numbers).Name : Declare(K.Int, Ex.Plain(Pick(Dividends))).Name;
        }
        var parts = new List<string>();
        for (int i = _random.Next(1, 4); i > 0; i--)
        {
            string d = Divisor();
            parts.Add($"{x} / {d}");
            parts.Add($"{x} % {d}");
        }
        if (Chance(0.3)) parts.Add($"-{x} / {Divisor()}");
        if (Chance(0.15)) parts.Add($"({x} + {SmallInt()}) % {Divisor()}");
        if (Chance(0.15)) parts.Add($"{x} * {SmallInt()} / {Divisor()}");
        if (Chance(0.1)) parts.Add($"abs({x})");
        if (Chance(0.2)) parts.Add($"{Pick(Dividends)} {Pick(["/", "%"])} {x}");
        if (Chance(0.25)) // a divisor the JIT cannot see: a local (0 and -1 are the helper's cases)
        {
            string d = Declare(K.Int, Ex.Plain(Chance(0.05) ? "0" : Pick(["-1", "1", "2", "-7", "16", "3", "1000003", "-4294967296", "-1", "4611686018427387904"]))).Name;
            parts.Add($"{x} / {d}");
            parts.Add($"{x} % {d}");
        }
        Line($"print({string.Join(", ", parts)});");
    }

    /// <summary>Comparisons of numbers that are hard to compare exactly (mixed int/float, nan, inf, -0.0, beyond 2^53), as values and as branches.</summary>
    private void ComparisonStress()
    {
        if (_quiet) return;
        string a = Declare(K.Num, Ex.Plain(ComparisonOperand())).Name, b = Declare(K.Num, Ex.Plain(ComparisonOperand())).Name;
        if (Chance(0.7)) Line($"print({a} < {b}, {a} <= {b}, {a} == {b}, {a} != {b}, {a} > {b}, {a} >= {b});");
        string op = Pick(Comparisons);
        Line($"if {a} {op} {b} {{ print(\"{a} {op} {b}\"); }} else {{ print(\"not {a} {op} {b}\"); }}");
        if (Chance(0.4)) Line($"if not ({a} {Pick(Comparisons)} {b}) or {b} {Pick(Comparisons)} {SmallNumber()} {{ print(\"or\"); }}");
        if (Chance(0.3)) Line($"while {a} {Pick(Comparisons)} {b} {{ print(\"once\"); break; }}");
    }

    private string ComparisonOperand() => _random.Next(4) switch
    {
        0 => Pick(SpecialInts),
        1 => Pick(SpecialFloats),
        2 => Pick(["9007199254740993", "9007199254740992.0", "9223372036854775807", "9.223372036854776e18", "(0.0 / 0.0)", "1e309", "-0.0", "0"]),
        _ => SmallNumber(),
    };
}
