namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Scenarios whose bet on a kind fails: parameters (of kind-neutral and of arithmetic
/// functions), call results and globals that change kind after the warm-up.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>A function whose every operation works on ints, floats and strings alike (<c>+</c>,
    /// comparisons, <c>str</c>): warmed up on ints, then called with floats, strings, ints again.</summary>
    private Driver ParameterKindFlip()
    {
        int id = _names++;
        string fn = $"spec{id}";
        PolyFunction(fn, ["x", "y"]);
        int warm = WarmUp();
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", last = $"last{id}";
            Line($"let {last} = none;");
            Counted(q, warm, () => Line($"{last} = {fn}({q}, {q} % 7 - 3);"));
            Line($"print(\"warm {fn}\", {last});");
            Line($"print(\"flip {fn}\", {fn}(2.5, -0.5), {fn}({PickString()}, {PickString()}), {fn}(3, 4));");
            if (Chance(0.5)) // warmed up again on the new kind (a recompile on a wider profile), then the old one
            {
                Counted(q + "b", _random.Next(100, 700), () => Line($"{last} = {fn}({q}b * 0.25, 1.5);"));
                Line($"print(\"again {fn}\", {last}, {fn}(7, 8), {fn}({PickString()}, \"z\"));");
            }
            Line($"{acc} = {fn}(1, 2);");
        });
    }

    /// <summary>Like <see cref="ParameterKindFlip"/>, on a function of arithmetic (ints, then floats, then mixed).</summary>
    private Driver NumericKindFlip()
    {
        int id = _names++;
        string fn = $"num{id}";
        NumericFunction(fn, 2);
        int warm = WarmUp();
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", last = $"last{id}";
            Line($"let {last} = 0;");
            Counted(q, warm, () => Line($"{last} = {fn}({q} % 50 + 1, {q} % 7 + 2);"));
            Line($"print(\"warm {fn}\", {last});");
            Line($"print(\"flip {fn}\", {fn}(2.5, 0.5), {fn}(3, 1.5), {fn}(-7.25, 4), {fn}(5, 6));");
            if (Chance(0.15)) Line($"print(\"odd {fn}\", {fn}({Pick(["true", "none", "\"s\""])}, 1));"); // a type error in compiled code, last
            Line($"{acc} = {fn}(1, 2);");
        });
    }

    /// <summary><c>fn NAME(params)</c> of kind-neutral operations: <c>+</c> of parameters and short
    /// locals, comparisons, <c>str</c>, a three-step loop. Its result has the parameters' kind, or is
    /// always a string, or always a bool.</summary>
    private void PolyFunction(string name, string[] parameters)
    {
        Line($"fn {name}({string.Join(", ", parameters)}) {{");
        _indent++;
        var values = new List<string>(parameters);
        Line($"let t = {PolySum(values)};");
        values.Add("t");
        Line($"let c = {PolyCompare(values)};");
        for (int s = _random.Next(1, 4); s > 0; s--)
        {
            switch (_random.Next(5))
            {
                case 0:
                    Line($"if {PolyCompare(values)} {{");
                    Line($"    t = {PolySum(values)};");
                    Line("}");
                    break;
                case 1:
                    Line($"if c or {PolyCompare(values)} {{ t = {Pick(parameters)}; }} else {{ t = {PolySum(values)}; }}");
                    break;
                case 2:
                {
                    string j = $"j{_names++}";
                    Line($"let {j} = 0;");
                    Line($"while {j} < 3 {{");
                    Line($"    {j} = {j} + 1;");
                    Line($"    t = {Pick(parameters)} + {Pick(parameters)};");
                    Line("}");
                    break;
                }
                case 3:
                    Line($"c = c == ({PolyCompare(values)});");
                    break;
                default:
                    Line($"t = {PolySum(values)};");
                    break;
            }
        }
        Line("return " + _random.Next(5) switch
        {
            < 2 => "t",
            2 => "str(t) + \"/\" + str(c)",
            3 => "c",
            _ => $"t == {parameters[0]}",
        } + ";");
        _indent--;
        Line("}");
    }

    /// <summary>A sum of two or three of <paramref name="values"/>: defined for ints, floats and strings.</summary>
    private string PolySum(IReadOnlyList<string> values)
    {
        string sum = $"{Pick(values)} + {Pick(values)}";
        return Chance(0.3) ? $"({sum}) + {Pick(values)}" : sum;
    }

    private string PolyCompare(IReadOnlyList<string> values) => $"{Pick(values)} {Pick(Comparisons)} {Pick(values)}";

    private string PickString() => Pick(["\"ab\"", "\"\"", "\"x\"", "\"10\"", "\"b a\""]);

    /// <summary><c>fn NAME(a, b, ...)</c> of arithmetic on its parameters (never a print: it runs
    /// thousands of times), registered so the probes at the end call it too.</summary>
    private void NumericFunction(string name, int arity)
    {
        var parameters = Enumerable.Range(0, arity).Select(p => new Var($"a{p}", K.Num, false, true, 0, 0)).ToList();
        string header = $"fn {name}({string.Join(", ", parameters.Select(p => p.Name))}) {{";
        // A budget too small for any call: a callee that prints would print thousands of lines.
        BeginFunction(parameters, K.Num, budget: 1);
        bool wasQuiet = _quiet;
        _quiet = true;
        Line(header);
        _indent++;
        for (int s = _random.Next(1, 4); s > 0; s--)
        {
            var local = Declare(Pick([K.Int, K.Float, K.Num]), Expr(K.Num, 2));
            if (Chance(0.3)) Line($"if {Compare(2)} {{ {local.Name} = {Pick(parameters).Name}; }}");
        }
        Line($"return {Expr(K.Num, 2)};");
        _indent--;
        Line("}");
        _quiet = wasQuiet;
        _functions.Add(new Fn(name, [.. Enumerable.Repeat(K.Num, arity)], K.Num, 12, recursive: false, [.. _writes]));
    }

    /// <summary>A callee that returns ints for thousands of calls (a bet on its result in the compiled
    /// caller, and on its branch in itself), then a float, a string, none or a bool, inside the hot loop.</summary>
    private Driver ResultKindFlip()
    {
        int id = _names++;
        string fn = $"res{id}";
        int warm = WarmUp(), flipAt = _random.Next(warm / 2, warm);
        string late = Pick(["i * 0.5", "i + 0.25", "str(i)", "none", "i > 0", "float(i)", "\"r\" + str(i % 3)"]);
        bool numeric = late is "i * 0.5" or "i + 0.25" or "float(i)";
        Line($"fn {fn}(i) {{");
        Line($"    if i < {flipAt} {{ return i * 3; }}");
        Line($"    return {late};");
        Line("}");
        return () => WriteDriver(id, acc =>
        {
            string q = $"q{id}", odd = $"odd{id}", hits = $"hits{id}";
            Line($"let {odd} = none;");
            Line($"let {hits} = 0;");
            Counted(q, warm, () =>
            {
                if (numeric)
                {
                    // The call in the middle of an expression: the outer operands wait on the operand stack.
                    Line($"{acc} = {acc} + ({q} * 2 - {fn}({q}) * 3) % 1000003;");
                    return;
                }
                Line($"let r = {fn}({q});");
                Line($"if r == {q} * 3 {{ {hits} = {hits} + 1; }} else {{ {odd} = r; }}");
                if (Chance(0.5)) Line($"{acc} = {acc} + {q} % 5;");
            });
            Line($"print(\"{fn}\", {acc}, {hits}, {odd}, {fn}(1), {fn}({flipAt + 5}));");
        });
    }

    /// <summary>A global that functions read (compiled with a bet on its kind) and a hot loop reads,
    /// reassigned with another kind after the warm-up, and inside the loop.</summary>
    private Driver GlobalKindFlip()
    {
        int id = _names++;
        string g = $"glob{id}", arith = $"useg{id}", poly = $"polyg{id}";
        Line($"fn {arith}(i) {{ return {g} * 2 + i; }}");
        Line($"fn {poly}(i) {{");
        Line($"    if {g} == {g} {{ return {g} + {g}; }}"); // nan is not equal to itself
        Line($"    return str({g}) + str(i);");
        Line("}");
        int warm = WarmUp(), flipAt = _random.Next(warm / 2, warm);
        return () =>
        {
            Line($"let {g} = {_random.Next(-5, 50)};"); // at the top level: a global, whatever the driver's place
            WriteDriver(id, acc =>
            {
                string q = $"q{id}";
                Counted(q, warm, () =>
                {
                    Line($"{acc} = {acc} + {arith}({q} % 10);");
                    if (Chance(0.5)) Line($"if {q} == {flipAt} {{ {g} = {Pick(["0.5", "-2.25", "1e16", "(0.0 / 0.0)"])}; }}");
                });
                Line($"print(\"{g}\", {acc}, {g}, {arith}(1), {poly}(2));");
                Line($"{g} = {Pick(["2.5", "-0.0", "7", "1e300"])};");
                Line($"print(\"{g} float\", {arith}(3), {poly}(4));");
                Line($"{g} = {PickString()};");
                Line($"print(\"{g} string\", {poly}(5), {g} == \"ab\");");
                Line($"{g} = {_random.Next(0, 9)};");
                Line($"print(\"{g} int\", {arith}(6), {poly}(7));");
                if (Chance(0.1)) { Line($"{g} = none;"); Line($"print({arith}(8));"); } // a type error in compiled code, last
            });
        };
    }
}
