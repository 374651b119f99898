using System.Globalization;
using System.Text;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>
/// Writes one random program per (seed, number): the same text on every machine, because the
/// fuzzers' own <see cref="FuzzRandom"/> draws every choice. The programs are aimed at what the
/// JIT optimizes (its kind analysis, register caches, division and modulo by constants, overflow
/// checks, NaN/inf and int-float comparisons, fused compare-and-branch, short-circuit
/// <c>and</c>/<c>or</c>, calls, recursion, globals, on-stack replacement of hot loops, the string
/// collector) and at the optimizing tier's bets (values whose kind changes after a warm-up, branches
/// first taken after thousands of iterations, overflow after a warm-up, deoptimization inside
/// recursion, hot loops and deep expressions: the Speculation part). Every program ends quickly, by construction:
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
public sealed partial class DifferentialProgramGenerator
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

    private const long FunctionBudget = 1500;
    private const long RecursiveBudget = 60;
    private const long ModuleBudget = 12000;

    private readonly FuzzRandom _random;
    private readonly StringBuilder _text = new();
    private double _chaos; // the chance of a deliberate type error in an expression (none in the scenarios' helpers)
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

    private DifferentialProgramGenerator(ulong seed, long index)
    {
        _random = new FuzzRandom(seed, index);
        _chaos = Pick([0.0, 0.0, 0.0, 0.003, 0.01, 0.03]);
    }

    /// <summary>Program number <paramref name="index"/> of the run with <paramref name="seed"/>.</summary>
    public static string Generate(ulong seed, long index)
    {
        var generator = new DifferentialProgramGenerator(seed, index);
        generator.Program(seed, index);
        return generator._text.ToString();
    }

    private void Program(ulong seed, long index)
    {
        Line(string.Create(CultureInfo.InvariantCulture, $"# differential program: seed {seed}, input {index}"));
        // Now and then a step budget that may stop the program part-way: it must stop at the same
        // step, with the same trace, in every tier (docs/security.md, the execution budget).
        if (Chance(0.05)) Line(StepBudget.Header(Chance(0.5) ? _random.Next(0, 3000) : _random.Next(3000, 60000)));
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

        // The scenarios aimed at the optimizing tier: their helper functions now, their drivers below.
        var drivers = PlanScenarios();

        // The top-level code: a few statements (its variables are globals), maybe a hot loop, the
        // scenarios, then probes of every function with arguments of varying kinds.
        // Most drivers run before the random statements, which end many programs with an error.
        StartCodeBlock(inFunction: false, ModuleBudget);
        _scopes.Add([]);
        var late = drivers.Where(_ => Chance(0.3)).ToList();
        foreach (var driver in drivers.Except(late)) driver();
        Statements(_random.Next(2, 6), 0);
        if (Chance(0.4)) HotLoop();
        foreach (var driver in late) driver();
        Probes();
        if (_lateGlobal is not null) Line($"let {_lateGlobal} = {Literal(K.Int)};");
        if (Chance(0.2)) Line($"print({Expr(K.Any, 2)});");
        if (Chance(0.25)) _text.Append(Expr(K.Any, 2)).Append('\n'); // the last item, printed unless none
    }

    private IEnumerable<Var> Visible() => _scopes.SelectMany(s => s).Concat(_globals);

    private void Line(string text) => _text.Append(' ', 4 * _indent).Append(text).Append('\n');

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
