using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace MiniVm.Tests;

/// <summary>
/// Differential testing of the tiers: a seeded generator (<see cref="DifferentialProgramGenerator"/>)
/// writes small random programs aimed at what the JIT optimizes (its kind analysis, register
/// caches, division and modulo by constants, overflow checks, NaN/inf and int-float comparisons,
/// fused compare-and-branch, short-circuit <c>and</c>/<c>or</c>, calls, recursion, globals,
/// on-stack replacement of hot loops, the string collector), and every program must give the
/// same stdout, stderr (the error and its stack trace) and exit code in every tier of
/// <see cref="ProgramCorpusTests.Tiers"/>, and in the interpreter without its superinstructions,
/// as in the interpreter. Run-time errors (type errors, division by zero, overflow, the call depth
/// limit) are expected: every tier must report the same one with the same trace.
/// <para>
/// Program <c>n</c> is <c>DifferentialProgramGenerator.Generate(BaseSeed + n)</c>, the same text
/// on every machine; a failure's message names n and the seed and holds the whole program, to
/// save under <c>tests/programs/</c> as a regression test. A run checks programs
/// 0 .. <see cref="DefaultProgramCount"/> - 1 (about 11 s in a Debug build on two cores). For a long run by hand, the
/// environment variable <c>MINIVM_DIFF_PROGRAMS</c> sets the count and <c>MINIVM_DIFF_FIRST</c>
/// the first n (default 0), e.g.
/// <c>MINIVM_DIFF_PROGRAMS=100000 dotnet test tests/MiniVm.Tests --filter "FullyQualifiedName~JitDifferential"</c>
/// (20,000 programs take about 4 minutes on two cores).
/// </para>
/// </summary>
public sealed class JitDifferentialTests(ITestOutputHelper output)
{
    public const int BaseSeed = 20_260_000;
    public const int DefaultProgramCount = 800;
    public const string CountVariable = "MINIVM_DIFF_PROGRAMS";
    public const string FirstVariable = "MINIVM_DIFF_FIRST";

    private const string SourceName = "diff.expr";
    private const string PlainInterpreter = "interpreter-without-superinstructions";

    [Fact]
    public void GeneratedProgramsBehaveAlikeInEveryTier()
    {
        int first = ReadCount(FirstVariable, 0, allowZero: true);
        int count = ReadCount(CountVariable, DefaultProgramCount, allowZero: false);
        var modes = ProgramCorpusTests.Tiers.Skip(1)
            .Select(t => (t.Name, Run: (Func<string, ProgramOutcome>)(source => ProgramRunner.Run(source, SourceName, t.Options()))))
            .Append((PlainInterpreter, source => ProgramRunner.Run(source, SourceName, new MiniVmOptions { Tier = MiniVmTier.Interpreter }, specialize: false)))
            .ToList();
        var failures = new List<string>();
        int completed = 0, runtimeErrors = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int n = first; n < first + count && failures.Count < 3; n++)
        {
            int seed = BaseSeed + n;
            string source = DifferentialProgramGenerator.Generate(seed);
            var expected = Outcome(() => ProgramRunner.Run(source, SourceName, ProgramCorpusTests.Tiers[0].Options()));
            if (expected.ExitCode is 2 or -1)
            {
                failures.Add(Describe(n, seed, ProgramCorpusTests.Tiers[0].Name, source, expected, null));
                continue;
            }
            if (expected.ExitCode == 0) completed++;
            else runtimeErrors++;
            foreach (var (name, run) in modes)
            {
                var actual = Outcome(() => run(source));
                if (actual == expected) continue;
                failures.Add(Describe(n, seed, name, source, expected, actual));
                break;
            }
        }
        output.WriteLine($"programs {first}..{first + count - 1}: {completed} ran to the end, {runtimeErrors} stopped at a run-time error, " +
            $"{failures.Count} failed; {1 + modes.Count} modes each, {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(failures.Count == 0, string.Join("\n\n==========\n\n", failures));
        // The generator must keep exercising both sides: programs that finish and programs that fail.
        int ran = completed + runtimeErrors;
        if (ran < 100) return;
        Assert.True(completed * 4 >= ran, $"only {completed} of {ran} programs ran to the end: the generator is too hostile");
        Assert.True(runtimeErrors * 10 >= ran, $"only {runtimeErrors} of {ran} programs stopped at a run-time error: the generator is too tame");
    }

    [Fact]
    public void TheGeneratorIsReproducible()
    {
        for (int seed = BaseSeed; seed < BaseSeed + 20; seed++)
            Assert.Equal(DifferentialProgramGenerator.Generate(seed), DifferentialProgramGenerator.Generate(seed));
        Assert.NotEqual(DifferentialProgramGenerator.Generate(BaseSeed), DifferentialProgramGenerator.Generate(BaseSeed + 1));
    }

    /// <summary>What a run gave; an exception that is not the program's own error (a crash of the host) as exit code -1.</summary>
    private static ProgramOutcome Outcome(Func<ProgramOutcome> run)
    {
        try
        {
            return run();
        }
        catch (Exception e)
        {
            return new ProgramOutcome("", $"<host exception> {e}", -1);
        }
    }

    private static int ReadCount(string variable, int fallback, bool allowZero)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        Assert.True(int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && (allowZero || value > 0),
            $"{variable} must be a {(allowZero ? "non-negative" : "positive")} integer, not '{text}'");
        return value;
    }

    private static string Describe(int n, int seed, string tier, string source, ProgramOutcome expected, ProgramOutcome? actual)
    {
        var text = new StringBuilder();
        if (actual is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"program {n} (seed {seed}): the {tier} {(expected.ExitCode == 2 ? "cannot compile it (a generator bug)" : "crashed")}\n{expected.Stderr}\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"program {n} (seed {seed}): tier '{tier}' differs from the interpreter\n");
            if (expected.ExitCode != actual.ExitCode) text.Append(CultureInfo.InvariantCulture, $"exit code: expected {expected.ExitCode}, got {actual.ExitCode}\n");
            if (expected.Stderr != actual.Stderr) text.Append(CultureInfo.InvariantCulture, $"stderr expected:\n{expected.Stderr}\nstderr got:\n{actual.Stderr}\n");
            if (expected.Stdout != actual.Stdout)
            {
                string[] e = expected.Stdout.Split('\n'), a = actual.Stdout.Split('\n');
                int line = 0;
                while (line < e.Length && line < a.Length && e[line] == a[line]) line++;
                text.Append(CultureInfo.InvariantCulture, $"stdout differs first at line {line + 1}: expected '{(line < e.Length ? e[line] : "<end>")}', got '{(line < a.Length ? a[line] : "<end>")}'\n");
                text.Append(CultureInfo.InvariantCulture, $"stdout expected:\n{Clip(expected.Stdout)}\nstdout got:\n{Clip(actual.Stdout)}\n");
            }
        }
        text.Append(CultureInfo.InvariantCulture, $"--- program {n} (DifferentialProgramGenerator.Generate({seed})) ---\n").Append(source);
        return text.ToString();
    }

    private static string Clip(string text) => text.Length <= 4000 ? text : text[..4000] + "\n<... clipped>";
}

/// <summary>
/// Writes one random program per seed (the same text for the same seed on every machine:
/// <see cref="Random"/> with a seed is stable). Every program ends quickly, by construction:
/// <list type="bullet">
/// <item>every loop steps a counter that nothing else writes towards a fixed bound, first thing in its body;</item>
/// <item>a function calls only functions declared above it, and a recursive function counts its first
/// argument (a literal 0..30, a loop counter, or something that is not a number and fails at once) down
/// to 0; only the probes at the end go deeper (150..450, or past the call depth limit for a recursion
/// that does not print);</item>
/// <item>an estimate of the work done (loop bounds × statements × callees' work) keeps loops of calls small;</item>
/// <item>no string can grow faster than by a constant per statement run: no <c>+</c> has two operands that
/// may both be long strings (variables are one unless they can never hold a string).</item>
/// </list>
/// Programs print often, so any difference shows.
/// </summary>
internal sealed class DifferentialProgramGenerator
{
    private enum K { Int, Float, Num, Bool, Str, None, Any }

    /// <summary>A variable. <see cref="Sure"/>: it never holds a string (everything ever assigned to it is a number, bool or none, or fails).</summary>
    private sealed class Var(string name, K kind, bool assignable, bool sure, int blockDepth, int loopDepth)
    {
        public string Name { get; } = name;
        public K Kind { get; set; } = kind;
        public bool Assignable { get; } = assignable;
        public bool Sure { get; } = sure;
        public int BlockDepth { get; } = blockDepth;
        public int LoopDepth { get; } = loopDepth;
    }

    /// <summary>A function. <see cref="Roles"/>: per parameter, Num (used as a number) or Any;
    /// <see cref="Cost"/>: estimated statements run per call; <see cref="PerCall"/>: a recursive
    /// function's per activation (large when it prints or calls others); <see cref="Writes"/>: the
    /// globals it may assign, itself or through its callees.</summary>
    private sealed class Fn(string name, K[] roles, K returns, long cost, bool recursive, HashSet<string> writes, long perCall = 0)
    {
        public string Name { get; } = name;
        public K[] Roles { get; } = roles;
        public K Returns { get; } = returns;
        public long Cost { get; } = cost;
        public bool Recursive { get; } = recursive;
        public HashSet<string> Writes { get; } = writes;
        public long PerCall { get; } = perCall;
    }

    /// <summary>Generated expression text. <see cref="MayStr"/>: it may be a string; <see cref="Long"/>: it may be a string of unbounded length.</summary>
    private readonly record struct Ex(string Text, bool MayStr, bool Long)
    {
        public override string ToString() => Text;
        public static Ex Plain(string text) => new(text, false, false);
        public static Ex Bounded(string text) => new(text, true, false);
    }

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

    private const long FunctionBudget = 1500;
    private const long RecursiveBudget = 60;
    private const long ModuleBudget = 12000;

    private readonly Random _random;
    private readonly StringBuilder _text = new();
    private readonly double _chaos;
    private readonly List<Fn> _functions = [];
    private readonly List<Var> _globals = [];
    private readonly List<List<Var>> _scopes = [];
    private readonly HashSet<string> _writes = []; // globals the function being written assigns
    private string? _lateGlobal;
    private int _names;
    private int _indent;
    private int _loopDepth;
    private long _multiplier = 1;
    private long _maxMultiplier = 200;
    private long _cost;
    private long _budget;
    private bool _inFunction;
    private K _returns;
    private bool _quiet; // inside a hot loop: no prints of its own
    private int _hotLoops;
    private bool _hasChurn;
    private int _churns;
    private bool _blockEnded; // a return was the last statement: the rest of the block would be dead

    private DifferentialProgramGenerator(int seed)
    {
        _random = new Random(seed);
        _chaos = Pick([0.0, 0.0, 0.0, 0.003, 0.01, 0.03]);
    }

    /// <summary>The program for <paramref name="seed"/>.</summary>
    public static string Generate(int seed)
    {
        var generator = new DifferentialProgramGenerator(seed);
        generator.Program(seed);
        return generator._text.ToString();
    }

    // ----- the program -----

    private void Program(int seed)
    {
        Line($"# JitDifferentialTests, seed {seed}");
        int globals = _random.Next(1, 4);
        for (int g = 0; g < globals; g++)
        {
            K kind = Pick([K.Int, K.Int, K.Int, K.Float, K.Str, K.Bool]);
            var global = new Var($"g{g}", kind, true, false, 0, 0);
            Line($"let {global.Name} = {Literal(kind)};");
            _globals.Add(global);
        }
        if (Chance(0.08)) _lateGlobal = "late"; // read by a function before its `let` runs

        if (Chance(0.3)) ChurnFunction();
        int functions = _random.Next(1, 5);
        for (int f = 0; f < functions; f++)
        {
            if (Chance(0.35)) RecursiveFunction();
            else Function();
        }

        // The top-level code: a few statements (its variables are globals), maybe a hot loop, then
        // probes of every function with arguments of varying kinds.
        StartCodeBlock(inFunction: false, ModuleBudget);
        _scopes.Add([]);
        Statements(_random.Next(2, 6), 0);
        if (Chance(0.4)) HotLoop();
        Probes();
        if (_lateGlobal is not null) Line($"let {_lateGlobal} = {Literal(K.Int)};");
        if (Chance(0.2)) Line($"print({Expr(K.Any, 2)});");
        if (Chance(0.25)) _text.Append(Expr(K.Any, 2)).Append('\n'); // the last item, printed unless none
    }

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
        // A quiet recursion (no prints, no other calls) may go 10,000 deep; the others are charged as if they printed a lot.
        string body = _text.ToString(start, _text.Length - start);
        bool quiet = !body.Contains("print(", StringComparison.Ordinal) && !Regex.IsMatch(body, @"\b(f\d+|churn)\(");
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

    // ----- statements -----

    /// <summary>Up to <paramref name="count"/> statements; stops after a return. Returns whether the block ended in a return.</summary>
    private bool Statements(int count, int depth, bool allowReturn = true)
    {
        for (int s = 0; s < count && !_blockEnded; s++) Statement(depth, allowReturn);
        bool ended = _blockEnded;
        _blockEnded = false;
        return ended;
    }

    private void Statement(int depth, bool allowReturn = true)
    {
        int choice = _random.Next(100);
        if (choice < 14) Let();
        else if (choice < 25) Assign();
        else if (choice < 35) RegisterShape();
        else if (choice < 43) Print();
        else if (choice < 53 && depth < 3) If(depth);
        else if (choice < 61 && depth < 3 && _loopDepth < 2) While(depth);
        else if (choice < 66 && depth < 2 && _loopDepth < 2) MorphLoop();
        else if (choice < 72) DivisionStress();
        else if (choice < 77) ComparisonStress();
        else if (choice < 81) GlobalWrite();
        else if (choice < 87) CallStatement();
        else if (choice < 90) GlobalAcrossCall();
        else if (choice < 94 && _loopDepth > 0) Line($"if {Condition(1)} {{ {(Chance(0.5) ? "break" : "continue")}; }}");
        else if (choice < 97 && _inFunction && depth > 0 && allowReturn)
        {
            Line($"return {Expr(_returns, 2)};");
            _blockEnded = true;
        }
        else if (choice < 98 && _inFunction && _loopDepth == 0 && depth == 0 && _budget == FunctionBudget) HotLoop();
        else if (choice < 99 && _multiplier == 1 && !_quiet && _churns < 2 && _budget >= FunctionBudget) StringChurn();
        else Print();
        _cost += _multiplier;
    }

    private void Let()
    {
        K kind = Pick([K.Int, K.Int, K.Int, K.Float, K.Float, K.Num, K.Bool, K.Str, K.Any]);
        Declare(kind, Expr(kind, 3));
    }

    private Var Declare(K kind, Ex value, string prefix = "v", bool? sure = null)
    {
        var v = new Var($"{prefix}{_names++}", kind, true, sure ?? (!value.MayStr && Chance(0.85)), _scopes.Count - 1, _loopDepth);
        Line($"let {v.Name} = {value};");
        _scopes[^1].Add(v);
        return v;
    }

    private static Ex Use(Var v) => new(v.Name, !v.Sure, !v.Sure);

    private void Assign()
    {
        var targets = Visible().Where(v => v.Assignable).ToList();
        if (targets.Count == 0)
        {
            Let();
            return;
        }
        var target = Pick(targets);
        K kind = target.Kind is K.Any ? Pick([K.Int, K.Float, K.Str]) : target.Kind;
        if (Chance(0.2)) kind = Morph(kind); // the variable changes kind: int -> float -> string -> bool
        if (target.Sure && kind == K.Str) kind = K.Bool;
        Ex value = Chance(0.5) && IsNumber(kind) && IsNumber(target.Kind)
            ? Binary(Use(target), UpdateOperator(["+", "-", "*", "/", "%"]), kind, 2)
            : Expr(kind, 3);
        if (target.Sure && value.MayStr) value = Ex.Plain(Literal(IsNumber(kind) ? kind : K.Int));
        Line($"{target.Name} = {value};");
        SetKind(target, kind);
    }

    /// <summary>The operator of <c>x = x op e</c>: in a loop (or, for a global, anywhere) a product would soon overflow, so mostly not <c>*</c>.</summary>
    private string UpdateOperator(string[] operators, bool always = false)
    {
        string op = Pick(operators);
        return op == "*" && (always || _multiplier > 1) && Chance(0.8) ? Pick(["+", "-"]) : op;
    }

    private static bool IsNumber(K kind) => kind is K.Int or K.Float or K.Num;

    private static K Morph(K kind) => kind switch
    {
        K.Int => K.Float,
        K.Float or K.Num => K.Str,
        K.Str => K.Bool,
        _ => K.Int,
    };

    private void SetKind(Var v, K kind)
    {
        if (v.Kind == kind) return;
        bool sameBlock = v.BlockDepth == _scopes.Count - 1 && v.LoopDepth == _loopDepth && !_globals.Contains(v);
        v.Kind = sameBlock ? kind : K.Any;
    }

    /// <summary>The shapes of the interpreter's superinstructions and the JIT's register caches: <c>d = a op b</c>, <c>x = x op c</c>.</summary>
    private void RegisterShape()
    {
        var numbers = Visible().Where(v => IsNumber(v.Kind)).ToList();
        var targets = numbers.Where(v => v.Assignable).ToList();
        if (targets.Count == 0)
        {
            Declare(K.Int, Ex.Plain(SmallInt()));
            return;
        }
        var target = Pick(targets);
        string op = Pick(["+", "-", "*", "+", "-"]);
        switch (_random.Next(4))
        {
            case 0:
            {
                Var a = Pick(numbers), b = Pick(numbers);
                if (op == "+" && !(a.Sure || b.Sure)) op = Pick(["-", "*"]); // two strings could double
                Line($"{target.Name} = {a.Name} {op} {b.Name};");
                SetKind(target, Join(target.Kind, Join(a.Kind, b.Kind)));
                break;
            }
            case 1:
                Line($"{target.Name} = {target.Name} {UpdateOperator([op])} {SmallNumber()};");
                break;
            case 2:
                Line($"{target.Name} = {target.Name} {Pick(["/", "%"])} {Divisor()};");
                break;
            default:
            {
                var a = Pick(numbers);
                var fresh = Declare(a.Kind, Binary(Use(a), op, K.Num, 0, right: SmallNumber()));
                if (op == "+" && !(a.Sure || fresh.Sure)) op = "*";
                Line($"{fresh.Name} = {fresh.Name} {op} {a.Name};");
                if (!_quiet) Line($"print({fresh.Name}, {a.Name});");
                break;
            }
        }
    }

    private static K Join(K a, K b) => a == b ? a : IsNumber(a) && IsNumber(b) ? K.Num : K.Any;

    private void Print()
    {
        if (_quiet) return;
        int count = Chance(0.03) ? 0 : _random.Next(1, 5); // print() writes an empty line
        var values = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var visible = Visible().ToList();
            values.Add(visible.Count > 0 && Chance(0.5) ? Pick(visible).Name : Expr(K.Any, 3).Text);
        }
        Line($"print({string.Join(", ", values)});");
    }

    private void If(int depth)
    {
        Line($"if {Condition(3)} {{");
        Block(depth, _random.Next(1, 4));
        while (true)
        {
            int form = _random.Next(3);
            if (form == 0)
            {
                Line("}");
                return;
            }
            if (form == 1)
            {
                Line("} else {");
                Block(depth, _random.Next(1, 3));
                Line("}");
                return;
            }
            Line($"}} else if {Condition(2)} {{");
            Block(depth, _random.Next(1, 3));
        }
    }

    private void Block(int depth, int statements)
    {
        _indent++;
        _scopes.Add([]);
        Statements(statements, depth + 1);
        _scopes.RemoveAt(_scopes.Count - 1);
        _indent--;
    }

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

    private void GlobalWrite()
    {
        if (_globals.Count == 0) return;
        var g = Pick(_globals);
        K kind = g.Kind == K.Any ? K.Num : g.Kind;
        if (Chance(0.1)) kind = Morph(kind);
        Ex value = IsNumber(kind) && Chance(0.6) ? Binary(Use(g), UpdateOperator(["+", "-", "*"], always: true), kind, 1) : Expr(kind, 2);
        Line($"{g.Name} = {value};");
        _writes.Add(g.Name);
        if (kind != g.Kind) g.Kind = K.Any;
    }

    private void CallStatement()
    {
        var callable = _functions.Where(f => _cost + _multiplier * f.Cost <= _budget).ToList();
        if (callable.Count == 0)
        {
            Print();
            return;
        }
        var fn = Pick(callable);
        _cost += _multiplier * fn.Cost;
        _writes.UnionWith(fn.Writes);
        string call = Call(fn, Pick([K.Int, K.Float, K.Num, K.Num]));
        if (Chance(0.5)) Line($"{call};");
        else
        {
            var v = Declare(fn.Returns, new Ex(call, true, true));
            if (!_quiet) Line($"print({v.Name});");
        }
    }

    /// <summary>A global read before and after a call that writes it: nothing may keep the old value in a register.</summary>
    private void GlobalAcrossCall()
    {
        var callable = _functions.Where(f => f.Writes.Count > 0 && _cost + _multiplier * f.Cost <= _budget).ToList();
        if (callable.Count == 0 || _quiet)
        {
            GlobalWrite();
            return;
        }
        var fn = Pick(callable);
        _cost += _multiplier * fn.Cost;
        _writes.UnionWith(fn.Writes);
        string written = Pick(fn.Writes.Order(StringComparer.Ordinal).ToList());
        var g = _globals.First(v => v.Name == written);
        var before = Declare(K.Any, Ex.Plain(g.Name), sure: false);
        if (Chance(0.5)) Line($"print({g.Name}, {g.Name} == {before.Name});");
        string call = Call(fn, Pick([K.Int, K.Float, K.Num]));
        // The global read before the call in the same statement (print's first argument, a comparison's left
        // side) is the old value: compiled code must not read it from the global after the call.
        Line(_random.Next(4) switch
        {
            0 => $"{call};",
            1 => $"print({call}, {g.Name});",
            2 => $"print({g.Name}, {call}, {g.Name});",
            _ => $"print({g.Name} == {call}, {g.Name} != {g.Name});",
        });
        Line($"print({before.Name}, {g.Name}, {before.Name} == {g.Name});");
        g.Kind = K.Any;
    }

    // ----- expressions -----

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

    // ----- helpers -----

    private IEnumerable<Var> Visible() => _scopes.SelectMany(s => s).Concat(_globals);

    private void Line(string text) => _text.Append(' ', 4 * _indent).Append(text).Append('\n');

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
