using System.Globalization;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Scenarios where something first happens after the warm-up: a branch is taken, a sum overflows.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>Branches not taken for thousands of iterations, then taken: in a compiled callee, and in
    /// the hot loop itself (with <c>break</c> or <c>continue</c> on the late path).</summary>
    private Driver LateBranch()
    {
        int id = _names++;
        string fn = $"late{id}";
        int warm = WarmUp(), from = warm - _random.Next(1, 8);
        string test = Pick([$"n >= {from}", $"n > {from - 1} and x != 0", $"not (n < {from})", $"n == {from} or n > {from + 2}"]);
        Line($"fn {fn}(n, x) {{");
        Line("    let score = n % 7 + x;");
        Line($"    if {test} {{");
        Line($"        score = score * {Pick(["100", "2.5", "-1"])} + 1;");
        if (Chance(0.5)) Line("        print(\"rare\", n, x, score);");
        Line("    }");
        Line("    return score;");
        Line("}");
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", rare = $"rare{id}";
            Line($"let {rare} = 0;");
            int loopFrom = _random.Next(warm / 2, warm);
            Counted(q, warm, () =>
            {
                Line($"{acc} = {acc} + {fn}({q}, {q} % 3);");
                Line($"if {q} >= {loopFrom} {{");
                Line($"    {rare} = {rare} + 1;");
                Line($"    {acc} = {acc} - 2;");
                if (Chance(0.3)) Line($"    if {q} % {_random.Next(2, 9)} == 0 {{ continue; }}");
                if (Chance(0.2)) Line($"    if {q} == {_random.Next(loopFrom, warm + 1)} {{ print(\"break\", {q}, {acc}); break; }}");
                Line("}");
            });
            Line($"print(\"{fn}\", {acc}, {rare}, {fn}(3, 1), {fn}({from + 1}, 2.5));");
        });
    }

    /// <summary>A sum that stays in range through the warm-up and overflows just after it (or just
    /// does not), in a hot loop and in a compiled callee.</summary>
    private Driver OverflowAfterWarmUp()
    {
        int id = _names++;
        string fn = $"ovf{id}";
        int target = WarmUp();
        // sum(1..k) * step stays within int until k reaches target, then passes it.
        long step = long.MaxValue / ((long)target * (target + 1) / 2);
        bool overflows = Chance(0.4);
        int bound = overflows ? target + _random.Next(1, 4) : target - _random.Next(0, 3);
        string sign = Chance(0.5) ? "+" : "-";
        long big = long.MaxValue / 3 + _random.Next(0, 1000);
        Line($"fn {fn}(x) {{ return x * 3 {sign} 1; }}");
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}";
            Counted(q, bound, () =>
            {
                Line($"{acc} = {acc} {sign} {step.ToString(CultureInfo.InvariantCulture)} * {q};");
                if (Chance(0.5)) Line($"{acc} = {acc} + {fn}({q} % 100) - {fn}({q} % 100);");
            });
            Line($"print(\"{fn}\", {acc});");
            // The callee warmed up on small ints, then given one whose triple does not fit (or just fits).
            string x = Chance(0.3) ? big.ToString(CultureInfo.InvariantCulture) : (big / 2).ToString(CultureInfo.InvariantCulture);
            if (Chance(0.5)) Line($"print(\"{fn} big\", {fn}({x}));");
        });
    }
}
