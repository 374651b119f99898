using System.Text;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Expressions of a wanted kind; a <c>+</c> never joins two strings that may be long.</summary>
public sealed partial class DifferentialProgramGenerator
{
    private string Condition(int depth) => _random.Next(10) switch
    {
        < 5 => Compare(depth),
        < 7 => $"{Compare(depth - 1)} {Pick(["and", "or"])} {Expr(K.Bool, depth - 1)}",
        7 => $"not {Compare(depth - 1)}",
        _ => Expr(K.Bool, depth).Text,
    };

    private string Compare(int depth)
    {
        int form = _random.Next(10);
        if (form < 7) return $"{Expr(K.Num, depth - 1)} {Pick(Comparisons)} {Expr(K.Num, depth - 1)}";
        if (form < 9) return $"{Expr(K.Str, depth - 1)} {Pick(Comparisons)} {Expr(K.Str, depth - 1)}";
        return $"{Expr(K.Any, depth - 1)} {Pick(["==", "!="])} {Expr(K.Any, depth - 1)}";
    }

    /// <param name="allowLong">False: the result must not be a long string (it is the other operand of a <c>+</c> with one).</param>
    private Ex Expr(K want, int depth, bool allowLong = true)
    {
        K asked = want;
        if (Chance(_chaos)) want = Pick([K.Int, K.Float, K.Bool, K.Str, K.None]); // a type error, sometimes
        if (want == K.Any) want = Pick([K.Int, K.Int, K.Float, K.Num, K.Bool, K.Str, K.None]);
        if (want == K.Num) want = Chance(0.6) ? K.Int : K.Float;
        var e = depth <= 0 || Chance(0.3) ? Leaf(want, allowLong) : Build(want, depth, allowLong);
        // A bool where an operand is expected: parenthesized, or `a + not b` and `a < b < c` would not parse.
        return want == K.Bool && asked != K.Bool ? e with { Text = $"({e.Text})" } : e;
    }

    private Ex Build(K want, int depth, bool allowLong)
    {
        int d = depth - 1;
        switch (want)
        {
            case K.Int:
                switch (_random.Next(13))
                {
                    case < 3: return Binary(Expr(K.Int, d, allowLong), Pick(["+", "-", "*"]), K.Int, d, allowLong: allowLong);
                    case 3: return Ex.Plain($"{Operand(K.Int, d)} {Pick(["/", "%"])} {Divisor()}");
                    case 4: return Ex.Plain($"{Operand(K.Int, d)} {Pick(["/", "%"])} {(Chance(0.5) ? Operand(K.Int, d) : Divisor())}");
                    case 5: return Ex.Plain($"-{Operand(K.Int, d)}");
                    case 6: return Ex.Plain($"abs({Expr(K.Int, d)})");
                    case 7: return Ex.Plain($"{Pick(["min", "max"])}({Expr(K.Int, d)}, {Expr(K.Int, d)})");
                    case 8: return Ex.Plain($"int({Expr(K.Float, d)})");
                    case 9: return UserCall([K.Int, K.Num], depth, allowLong) ?? Leaf(K.Int, allowLong);
                    case 10: return Paren(Expr(K.Int, d, allowLong));
                    default: return Binary(Expr(K.Int, d, allowLong), Pick(["+", "-", "*"]), K.Int, 0, right: SmallInt());
                }
            case K.Float:
                switch (_random.Next(11))
                {
                    case < 3: return Binary(Expr(K.Float, d, allowLong), Pick(["+", "-", "*", "/"]), K.Num, d, allowLong: allowLong);
                    case 3: return Binary(Expr(K.Num, d, allowLong), Pick(["+", "-", "*", "/", "%"]), K.Float, d, allowLong: allowLong);
                    case 4: return Ex.Plain($"{Operand(K.Float, d)} {Pick(["/", "%"])} {Pick(FloatDivisors)}");
                    case 5: return Ex.Plain($"sqrt({Expr(K.Num, d)})");
                    case 6: return Ex.Plain($"float({Expr(K.Int, d)})");
                    case 7: return Ex.Plain($"-{Operand(K.Float, d)}");
                    case 8:
                        return Ex.Plain(_random.Next(3) switch
                        {
                            0 => $"abs({Expr(K.Float, d)})",
                            1 => $"{Pick(["min", "max"])}({Expr(K.Float, d)}, {Expr(K.Num, d)})",
                            _ => $"{Pick(["min", "max"])}({Expr(K.Num, d)}, {Expr(K.Float, d)})",
                        });
                    case 9: return UserCall([K.Float, K.Num], depth, allowLong) ?? Leaf(K.Float, allowLong);
                    default: return Paren(Expr(K.Float, d, allowLong));
                }
            case K.Bool:
                switch (_random.Next(8))
                {
                    case < 3: return Ex.Plain(Compare(depth));
                    case 3: return Ex.Plain($"not {Operand(K.Bool, d)}");
                    case 4:
                    {
                        var text = new StringBuilder(Operand(K.Bool, d));
                        for (int i = _random.Next(1, 4); i > 0; i--) text.Append(Chance(0.5) ? " and " : " or ").Append(Operand(K.Bool, d));
                        return Ex.Plain(text.ToString());
                    }
                    case 5: return Ex.Plain($"({Expr(K.Bool, d)})");
                    default: return Ex.Plain($"{Compare(d)} {Pick(["and", "or"])} {Compare(d)}");
                }
            case K.Str:
                switch (_random.Next(5))
                {
                    case 0:
                    {
                        var inner = Expr(K.Any, d, allowLong);
                        return new Ex($"str({inner})", true, inner.Long);
                    }
                    case 1: return Binary(Expr(K.Str, d, allowLong), "+", K.Str, d, allowLong: allowLong);
                    case 2: return UserCall([K.Str], depth, allowLong) ?? Leaf(K.Str, allowLong);
                    default: return Leaf(K.Str, allowLong);
                }
            default:
                return UserCall([K.None], depth, allowLong) ?? Ex.Plain("none");
        }
    }

    /// <summary><c>left op right</c>; a <c>+</c> whose left side may be a long string gets a right side that may not.</summary>
    private Ex Binary(Ex left, string op, K rightKind, int depth, string? right = null, bool allowLong = true)
    {
        bool plus = op == "+";
        var r = right is not null ? Ex.Plain(right) : Expr(rightKind, depth, allowLong && !(plus && left.Long));
        if (plus && left.Long && r.Long) throw new InvalidOperationException("generator bug: two long strings added");
        // Now and then the right operand on the next line: errors must still name the operator's line.
        string text = $"{Wrap(left.Text)} {op}{(Chance(0.03) ? "\n" + new string(' ', 4 * _indent + 8) : " ")}{Wrap(r.Text)}";
        return plus ? new Ex(text, left.MayStr && r.MayStr, left.Long || r.Long) : Ex.Plain(text);
    }

    private static Ex Paren(Ex e) => e with { Text = $"({e.Text})" };

    /// <summary>An operand of a prefix or non-<c>+</c> operator: a number at run time, or a type error.</summary>
    private string Operand(K want, int depth, bool allowLong = true) => Wrap(Expr(want, depth, allowLong).Text);

    /// <summary>Parentheses around anything but a name or a literal, so the tree parses as built.</summary>
    private static string Wrap(string e) => e.All(ch => char.IsLetterOrDigit(ch) || ch == '_' || ch == '.') ? e : $"({e})";

    private Ex? UserCall(K[] returns, int depth, bool allowLong)
    {
        if (!allowLong || depth <= 0 || !Chance(0.6)) return null;
        var callable = _functions.Where(f => returns.Contains(f.Returns) && _cost + _multiplier * f.Cost <= _budget).ToList();
        if (callable.Count == 0) return null;
        var fn = Pick(callable);
        _cost += _multiplier * fn.Cost;
        _writes.UnionWith(fn.Writes);
        var arguments = new List<string>();
        for (int p = 0; p < fn.Roles.Length; p++)
            arguments.Add(fn.Recursive && p == 0 ? DepthArgument() : Expr(fn.Roles[p], depth - 1).Text);
        return new Ex($"{fn.Name}({string.Join(", ", arguments)})", true, true);
    }

    private Ex Leaf(K want, bool allowLong)
    {
        var matching = Visible().Where(v => Fits(v.Kind, want) && (allowLong || v.Sure)).ToList();
        if (matching.Count > 0 && Chance(0.6)) return Use(Pick(matching));
        string literal = Literal(want);
        return want == K.Str ? Ex.Bounded(literal) : Ex.Plain(literal);
    }

    private static bool Fits(K have, K want) => have == want || (have == K.Num && want is K.Int or K.Float);
}
