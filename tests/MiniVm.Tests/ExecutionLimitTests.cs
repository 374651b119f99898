namespace MiniVm.Tests;

/// <summary>
/// The limits a host sets and a script cannot escape, in every tier: a budget of steps (calls
/// plus loop iterations) that stops a run at the same step everywhere, and a cancellation token
/// that stops a runaway loop, compiled or not. (The call depth limit has its own tests in JitTests
/// and the corpus.)
/// </summary>
public sealed class ExecutionLimitTests
{
    public static TheoryData<string> Modes() => new(ProgramCorpusTests.Tiers.Select(t => t.Name));

    private static MiniVmOptions OptionsFor(string mode) => ProgramCorpusTests.Tiers.Single(t => t.Name == mode).Options();

    private static (string Output, string? Error, MiniVmStatistics Statistics) Run(string source, MiniVmOptions options, CancellationToken token = default)
    {
        using var module = MiniVmModule.Compile(source, "limits.expr");
        var output = new StringWriter { NewLine = "\n" };
        options.Output = output;
        var instance = module.CreateInstance(options);
        try
        {
            instance.Run(token);
            return (output.ToString(), null, instance.Statistics);
        }
        catch (MiniVmRuntimeException e)
        {
            return (output.ToString(), e.FormatReport(), instance.Statistics);
        }
    }

    // Steps: each call, and each jump back to a loop's test (a `while` runs its test at the bottom,
    // so a loop of n iterations takes n back-edges).
    private const string Counting = """
        fn inc(n) { return n + 1; }
        let i = 0;
        while i < 100 { i = inc(i); }
        print(i);
        while i < 1000 { i = i + 1; }
        print(i);
        """;

    [Theory]
    [MemberData(nameof(Modes))]
    public void AStepBudgetStopsARunAtTheSameStepInEveryTier(string mode)
    {
        // 100 calls and 100 back-edges, then 900 back-edges: 1,100 steps in all.
        var options = OptionsFor(mode);
        options.MaxSteps = 1100;
        var enough = Run(Counting, options);
        Assert.Equal("100\n1000\n", enough.Output);
        Assert.Null(enough.Error);

        options = OptionsFor(mode);
        options.MaxSteps = 1099;
        var short1 = Run(Counting, options);
        Assert.Equal("100\n", short1.Output);
        Assert.Equal("error: execution budget exhausted (1099 steps)\n  at <module> (limits.expr:5)\n", short1.Error);

        options = OptionsFor(mode);
        options.MaxSteps = 150; // stops in the first loop, at a call
        var inCall = Run(Counting, options);
        Assert.Equal("", inCall.Output);
        Assert.Equal("error: execution budget exhausted (150 steps)\n  at <module> (limits.expr:3)\n", inCall.Error);
    }

    // A loop whose every round makes an inlined call: its back-edge takes the next round's call
    // step with its own (FunctionCompiler.StepReservation.cs). Output inside the loop shows how far
    // a run got. One round is 3 steps (two calls, the back-edge); the first 500 rounds warm up the
    // tiered mode's profiles, so the loop is entered by on-stack replacement with `sq` inlined.
    private const string Reserving = """
        fn sq(x) { return x * x; }
        fn mix(a, b) { return a * 3 + b; }
        let i = 0;
        let t = 0;
        while i < 900 {
            t = t + sq(i + 1) % 7;
            if i % 97 == 0 { print(t); }
            t = mix(t, i) % 1000;
            i = i + 1;
        }
        print(t);
        """;

    [Theory]
    [MemberData(nameof(Modes))]
    public void ABudgetStopsALoopThatReservesItsCallStepsAtTheInterpretersStep(string mode) =>
        AssertSameStopsAsTheInterpreter(() => OptionsFor(mode));

    [Fact]
    public void ExitsBeforeAReservedCallGiveItsStepBack()
    {
        // The forced-deoptimization mode with the usual threshold: the loop is compiled with the
        // calls inlined, and its exits (the guard of `i + 1`, before `sq`) are each taken once.
        AssertSameStopsAsTheInterpreter(() => new MiniVmOptions { Tier = MiniVmTier.Tiered, ForceDeoptimization = true });
    }

    private static void AssertSameStopsAsTheInterpreter(Func<MiniVmOptions> mode)
    {
        // Every budget around the on-stack replacement (about step 1,500) and the end (2,700), and a
        // sample in between: the same output and the same error, at the same line, as the interpreter.
        var budgets = Enumerable.Range(1, 2710 / 13).Select(k => k * 13L)
            .Concat(Enumerable.Range(1480, 60).Select(k => (long)k))
            .Concat(Enumerable.Range(2680, 30).Select(k => (long)k));
        foreach (long budget in budgets)
        {
            var expected = Run(Reserving, new MiniVmOptions { Tier = MiniVmTier.Interpreter, MaxSteps = budget });
            var options = mode();
            options.MaxSteps = budget;
            var actual = Run(Reserving, options);
            Assert.True(expected.Output == actual.Output && expected.Error == actual.Error,
                $"budget {budget}: expected\n{expected.Output}{expected.Error}\ngot\n{actual.Output}{actual.Error}");
        }
    }

    [Fact]
    public void TheTieredModesLoopReservesItsCallStepWithTheBackEdge()
    {
        // The test above is about this code: the back-edge takes two steps, and `sq` is inlined.
        var listing = new StringWriter();
        var outcome = Run(Reserving, new MiniVmOptions { Tier = MiniVmTier.Tiered, AssemblyListing = listing });
        Assert.Null(outcome.Error);
        Assert.Matches(@"sub\s+r15,2", listing.ToString());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ABudgetStopsARunawayLoopAndRecursionInCompiledCode(string mode)
    {
        const string source = """
            fn spin(n) { while true { n = n + 1; } return n; }
            fn deep(n) { return deep(n + 1) + 0 * spin(0); }
            let which = 0;
            print("started");
            while true { which = which + 1; if which > 3000 { spin(0); } }
            """;
        var options = OptionsFor(mode);
        options.MaxSteps = 20_000_000;
        var outcome = Run(source, options);
        Assert.Equal("started\n", outcome.Output);
        Assert.Equal("error: execution budget exhausted (20000000 steps)\n  at spin (limits.expr:1)\n  at <module> (limits.expr:5)\n", outcome.Error);
        if (mode != "interpreter") Assert.True(outcome.Statistics.FunctionsCompiled >= 1, "the loop ran compiled");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void CancellationStopsAnEndlessLoopInEveryTier(string mode)
    {
        const string source = """
            fn step(n) { return n + 1; }
            let i = 0;
            while true { i = step(i) % 1000; }
            """;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => Run(source, OptionsFor(mode), cancellation.Token));
        // Not a timing test: only that the run stops at all, long before this bound.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void ACancelledTokenStopsTheRunBeforeItStartsAndABudgetOfZeroAtTheFirstStep()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var output = new StringWriter();
        using var module = MiniVmModule.Compile("print(1);", "limits.expr");
        var instance = module.CreateInstance(new MiniVmOptions { Output = output });
        Assert.Throws<OperationCanceledException>(() => instance.Run(cancelled.Token));
        Assert.Equal("", output.ToString());

        var zero = Run("print(1); let i = 0; while i < 2 { i = i + 1; } print(i);", new MiniVmOptions { MaxSteps = 0 });
        Assert.Equal("1\n", zero.Output);
        Assert.Equal("error: execution budget exhausted (0 steps)\n  at <module> (limits.expr:1)\n", zero.Error);
        Assert.Throws<ArgumentException>(() => module.CreateInstance(new MiniVmOptions { MaxSteps = -1 }));
    }

    [Fact]
    public void TheToolTakesAStepBudget()
    {
        string path = Path.Combine(Path.GetTempPath(), $"minivm-limit-{Guid.NewGuid():N}.expr");
        File.WriteAllText(path, "print(\"a\");\nwhile true { }\n");
        try
        {
            foreach (string tier in new[] { "interpreter", "jit", "tiered" })
            {
                var result = ToolProcess.Run(Path.GetTempPath(), "run", "--tier", tier, "--max-steps", "5000000", path);
                Assert.Equal(1, result.ExitCode);
                Assert.Equal("a\n", result.Stdout);
                Assert.Contains("error: execution budget exhausted (5000000 steps)", result.Stderr);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
