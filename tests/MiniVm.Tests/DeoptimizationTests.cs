namespace MiniVm.Tests;

/// <summary>
/// Speculation and deoptimization beyond "the corpus gives the same output in every mode"
/// (ProgramCorpusTests runs the corpus, tests/programs/deopt among it, in the forced-deoptimization
/// mode too): the bets are really made and really fail, each failure is reported with its reason,
/// the code is recompiled without the failed bet, and a block that keeps failing stops betting.
/// </summary>
public sealed class DeoptimizationTests
{
    private sealed record Outcome(string Output, string Log, MiniVmStatistics Statistics);

    /// <param name="inlining">False for the tests of a callee's own compiles and deoptimizations:
    /// inlined, the small callees below would be part of their caller's code.</param>
    private static Outcome Run(string source, int threshold = 500, bool force = false, bool inlining = true)
    {
        using var module = MiniVmModule.Compile(source, "test.expr");
        var output = new StringWriter { NewLine = "\n" };
        var log = new StringWriter { NewLine = "\n" };
        var instance = module.CreateInstance(new MiniVmOptions
        {
            Tier = MiniVmTier.Tiered, JitThreshold = threshold, Output = output, JitLog = log, ForceDeoptimization = force, Inlining = inlining,
        });
        instance.Run();
        return new Outcome(output.ToString(), log.ToString(), instance.Statistics);
    }

    private static string Interpreted(string source)
    {
        using var module = MiniVmModule.Compile(source, "test.expr");
        var output = new StringWriter { NewLine = "\n" };
        module.CreateInstance(new MiniVmOptions { Tier = MiniVmTier.Interpreter, Output = output }).Run();
        return output.ToString();
    }

    private static string[] Lines(string log, string containing) =>
        log.Split('\n').Where(line => line.Contains(containing, StringComparison.Ordinal)).ToArray();

    // Seed 000: test(flag) with flag always true for a long time, then false.
    private const string Seed = """
        fn test(flag) { let b = 0; if flag { b = 3; } else { b = 2; } return b + 4; }
        let total = 0;
        let i = 0;
        while i < 5000 { total = total + test(true); i = i + 1; }
        print(total);
        i = 0;
        while i < 3000 { total = total + test(false); i = i + 1; }
        print(total);
        """;

    [Fact]
    public void TheSeedScenarioCompilesTheTrueBranchOnlyDeoptimizesOnceAndRecompiles()
    {
        var outcome = Run(Seed, inlining: false);
        Assert.Equal("35000\n53000\n", outcome.Output);
        var compiles = Lines(outcome.Log, "jit: compile test ");
        Assert.Single(compiles);
        Assert.Contains("optimizing: 1 branch,", compiles[0]);
        var deopts = Lines(outcome.Log, "jit: deopt test ");
        Assert.Single(deopts);
        Assert.EndsWith("at offset 9 (line 1): branch never taken (the jump to offset 21)", deopts[0]);
        var recompiles = Lines(outcome.Log, "jit: recompile test ");
        Assert.Single(recompiles);
        Assert.Contains("after 1 deoptimization (optimizing: 0 branches,", recompiles[0]);
        Assert.Equal(1, outcome.Statistics.Deoptimizations);
        Assert.Equal(1, outcome.Statistics.Recompiles);
        // The order is the story: compile, deopt, recompile.
        Assert.True(outcome.Log.IndexOf(compiles[0], StringComparison.Ordinal) < outcome.Log.IndexOf(deopts[0], StringComparison.Ordinal));
        Assert.True(outcome.Log.IndexOf(deopts[0], StringComparison.Ordinal) < outcome.Log.IndexOf(recompiles[0], StringComparison.Ordinal));
    }

    /// <summary>With inlining (the default), the seed's calls are part of the loop's code, and the
    /// constant argument decides the branch at compile time: nothing is left to bet on or to fail.</summary>
    [Fact]
    public void InlinedTheSeedScenarioFoldsEachCallToAConstant()
    {
        var outcome = Run(Seed);
        Assert.Equal("35000\n53000\n", outcome.Output);
        Assert.Contains("2 calls inlined", outcome.Log);
        Assert.DoesNotContain("deopt", outcome.Log);
        Assert.Empty(Lines(outcome.Log, "compile test "));
    }

    /// <summary>A bet of an inline body's fails: the call runs again in the interpreter, the log
    /// tells the callee's reason, the callee's profile learns it, and the caller's recompile
    /// inlines the callee again with the wider bet.</summary>
    [Fact]
    public void AnInlinedBetThatFailsIsReportedAsTheCalleesAndTheCallIsInlinedAgainWithoutIt()
    {
        const string source = """
            fn m(x) { if x > 5000 { return 1; } return 0; }
            let t = 0;
            let i = 0;
            while i < 6000 { t = t + m(i); i = i + 1; }
            print(t);
            """;
        var outcome = Run(source, threshold: 100);
        Assert.Equal("999\n", outcome.Output);
        Assert.Contains("1 call inlined", Lines(outcome.Log, "jit: compile <top level> ").Single());
        Assert.EndsWith("jit: deopt m (inlined into <top level>) at offset 9 (line 1): branch never taken (the fall-through to offset 12)",
            Lines(outcome.Log, "jit: deopt ").Single());
        // (One kind bet: the overflow of `t + ...`; `i + 1` cannot overflow under `i < 6000`.)
        Assert.Contains("(optimizing: 0 branches, 1 kind bet, 1 call inlined)", Lines(outcome.Log, "jit: recompile <top level> ").Single());
        Assert.Equal(1, outcome.Statistics.Deoptimizations);
    }

    /// <summary>An inline body that needs what only a call has (here the string helper, for an
    /// argument that is an int or a string) re-runs the call in the interpreter, and the caller's
    /// recompile calls there instead of inlining. A call whose argument is surely a string is
    /// not inlined at all.</summary>
    [Fact]
    public void AnInlinedCallThatNeedsAHelperRunsAgainInTheInterpreterAndIsNotInlinedAgain()
    {
        const string source = """
            fn twice(x) { return x + x; }
            let r = 0;
            let v = 0;
            let i = 0;
            while i < 3000 { if i % 2 == 0 { v = i; } else { v = "ab"; } r = twice(v); i = i + 1; }
            print(r, twice("cd"));
            """;
        var outcome = Run(source, threshold: 100);
        Assert.Equal("abab cdcd\n", outcome.Output);
        Assert.Contains("1 call inlined", Lines(outcome.Log, "jit: compile <top level> ").Single());
        Assert.EndsWith("the inlined call to 'twice' left its compiled path (the call runs in the interpreter; it will not be inlined again)",
            Lines(outcome.Log, "jit: deopt ").Single());
        Assert.DoesNotContain("inlined", Lines(outcome.Log, "jit: recompile <top level> ").Single());
    }

    [Theory]
    [InlineData("""
        fn f(x) { return x * 2; }
        let t = 0;
        let i = 0;
        while i < 2000 { t = t + f(i); i = i + 1; }
        print(t, f(1.5));
        """, "deopt f at offset 0 (line 1): type int expected for parameter 'x', got float", "3998000 3.0\n")]
    [InlineData("""
        let mode = 0;
        fn g() { if mode == 0 { return 1; } return 0.5; }
        fn h() { return g() + 1; }
        let t = 0;
        let i = 0;
        while i < 2000 { t = t + h(); i = i + 1; }
        mode = 1;
        print(t, h());
        """, "type int expected from the call to 'g', got float", "4000 1.5\n")]
    [InlineData("""
        let scale = 3;
        fn k(x) { return x * scale; }
        let t = 0;
        let i = 0;
        while i < 2000 { t = t + k(i); i = i + 1; }
        scale = 0.5;
        print(t, k(2));
        """, "type int expected for global 'scale', got float", "5997000 1.0\n")]
    [InlineData("""
        fn m(x) { if x > 5000 { return 1; } return 0; }
        let t = 0;
        let i = 0;
        while i < 6000 { t = t + m(i); i = i + 1; }
        print(t);
        """, "deopt m at offset 9 (line 1): branch never taken (the fall-through to offset 12)", "999\n")]
    [InlineData("""
        fn m(x) { let r = 0; if x < 5000 { r = 1; } return r; }
        let t = 0;
        let i = 0;
        while i < 6000 { t = t + m(i); i = i + 1; }
        print(t);
        """, "branch never taken (the jump to offset", "5000\n")]
    public void EachFailedBetIsReportedWithItsReasonAndTheResultIsTheInterpreters(string source, string logLine, string expected)
    {
        var outcome = Run(source, threshold: 100, inlining: false);
        Assert.Equal(expected, outcome.Output);
        Assert.Equal(Interpreted(source), outcome.Output);
        Assert.Contains(logLine, outcome.Log);
        Assert.True(outcome.Statistics.Deoptimizations >= 1, outcome.Log);
    }

    [Fact]
    public void AFunctionThatKeepsFailingItsBetsStopsBettingAfterTheLimit()
    {
        // The parameter's kind changes every 300 calls, to a kind not seen before, five times over:
        // each change fails a bet the last recompile made. Without a limit the recompiles would
        // go on for as long as new kinds come; with it, f stops betting.
        const string source = """
            fn arg(p) { if p == 0 { return 7; } if p == 1 { return 0.5; } if p == 2 { return "s"; } if p == 3 { return true; } return none; }
            fn f(x) { if x == none { return 0; } return 1; }
            let t = 0;
            let i = 0;
            while i < 3000 {
                t = t + f(arg((i / 300) % 5));
                i = i + 1;
            }
            print(t);
            """;
        var outcome = Run(source, threshold: 50, inlining: false);
        Assert.Equal(Interpreted(source), outcome.Output);
        var deopts = Lines(outcome.Log, "jit: deopt f ");
        Assert.InRange(deopts.Length, 4, 4);
        Assert.Contains("(baseline: too many deoptimizations)", outcome.Log.Split('\n').Last(line => line.Contains("compile f ", StringComparison.Ordinal)));
    }

    public static TheoryData<string> DeoptPrograms() =>
        new(Directory.EnumerateFiles(Path.Combine(TestPaths.Programs, "deopt"), "*.expr").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    /// <summary>tests/programs/deopt is written to break bets after a warm-up: each program must
    /// really deoptimize at the default threshold (its output is checked in every mode by the
    /// corpus), and the forced mode must really force exits.</summary>
    [Theory]
    [MemberData(nameof(DeoptPrograms))]
    public void EveryDeoptProgramReallyDeoptimizes(string program)
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.Programs, "deopt", program));
        Assert.True(RunAllowingErrors(source, new MiniVmOptions { Tier = MiniVmTier.Tiered, Inlining = false }).Deoptimizations >= 1, $"{program} never deoptimized");
        Assert.True(RunAllowingErrors(source, new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 1, ForceDeoptimization = true }).ForcedDeoptimizations >= 1,
            $"{program} forced no deoptimization");
    }

    private static MiniVmStatistics RunAllowingErrors(string source, MiniVmOptions options)
    {
        using var module = MiniVmModule.Compile(source, "test.expr");
        options.Output = TextWriter.Null;
        var instance = module.CreateInstance(options);
        try
        {
            instance.Run();
        }
        catch (MiniVmRuntimeException)
        {
            // the program's expected error (its .err file)
        }
        return instance.Statistics;
    }

    [Fact]
    public void TheForcedModeTakesEveryExitOnceAndChangesNoOutput()
    {
        var forced = Run(Seed, threshold: 1, force: true);
        Assert.Equal("35000\n53000\n", forced.Output);
        Assert.True(forced.Statistics.ForcedDeoptimizations >= 3, forced.Log);
        Assert.Contains("(forced)", forced.Log);
    }
}
