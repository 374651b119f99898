using System.Globalization;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>
/// Scenarios aimed at the optimizing tier. The tiered mode compiles a function once its calls
/// and loop iterations pass the threshold, betting on its profile: the kinds of its parameters,
/// call results and global loads, and branches that only ever went one way. So each scenario
/// first warms a site up with one kind or one direction for more iterations than the default
/// threshold (500), quietly, and then breaks the bet: a parameter, call result or global changes
/// kind (int → float → string, and back), a branch is taken for the first time, an int overflows.
/// The bet fails in compiled callees, inside recursion (compiled frames below and above), inside
/// hot loops (entered by on-stack replacement) with locals of every kind live, and in the middle
/// of deep expressions with the outer operands on the operand stack. Every scenario prints what it
/// computed, so a frame rebuilt wrongly shows.
/// <para>Each scenario writes its helper functions in the function section (<see cref="PlanScenarios"/>)
/// and returns the driver, written later in the top-level code (at the top level, in an
/// <c>if true</c> block, or in a function called once). Loops still end by construction: every
/// one counts to a literal bound, and the helpers have no loops of their own beyond three steps.
/// String operands stay short (literals, values of a few concatenations), so a scenario's strings
/// cannot grow with its iterations.</para>
/// </summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>A driver written later, in the top-level code.</summary>
    private delegate void Driver();

    /// <summary>Iterations of a warm-up: past the default threshold of the tiered mode (500), so every
    /// tiered mode compiles with a profile before the bet fails.</summary>
    private int WarmUp() => _random.Next(600, 2400);

    /// <summary>Writes the helper functions of zero to three scenarios; returns their drivers.</summary>
    private List<Driver> PlanScenarios()
    {
        var drivers = new List<Driver>();
        int count = Chance(0.2) ? 0 : _random.Next(1, 4);
        double savedChaos = _chaos;
        _chaos = 0; // a type error in a helper would end the program in the first warm-up iteration
        for (int i = 0; i < count; i++)
        {
            drivers.Add(_random.Next(9) switch
            {
                0 => ParameterKindFlip(),
                1 => ResultKindFlip(),
                2 => GlobalKindFlip(),
                3 => LateBranch(),
                4 => OverflowAfterWarmUp(),
                5 => DeoptInRecursion(),
                6 => DeepExpressionDeopt(),
                7 => OsrLoopDeopt(),
                _ => NumericKindFlip(),
            });
        }
        _chaos = savedChaos;
        return drivers;
    }

    // ----- parameters -----

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

    // ----- call results and globals -----

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

    // ----- branches and overflow -----

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

    // ----- deoptimization with frames and values in the way -----

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

    // ----- drivers -----

    /// <summary>
    /// Writes a driver: at the top level, in an <c>if true</c> block, or in a function called once (its
    /// loops then run in that function's frame, still entered by on-stack replacement in the tiered
    /// mode). <paramref name="body"/> gets the name of an accumulator, an int 0 at the start, and
    /// writes the lines.
    /// </summary>
    private void WriteDriver(int id, Action<string> body)
    {
        string acc = $"acc{id}";
        int place = _random.Next(10);
        if (place < 4)
        {
            Line($"let {acc} = 0;");
            body(acc);
            return;
        }
        if (place < 6)
        {
            Line("if true {");
            _indent++;
            Line($"let {acc} = 0;");
            body(acc);
            _indent--;
            Line("}");
            return;
        }
        string drive = $"drive{id}";
        Line($"fn {drive}() {{");
        _indent++;
        Line($"let {acc} = 0;");
        body(acc);
        Line($"return {acc};");
        _indent--;
        Line("}");
        Line($"print(\"{drive}\", {drive}());");
    }

    /// <summary><c>while q &lt; n { q = q + 1; ... }</c>: a counter nothing else writes, stepped first.</summary>
    private void Counted(string counter, int bound, Action body)
    {
        Line($"let {counter} = 0;");
        Line($"while {counter} < {bound} {{");
        _indent++;
        Line($"{counter} = {counter} + 1;");
        body();
        _indent--;
        Line("}");
    }
}
