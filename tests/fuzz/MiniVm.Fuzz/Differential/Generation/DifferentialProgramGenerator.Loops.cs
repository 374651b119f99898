namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Loops that end by construction: small ones, ones whose variable changes kind, hot ones (entered by on-stack replacement), and string churn for the collector.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>A loop that ends by construction: its counter, which nothing else writes, steps towards a fixed bound first thing in the body.</summary>
    private void While(int depth)
    {
        int bound = _random.Next(1, _loopDepth == 0 ? 13 : 6);
        if (_multiplier * bound > _maxMultiplier) bound = 2;
        string counter = $"i{_names++}";
        switch (_random.Next(6))
        {
            case 0:
                Line($"let {counter} = {bound};");
                BeginLoop(counter, $"{counter} > 0", $"{counter} = {counter} - 1;");
                break;
            case 1:
                Line($"let {counter} = 0.0;");
                BeginLoop(counter, $"{counter} < {bound}.5", $"{counter} = {counter} + 1.0;", K.Float);
                break;
            case 2:
                Line($"let {counter} = 0;");
                BeginLoop(counter, $"{counter} < {bound} and ({Condition(1)})", $"{counter} = {counter} + 1;");
                break;
            case 3:
                Line($"let {counter} = -{bound * 3};");
                BeginLoop(counter, $"{counter} < 0", $"{counter} = {counter} + 3;");
                break;
            default:
                Line($"let {counter} = 0;");
                BeginLoop(counter, $"{counter} < {bound}", $"{counter} = {counter} + 1;");
                break;
        }
        long saved = _multiplier;
        _multiplier *= bound + 1;
        _cost += _multiplier; // the counter
        Statements(_random.Next(1, 5), depth + 1);
        EndLoop(saved);
    }

    private void BeginLoop(string counter, string condition, string step, K kind = K.Int)
    {
        Line($"while {condition} {{");
        _indent++;
        _scopes.Add([new Var(counter, kind, false, true, _scopes.Count, _loopDepth + 1)]);
        _loopDepth++;
        Line(step);
    }

    private void EndLoop(long savedMultiplier)
    {
        _loopDepth--;
        _scopes.RemoveAt(_scopes.Count - 1);
        _indent--;
        Line("}");
        _multiplier = savedMultiplier;
    }

    /// <summary>A variable whose kind changes as the loop runs: int, then float, then string, then bool.</summary>
    private void MorphLoop()
    {
        int bound = _random.Next(3, 10);
        if (_multiplier * bound > _maxMultiplier) bound = 2;
        var m = Declare(K.Int, Ex.Plain(Chance(0.9) ? SmallInt() : Pick(SpecialInts)), "m", sure: false);
        string counter = $"i{_names++}";
        Line($"let {counter} = 0;");
        long saved = _multiplier;
        BeginLoop(counter, $"{counter} < {bound}", $"{counter} = {counter} + 1;");
        _multiplier *= bound + 1;
        _cost += 3 * _multiplier; // the counter and the phases
        int p1 = _random.Next(1, bound + 1), p2 = _random.Next(p1, bound + 2), p3 = _random.Next(p2, bound + 2);
        string c = counter, n = m.Name;
        Line($"if {c} < {p1} {{");
        Line($"    {n} = {Pick([$"{n} * 3 + {c}", $"{n} + {c}", $"{n} - {c} * 7", $"{n} / 3 + {c}", $"{n} % 5 - {c}", $"-{n} + 1", Chance(0.3) ? $"{n} * {n} + 1" : $"{n} * 2 - {c}", $"abs({n}) + 1", Chance(0.2) ? $"{n} * 4611686018427387904" : $"{n} * -2"])};");
        Line($"}} else if {c} < {p2} {{");
        Line($"    {n} = {Pick([$"{n} / 4.0 - {c}", $"{n} + 0.5", $"{n} * 1.5", $"sqrt(abs({n}))", $"float({n}) / 3", $"{n} - 1e300", $"{n} / 0.0"])};");
        Line($"}} else if {c} < {p3} {{");
        Line($"    {n} = {Pick([$"str({n}) + \"!\"", $"str({n})", $"\"s\" + str({c})"])};");
        Line("} else {");
        Line($"    {n} = {Pick([$"{n} == \"x\"", $"not ({n} == none)", $"{c} > 3"])};");
        Line("}");
        m.Kind = K.Any;
        if (Chance(0.5)) Statements(1, 2);
        if (!_quiet) Line($"print({c}, {n});");
        EndLoop(saved);
        if (!_quiet) Line($"print({n});");
    }

    /// <summary>A loop long enough to get hot (the tiered mode's default threshold is 500), entered by on-stack replacement.</summary>
    private void HotLoop()
    {
        int bound = _random.Next(510, 800);
        if (_multiplier != 1 || _hotLoops >= 2) return;
        _hotLoops++;
        string counter = $"k{_names++}"; // not an i: DepthArgument must not pass it as a recursion depth
        var acc = Declare(Chance(0.7) ? K.Int : K.Float, Ex.Plain(Chance(0.7) ? "0" : "0.0"), "h", sure: false);
        Line($"let {counter} = 0;");
        bool wasQuiet = _quiet;
        _quiet = true;
        long saved = _multiplier, savedBudget = _budget, savedMax = _maxMultiplier;
        BeginLoop(counter, $"{counter} < {bound}", $"{counter} = {counter} + 1;");
        _multiplier = bound;
        _cost += 3 * bound; // the counter and the accumulator
        _maxMultiplier = bound * 3;
        _budget = Math.Max(_budget, _cost + bound * 12);
        string c = counter, a = acc.Name;
        Line($"{a} = {a} + {Pick([$"{c} % 7", $"{c} / 3", $"{c} * {c} % 1000003", $"{c} % -16", $"{c} / -7", $"{c} * 2", "1", $"{c} % 1024 - {c} / 64"])};");
        if (Chance(0.6))
        {
            int switchAt = _random.Next(100, bound + 100);
            Line($"if {c} == {switchAt} {{ {a} = {a} {Pick(["* 1.5", "+ 0.25", "/ 2.0", "- 1e300", Chance(0.2) ? "* 4611686018427387904" : "* 2"])}; }}");
        }
        var cheap = _functions.Where(f => f.Cost <= 40 && !f.Recursive).ToList();
        if (cheap.Count > 0 && Chance(0.6)) // the callee gets hot too, on ints; the probes call it later with other kinds
        {
            var fn = Pick(cheap);
            _cost += bound * fn.Cost;
            _writes.UnionWith(fn.Writes);
            var arguments = fn.Roles.Select(role => role == K.Num ? Pick([c, $"{c} * 0.5", $"{c} - 300", $"{c} % 3"]) : Literal(K.Any));
            Line($"{fn.Name}({string.Join(", ", arguments)});");
        }
        if (Chance(0.3)) Line($"if {c} == {bound} {{ {a} = str({a}); }}"); // the last iteration
        Statements(_random.Next(0, 3), 2);
        EndLoop(saved);
        _budget = savedBudget;
        _maxMultiplier = savedMax;
        _quiet = wasQuiet;
        acc.Kind = K.Any;
        if (!_quiet) Line($"print(\"hot\", {a}, {c});");
    }

    /// <summary>Strings made by the thousand while others stay live in variables and on the operand stack: the collector must see them all.</summary>
    private void StringChurn()
    {
        _churns++;
        var keep = Declare(K.Str, new Ex($"\"keep\" + str({SmallInt()})", true, true), sure: false);
        if (_hasChurn && Chance(0.6))
        {
            int n = _random.Next(2100, 3200);
            Line(Chance(0.5)
                ? $"print({keep.Name} + \"|\", churn({n}), str({SmallInt()}) + {keep.Name}, {keep.Name});"
                : $"let {keep.Name}x = {keep.Name} + churn({n}) + {keep.Name};");
            _cost += 3 * n;
            return;
        }
        int bound = _random.Next(2100, 3200);
        string counter = $"k{_names++}";
        var s = Declare(K.Str, Ex.Bounded("\"\""), "s", sure: false);
        Line($"let {counter} = 0;");
        long saved = _multiplier;
        BeginLoop(counter, $"{counter} < {bound}", $"{counter} = {counter} + 1;");
        Line($"{s.Name} = {Pick([$"str({counter}) + {keep.Name}", $"{keep.Name} + str({counter} * 0.5)", $"str(-{counter}) + \"s\""])};");
        if (Chance(0.5)) Line($"if {counter} % {Pick(["1000", "999", "1024"])} == 0 {{ print({s.Name}, {keep.Name}); }}");
        EndLoop(saved);
        _cost += 3 * bound;
        Line($"print({s.Name}, {keep.Name});");
        s.Kind = K.Str;
    }
}
