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
