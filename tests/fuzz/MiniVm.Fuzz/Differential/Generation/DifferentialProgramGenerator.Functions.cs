using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Functions (plain and recursive), the code-block state they start with, and the probes that call them at the end.</summary>
public sealed partial class DifferentialProgramGenerator
{
    private void Function()
    {
        int index = _functions.Count;
        int arity = _random.Next(1, 4);
        var roles = new K[arity];
        var parameters = new List<Var>();
        for (int p = 0; p < arity; p++)
        {
            roles[p] = Chance(0.75) ? K.Num : K.Any;
            parameters.Add(new Var($"p{p}", roles[p], true, false, 0, 0));
        }
        K returns = Pick([K.Num, K.Num, K.Int, K.Float, K.Any, K.Str, K.None]);
        BeginFunction(parameters, returns, FunctionBudget);
        Line($"fn f{index}({string.Join(", ", parameters.Select(p => p.Name))}) {{");
        _indent++;
        if (_lateGlobal is not null && Chance(0.5)) Line($"print(\"late\", {_lateGlobal});");
        bool ended = Statements(_random.Next(2, 7), 0);
        if (!ended && (returns != K.None || Chance(0.5))) Line(returns == K.None ? "return;" : $"return {Expr(returns, 3)};");
        _indent--;
        Line("}");
        _functions.Add(new Fn($"f{index}", roles, returns, _cost + 2, recursive: false, [.. _writes]));
    }

    /// <summary><c>fn rN(n, a)</c>: returns when n ≤ 0, else calls itself with n - 1 (callers pass a small n).</summary>
    private void RecursiveFunction()
    {
        int index = _functions.Count;
        // n is compared with a number before anything else, so past that it is a number: sure.
        var parameters = new List<Var> { new("n", K.Num, false, true, 0, 0), new("a", Chance(0.7) ? K.Num : K.Any, true, false, 0, 0) };
        K returns = parameters[1].Kind == K.Num ? K.Num : K.Any;
        BeginFunction(parameters, returns, RecursiveBudget);
        _maxMultiplier = 12;
        string name = $"r{index}";
        int start = _text.Length;
        Line($"fn {name}(n, a) {{");
        _indent++;
        Line(Pick(["if n <= 0 {", "if n < 1 {", "if not (n > 0) {", "if n <= 0 or n > 40 {"]));
        Line($"    return {(Chance(0.8) ? "a" : Expr(returns, 2).Text)};");
        Line("}");
        Statements(_random.Next(0, 3), 0, allowReturn: false);
        long churn = 0;
        if (_hasChurn && Chance(0.3)) // once per chain of calls, at some depth: the collector must see every frame's strings
        {
            int n = _random.Next(2100, 3000);
            Line($"if n == {_random.Next(1, 20)} {{ print(\"churned\", churn({n})); }}");
            churn = 3 * n;
        }
        string argument = returns == K.Num
            ? Pick(["a + n", "a * 2 - n", "a + n / 3", "a - 0.5", "a + n % 4", $"a + {Operand(K.Num, 1, allowLong: false)}"])
            : Pick(["a", "str(a) + \"/\"", "n", Expr(K.Any, 1, allowLong: false).Text]);
        switch (_random.Next(3))
        {
            case 0:
                Line($"return {name}(n - 1, {argument});");
                break;
            case 1:
                Line($"let r = {name}(n - 1, {argument});");
                if (Chance(0.3)) Line("print(n, r);");
                Line($"return {(returns == K.Num ? Pick(["r + n", "r - a", "r * 1", "r / 2 + n", "max(r, a)"]) : Pick(["r", "str(r) + str(n)"]))};");
                break;
            default:
                if (returns == K.Num) Line($"if n % 2 == 0 {{ return {name}(n - 1, {argument}) + 1; }}");
                Line($"return {name}(n - 1, {argument});");
                break;
        }
        _indent--;
        Line("}");
        // A quiet recursion (no prints, no other calls, no global written, a number passed down) may go
        // 10,000 deep; the others are charged as if they printed a lot. A global or an argument that
        // gains a few characters per activation is linear in the depth, but building it is quadratic:
        // 10,000 deep, a gigabyte of strings per mode (a long run found that).
        string body = _text.ToString(start, _text.Length - start);
        bool quiet = !body.Contains("print(", StringComparison.Ordinal) && !Regex.IsMatch(body, @"\b(f\d+|churn)\(")
            && _writes.Count == 0 && returns == K.Num;
        _functions.Add(new Fn(name, [K.Int, parameters[1].Kind], returns, 31 * (_cost + 4) + churn, recursive: true, [.. _writes], perCall: quiet ? _cost + 4 : 1000));
    }

    /// <summary>The state every code block (a function or the top level) starts its generation with.</summary>
    private void StartCodeBlock(bool inFunction, long budget)
    {
        _inFunction = inFunction;
        _budget = budget;
        _maxMultiplier = 200;
        _cost = 0;
        _multiplier = 1;
        _loopDepth = 0;
        _scopes.Clear();
    }

    private void BeginFunction(List<Var> parameters, K returns, long budget)
    {
        StartCodeBlock(inFunction: true, budget);
        _returns = returns;
        _writes.Clear();
        _scopes.Add(parameters);
    }

    /// <summary><c>fn churn(n)</c>: makes 2n strings, enough to run the string collector (every 4,096 new strings).</summary>
    private void ChurnFunction()
    {
        _hasChurn = true;
        Line("fn churn(n) {");
        Line("    let s = \"\";");
        Line("    let j = 0;");
        Line("    while j < n {");
        Line("        j = j + 1;");
        Line($"        s = {Pick(["str(j) + \"c\"", "\"c\" + str(j * 3)", "str(j + 0.5) + str(j)"])};");
        Line("    }");
        Line("    return s;");
        Line("}");
    }

    /// <summary>Calls of every function, first with ints, then with other kinds; an odd one last (it may stop the program).</summary>
    private void Probes()
    {
        foreach (var fn in _functions)
        {
            int calls = _random.Next(1, 4);
            for (int c = 0; c < calls && _cost + fn.Cost <= _budget * 2; c++)
            {
                K style = c == 0 ? K.Int : Pick([K.Int, K.Float, K.Num, K.Any]);
                Line($"print(\"{fn.Name}\", {Call(fn, style)});");
                _cost += fn.Cost;
            }
        }
        var recursive = _functions.Where(f => f.Recursive && f.PerCall <= 10).ToList();
        if (recursive.Count > 0 && Chance(0.04)) // deeper than the call depth limit: the same error and trace everywhere
            Line($"print(\"deep\", {Pick(recursive).Name}(20000, 0));");
        if (recursive.Count > 0 && Chance(0.15)) // deep enough for frames to fill the first stack segment and start others
            Line($"print(\"deeper\", {Pick(recursive).Name}({_random.Next(150, 450)}, {Pick(["0", "\"s\"", "0.5", "-7"])}));");
        if (_functions.Count > 0 && Chance(0.6))
        {
            var fn = Pick(_functions);
            Line($"print(\"odd\", {Call(fn, K.Any, odd: true)});");
        }
    }

    /// <summary>A call of <paramref name="fn"/> with literal arguments of the kinds <paramref name="style"/> asks for.</summary>
    private string Call(Fn fn, K style, bool odd = false)
    {
        var arguments = new List<string>();
        for (int p = 0; p < fn.Roles.Length; p++)
        {
            if (fn.Recursive && p == 0)
            {
                arguments.Add(odd && Chance(0.5) ? Pick(["\"5\"", "none", "true", "2.5", "-3"]) : DepthArgument());
                continue;
            }
            K kind = odd ? Pick([K.Str, K.Bool, K.None, K.Int, K.Float]) : fn.Roles[p] == K.Any ? K.Any : style == K.Any ? K.Num : style;
            arguments.Add(odd && kind == K.Int ? Pick(SpecialInts) : Literal(kind));
        }
        return $"{fn.Name}({string.Join(", ", arguments)})";
    }

    /// <summary>A recursion depth: a small literal or a small loop counter; never anything that could be large or nan.</summary>
    private string DepthArgument()
    {
        var counters = Visible().Where(v => !v.Assignable && v.Kind == K.Int && v.Name.StartsWith('i')).ToList();
        if (counters.Count > 0 && Chance(0.3)) return Pick(counters).Name;
        if (Chance(0.1)) return Pick(["2.5", "0.5", "-1", "0", "30"]);
        if (Chance(_chaos * 4)) return Pick(["\"3\"", "none", "false"]);
        return _random.Next(0, 31).ToString(CultureInfo.InvariantCulture);
    }
}
