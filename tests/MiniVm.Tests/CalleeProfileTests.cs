using MiniVm.Fuzz.Differential;

namespace MiniVm.Tests;

/// <summary>
/// Callees first reached from compiled code. In the tiered mode a compiled caller calls a function
/// that has no compiled code through the interpreter, which counts and profiles each such call as
/// it does its own, until the function is hot (the threshold, calls plus back-edges); then the
/// function is compiled with bets from that profile, and the caller's later calls go to the
/// compiled code. The <c>jit</c> mode still compiles a callee at its first call. The tests watch
/// the compiles in the JIT log written to the same writer as the program's output, so the log
/// says which calls ran before a compile and which after.
/// </summary>
public sealed class CalleeProfileTests
{
    /// <summary>The top level gets hot in its first loop and moves to compiled code there (OSR),
    /// before it has ever called <c>f</c>: every call of <c>f</c> comes from compiled code. The
    /// never-taken <c>print</c> keeps <c>f</c> from being inlined.</summary>
    private const string CalledFromAnOsrLoop = """
        fn f(x) {
            if x < 0 { print("negative"); }
            return x * 2;
        }
        let i = 0;
        while i < 1000 { i = i + 1; }
        let s = 0;
        let j = 0;
        while j < 2000 {
            s = s + f(j);
            if j % 250 == 0 { print(j); }
            j = j + 1;
        }
        print(s);
        """;

    /// <summary>Runs <paramref name="source"/> with the program's output and the JIT log interleaved
    /// in one text, in the order they happened.</summary>
    private static (string Text, MiniVmStatistics Statistics) RunLogged(string source, MiniVmTier tier, int threshold = 500)
    {
        using var module = MiniVmModule.Compile(source, "test.expr");
        var both = new StringWriter { NewLine = "\n" };
        var instance = module.CreateInstance(new MiniVmOptions { Tier = tier, JitThreshold = threshold, Output = both, JitLog = both });
        instance.Run();
        return (both.ToString(), instance.Statistics);
    }

    private static string[] Lines(string text, string starting) =>
        text.Split('\n').Where(line => line.StartsWith(starting, StringComparison.Ordinal)).ToArray();

    /// <summary>Where <paramref name="line"/> is in <paramref name="text"/>, which must hold it once.</summary>
    private static int PlaceOf(string text, string line)
    {
        var lines = text.Split('\n');
        int at = Array.IndexOf(lines, line);
        Assert.True(at >= 0, $"no line '{line}' in:\n{text}");
        Assert.Equal(at, Array.LastIndexOf(lines, line));
        return at;
    }

    private static int PlaceOfLineStarting(string text, string start) =>
        PlaceOf(text, Lines(text, start).Single());

    [Fact]
    public void ACalleeFirstCalledFromCompiledCodeIsInterpretedUntilHotThenCompiledWithBets()
    {
        var (text, statistics) = RunLogged(CalledFromAnOsrLoop, MiniVmTier.Tiered);
        int osr = PlaceOf(text, "jit: osr <top level> at offset 9 (line 6)");
        // f's calls 1 to 500 are interpreted (j = 0 to 499); the 501st makes it hot.
        int compile = PlaceOfLineStarting(text, "jit: compile f #1 ");
        Assert.True(osr < PlaceOf(text, "0") && PlaceOf(text, "250") < compile && compile < PlaceOf(text, "500"), text);
        // Compiled with bets from what the interpreter saw: x always an int, the print never reached.
        Assert.Contains("(optimizing: 1 branch, ", text.Split('\n')[compile]);
        Assert.DoesNotContain("deopt", text);
        Assert.EndsWith("3998000\n", text);
        Assert.Equal((2, 1, 0), (statistics.FunctionsCompiled, statistics.OsrEntries, statistics.Deoptimizations));
    }

    [Fact]
    public void TheJitModeStillCompilesACalleeAtItsFirstCallWithoutBets()
    {
        var (text, statistics) = RunLogged(CalledFromAnOsrLoop, MiniVmTier.Jit);
        int compile = PlaceOfLineStarting(text, "jit: compile f #");
        Assert.Contains("(baseline)", text.Split('\n')[compile]);
        Assert.True(compile < PlaceOf(text, "0"), text);
        Assert.Equal(2, statistics.FunctionsCompiled);
    }

    /// <summary>A callee's bet fails while only compiled code calls it: its code is taken out of use,
    /// and the compiled caller's calls interpret it again, profiling what broke the bet, until it
    /// is hot again; the recompile bets on the wider profile.</summary>
    [Fact]
    public void ACalleeThatDeoptimizesIsInterpretedForCompiledCallersUntilHotAgain()
    {
        const string source = """
            fn f(x) {
                if x < 0 { print("negative"); }
                if x >= 1000 { return x - 1; }
                return x * 2;
            }
            let i = 0;
            while i < 1000 { i = i + 1; }
            let s = 0;
            let j = 0;
            while j < 2000 {
                s = s + f(j);
                if j % 250 == 0 { print(j); }
                j = j + 1;
            }
            print(s);
            """;
        var (text, statistics) = RunLogged(source, MiniVmTier.Tiered);
        int compile = PlaceOfLineStarting(text, "jit: compile f #1 ");
        Assert.Contains("(optimizing: 2 branches, ", text.Split('\n')[compile]);
        Assert.True(PlaceOf(text, "250") < compile && compile < PlaceOf(text, "500"), text);
        // f(1000) fails the bet on the second branch ...
        int deopt = PlaceOfLineStarting(text, "jit: deopt f ");
        Assert.EndsWith("at offset 28 (line 3): branch never taken (the fall-through to offset 31)", text.Split('\n')[deopt]);
        Assert.True(PlaceOf(text, "750") < deopt && deopt < PlaceOf(text, "1000"), text);
        // ... f(1001) to f(1500) are interpreted, and f(1501) recompiles it.
        int recompile = PlaceOfLineStarting(text, "jit: recompile f #2 after 1 deoptimization ");
        Assert.Contains("(optimizing: 1 branch, ", text.Split('\n')[recompile]);
        Assert.True(PlaceOf(text, "1500") < recompile && recompile < PlaceOf(text, "1750"), text);
        Assert.Equal((1, 1), (statistics.Deoptimizations, statistics.Recompiles));
        Assert.EndsWith("2497500\n", text);
    }

    /// <summary>A module's entry table is shared by its instances: a tiered instance leaves a cold
    /// callee's interpreting entry there, and a <c>jit</c> instance's compiled code, calling through it,
    /// compiles the callee at once as its mode says.</summary>
    [Fact]
    public void EachInstanceFollowsItsOwnModeThroughTheSharedEntryTable()
    {
        const string source = """
            fn f(x) {
                if x < 0 { print("negative"); }
                return x + 1;
            }
            fn drive(n) {
                let i = 0;
                while i < 1000 { i = i + 1; }
                let s = 0;
                let j = 0;
                while j < n { s = s + f(j); j = j + 1; }
                return s;
            }
            """;
        using var module = MiniVmModule.Compile(source, "test.expr");
        var tieredLog = new StringWriter { NewLine = "\n" };
        var tiered = module.CreateInstance(new MiniVmOptions { Tier = MiniVmTier.Tiered, Output = TextWriter.Null, JitLog = tieredLog });
        tiered.Run();
        Assert.Equal(5050, tiered.Call("drive", 100).AsInt);
        Assert.Single(Lines(tieredLog.ToString(), "jit: compile ")); // drive only: f was called 100 times
        Assert.Equal("jit: compile drive #0 ", Lines(tieredLog.ToString(), "jit: compile ")[0][..22]);

        var jitLog = new StringWriter { NewLine = "\n" };
        var jit = module.CreateInstance(new MiniVmOptions { Tier = MiniVmTier.Jit, Output = TextWriter.Null, JitLog = jitLog });
        jit.Run();
        Assert.Equal(5050, jit.Call("drive", 100).AsInt);
        Assert.Contains("(baseline)", Lines(jitLog.ToString(), "jit: compile f #").Single());
        Assert.Equal(2, jit.Statistics.FunctionsCompiled); // its top level, and f; drive is the tiered instance's

        Assert.Equal(500500, tiered.Call("drive", 1000).AsInt);
    }

    // Programs in which compiled code calls functions it has not compiled, for the same outcome in
    // every mode: output, errors, traces, the depth limit and the step budget.
    public static TheoryData<string, long?> Programs()
    {
        var data = new TheoryData<string, long?>();
        foreach (string name in new[] { "osr", "error", "depth", "mutual" })
        {
            data.Add(name, null);
            foreach (long steps in new long[] { 700, 1100, 1333, 1501, 1800, 2600 }) data.Add(name, steps);
        }
        return data;
    }

    private static string Program(string name) => name switch
    {
        "osr" => CalledFromAnOsrLoop,
        // An error two calls deep in code that compiled code calls, first interpreted, then compiled.
        "error" => """
            fn g(x, d) { return x / d; }
            fn f(x) { return g(x, 700 - x) + g(x, 1); }
            let i = 0;
            while i < 1000 { i = i + 1; }
            let s = 0;
            let j = 0;
            while j < 900 { s = s + f(j); j = j + 1; }
            print(s);
            """,
        // Recursion that starts interpreted under a compiled caller, gets hot on its own calls and
        // ends at the depth limit.
        "depth" => """
            fn down(n) { if n == 0 { return 0; } return down(n - 1) + 1; }
            let i = 0;
            while i < 1000 { i = i + 1; }
            let k = 0;
            let s = 0;
            while k < 12 { s = s + down(k * 1000); print(s); k = k + 1; }
            """,
        // Compiled and interpreted activations alternating on one stack (first while a and b are
        // cold, the deepest just under the limit), then past the limit.
        "mutual" => """
            fn a(n) { if n == 0 { return 0; } return b(n - 1) + 1; }
            fn b(n) { if n == 0 { return 0; } return a(n - 1) + 1; }
            let i = 0;
            while i < 1000 { i = i + 1; }
            print(a(9998));
            let s = 0;
            let k = 0;
            while k < 700 { s = s + a(k % 40); k = k + 1; }
            print(s);
            print(a(20000));
            """,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void EveryModeGivesTheInterpretersOutcome(string program, long? maxSteps)
    {
        string source = Program(program);
        var expected = ExecutionModes.Interpreter.Run(source, "calls.expr", maxSteps);
        foreach (var mode in ExecutionModes.All)
            Assert.Equal(expected, mode.Run(source, "calls.expr", maxSteps));
        if (maxSteps is null) Assert.DoesNotContain("budget", expected.Stderr);
    }
}
