using System.Globalization;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Scenarios whose failed bet finds other things in the way: compiled frames of a recursion,
/// operands of a deep expression, live locals of a loop entered by on-stack replacement.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>A recursion warmed up on ints, then run with a float or a string: the bet fails deep
    /// inside, with compiled frames of it below and above, each holding locals.</summary>
    private Driver DeoptInRecursion()
    {
        int id = _names++;
        string fn = $"rec{id}";
        int depth = Chance(0.1) ? _random.Next(100, 300) : _random.Next(3, 40);
        bool strings = Chance(0.4);
        int flipDepth = _random.Next(0, depth + 5); // past depth: never taken (a branch bet that holds)
        Line($"fn {fn}(n, x) {{");
        Line("    if n <= 0 {");
        Line($"        return {(strings ? "x + x" : Pick(["x * 2", "x + 1", "x - n"]))};");
        Line("    }");
        Line("    let here = n * 2;");
        Line("    let tag = \"d\" + str(n % 3);");
        Line("    let y = x;");
        if (!strings) Line($"    if n == {flipDepth} {{ y = x * 0.5; }}");
        Line($"    let r = {fn}(n - 1, y);");
        Line(strings ? "    return r + x;" : Pick(["    return r + here;", "    return r * 1 + n - here / 2;", "    return here + r;"]));
        Line("}");
        int rounds = Math.Max(2, WarmUp() / depth);
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", last = $"last{id}";
            Line($"let {last} = 0;");
            Counted(q, rounds, () => Line($"{last} = {fn}({Math.Min(depth, 20)}, {q});"));
            Line($"print(\"warm {fn}\", {last});");
            Line($"print(\"{fn}\", {fn}({depth}, 0.5), {fn}({depth}, {(strings ? PickString() : "-3")}), {fn}({depth}, 4));");
            if (!strings) Line($"print(\"{fn} flips\", {fn}({Math.Max(depth, flipDepth + 1)}, 6));");
        });
    }

    /// <summary>Calls whose result kind changes deep inside an arithmetic expression, with the outer
    /// operands (locals of both kinds, constants, other calls' results) on the operand stack.</summary>
    private Driver DeepExpressionDeopt()
    {
        int id = _names++;
        string a = $"da{id}", b = $"db{id}";
        int warm = WarmUp(), flipAt = _random.Next(warm / 2, warm);
        Line($"fn {a}(i) {{ if i < {flipAt} {{ return i % 9; }} return i % 9 + 0.5; }}");
        Line($"fn {b}(x, y) {{ return x - y * 2; }}");
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", k = $"k{id}", f = $"f{id}";
            Line($"let {k} = {_random.Next(1, 9)};");
            Line($"let {f} = {Pick(["0.5", "1.25", "-2.0"])};");
            string expr = DeepExpression(q, [k, f, q], a, b, _random.Next(3, 7));
            Counted(q, warm, () => Line($"{acc} = {acc} + ({expr}) % 1000;"));
            Line($"print(\"deep\", {acc}, {expr.Replace(q, "3", StringComparison.Ordinal)}, {b}({a}({flipAt + 1}), {a}(2)));");
        });
    }

    /// <summary>An expression nested <paramref name="depth"/> deep: each level an operand (a local, a
    /// small constant) and an operator around the next, with calls of <paramref name="a"/> (whose
    /// result turns float) and <paramref name="b"/> at the bottom and in between.</summary>
    private string DeepExpression(string counter, string[] locals, string a, string b, int depth)
    {
        if (depth == 0) return Chance(0.5) ? $"{a}({counter})" : $"{b}({a}({counter}), {Pick(locals)})";
        string inner = DeepExpression(counter, locals, a, b, depth - 1);
        string operand = Chance(0.3) ? $"{a}({counter} + {depth})" : Chance(0.5) ? Pick(locals) : _random.Next(1, 10).ToString(CultureInfo.InvariantCulture);
        // * only by small operands: the value must stay far from overflow for thousands of iterations.
        string op = Pick(["+", "-", "+", "-", "*"]);
        if (op == "*" && operand == counter) op = "+";
        return Chance(0.5) ? $"{operand} {op} ({inner})" : $"({inner}) {op} {operand}";
    }

    /// <summary>A long loop (entered by on-stack replacement) with locals of every kind live, whose
    /// step turns from an int to a float partway through, through a call result.</summary>
    private Driver OsrLoopDeopt()
    {
        int id = _names++;
        string step = $"step{id}";
        int warm = WarmUp(), flipAt = _random.Next(warm / 2, warm);
        Line($"fn {step}(i) {{ if i < {flipAt} {{ return 2; }} return {Pick(["0.5", "-1.5", "1e300", "2.0"])}; }}");
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", s = $"s{id}", on = $"on{id}", nothing = $"nothing{id}", fl = $"fl{id}", at = $"at{id}";
            Line($"let {s} = \"start\";");
            Line($"let {on} = false;");
            Line($"let {nothing} = none;");
            Line($"let {fl} = 0.25;");
            Line($"let {at} = none;");
            Counted(q, warm, () =>
            {
                Line($"let before = {acc};");
                Line($"{acc} = {acc} + {step}({q});");
                Line($"if {acc} - before != 2 and {at} == none {{");
                Line($"    {at} = {q};");
                Line($"    print(\"switch\", {q}, before, {acc}, {s}, {on}, {nothing}, {fl});");
                Line("}");
                Line($"{fl} = {fl} + 0.125;");
                Line($"{on} = not {on};");
                Line($"if {q} % {_random.Next(300, 900)} == 0 {{ {s} = {s} + \"|\" + str({q}); }}");
            });
            Line($"print(\"osr\", {acc}, {s}, {on}, {nothing}, {fl}, {at});");
        });
    }
}
