using System.Globalization;

namespace MiniVm.Tests;

/// <summary>
/// The JIT beyond "the corpus gives the same output in every tier" (ProgramCorpusTests runs that):
/// on-stack replacement really happens and keeps every value, compiled recursion hits the same
/// depth limit, code memory is never writable and executable at once and is returned on dispose,
/// and the listing shows what was compiled.
/// </summary>
public sealed class JitTests
{
    private static (string Output, MiniVmStatistics Statistics) RunProgram(string source, MiniVmOptions options)
    {
        using var module = MiniVmModule.Compile(source, "test.expr");
        var output = new StringWriter { NewLine = "\n" };
        options.Output = output;
        var instance = module.CreateInstance(options);
        instance.Run();
        return (output.ToString(), instance.Statistics);
    }

    // Locals of every kind, changed on every iteration, and a value left on the operand stack
    // across the loop (the `+` waits for the call that contains the loop). work() is called from
    // the interpreter once, so its loop moves to compiled code by OSR; so does the top level's.
    private const string LoopsWithEveryKindOfLocal = """
        fn work(n) {
            let i = 0;
            let f = 0.5;
            let s = "s";
            let b = false;
            let nothing = 0;
            let total = 0;
            while i < n {
                total = total + i * 3;
                f = f * 1.5;
                if i % 7 == 0 { s = s + str(i % 10); }
                b = not b;
                i = i + 1;
            }
            print(i, f, s, b, total);
            return total;
        }
        print(1 + work(60));
        let g = 10;
        let k = 0;
        let text = "";
        while k < 40 {
            g = g + k;
            if k % 10 == 0 { text = text + "x"; }
            k = k + 1;
        }
        print(g, k, text);
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(30)]
    public void OnStackReplacementKeepsEveryValue(int threshold)
    {
        string source = LoopsWithEveryKindOfLocal;
        var (expected, interpreted) = RunProgram(source, new MiniVmOptions { Tier = MiniVmTier.Interpreter });
        var (actual, statistics) = RunProgram(source, new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = threshold });
        Assert.Equal(expected, actual);
        Assert.Equal(0, interpreted.OsrEntries);
        // The top-level loop and the loop in work() each move into compiled code once.
        Assert.Equal(2, statistics.OsrEntries);
        Assert.Equal(2, statistics.FunctionsCompiled);
        Assert.Equal("60 18384234358.46651 s074185296 false 5310\n5311\n790 40 xxxx\n", expected);
    }

    [Fact]
    public void TheJitModeCompilesEverythingBeforeItRunsAndNeverUsesOsr()
    {
        var (output, statistics) = RunProgram("fn f(x) { return x + 1; }\nfn g() { return 0; }\nlet i = 0;\nwhile i < 10 { i = f(i); }\nprint(i);",
            new MiniVmOptions { Tier = MiniVmTier.Jit });
        Assert.Equal("10\n", output);
        Assert.Equal(2, statistics.FunctionsCompiled); // the top level and f; g is never called
        Assert.Equal(0, statistics.OsrEntries);
    }

    [Theory]
    [InlineData(MiniVmTier.Interpreter)]
    [InlineData(MiniVmTier.Jit)]
    [InlineData(MiniVmTier.Tiered)]
    public void CompiledRecursionHitsTheSameDepthLimit(MiniVmTier tier)
    {
        const string source = "fn down(n) { if n == 0 { return 0; } return 1 + down(n - 1); }\n";
        using var module = MiniVmModule.Compile(source, "deep.expr");
        var instance = module.CreateInstance(new MiniVmOptions { Tier = tier, JitThreshold = 10, MaxDepth = 5000 });
        instance.Run();
        Assert.Equal(4999, instance.Call("down", 4999).AsInt);
        var error = Assert.Throws<MiniVmRuntimeException>(() => instance.Call("down", 5000));
        Assert.Equal("stack overflow (call depth limit 5000 exceeded)", error.Message);
        Assert.Equal(5000, error.Trace.Count);
        Assert.All(error.Trace, frame => Assert.Equal(("down", 1), (frame.Function, frame.Line)));
    }

    [Theory]
    [InlineData(MiniVmTier.Interpreter)]
    [InlineData(MiniVmTier.Jit)]
    [InlineData(MiniVmTier.Tiered)]
    public void AMillionDeepRecursionRunsFromA256KbThread(MiniVmTier tier)
    {
        // The interpreter never recurses on the native stack; compiled code does, so the instance
        // moves a compiled run to a thread with the stack for a million frames.
        using var module = MiniVmModule.Compile("fn down(n) { if n == 0 { return 0; } return 1 + down(n - 1); }", "deep.expr");
        var instance = module.CreateInstance(new MiniVmOptions { Tier = tier, MaxDepth = 1_000_000 });
        long result = 0;
        var thread = new Thread(() => result = instance.Call("down", 999_999).AsInt, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Equal(999_999, result);
    }

    [Fact]
    public void TheDefaultDepthLimitFitsASmallThreadAndHelpersRunAtTheDeepestFrame()
    {
        // The deepest call the default limit allows (the host's call, 9,998 recursive ones and
        // leaf) on a 1 MB thread, smaller than a thread-pool thread's: the run stays on it, and at
        // the deepest frame the helpers still have room: output, new strings, and compiling a
        // function called there for the first time.
        const string source = "fn leaf(n) { return str(n) + \"!\" + str(sqrt(n) * 0.5); }\n"
            + "fn down(n) { if n == 0 { print(leaf(9999)); return 0; } return 1 + down(n - 1); }\n";
        using var module = MiniVmModule.Compile(source, "deep.expr");
        var output = new StringWriter { NewLine = "\n" };
        long result = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var instance = module.CreateInstance(new MiniVmOptions { Tier = MiniVmTier.Jit, Output = output });
                instance.Run();
                result = instance.Call("down", 9998).AsInt;
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(9998, result);
        Assert.Equal("9999!49.997499937496876\n", output.ToString());
    }

    [Fact]
    public void ErrorsInCompiledCodeCarryTheInterpretersTraceAndLines()
    {
        const string source = "fn inner(x) {\n  let y = x * 2;\n  return y / (x - 3);\n}\nfn outer(x) {\n  return inner(x) + 1;\n}\nlet i = 0;\nwhile i < 10 {\n  print(outer(i));\n  i = i + 1;\n}\n";
        string Report(MiniVmTier tier, int threshold)
        {
            using var module = MiniVmModule.Compile(source, "trace.expr");
            var output = new StringWriter { NewLine = "\n" };
            var error = Assert.Throws<MiniVmRuntimeException>(() => module.Run(new MiniVmOptions { Tier = tier, JitThreshold = threshold, Output = output }));
            return output + error.FormatReport();
        }
        string expected = Report(MiniVmTier.Interpreter, 0);
        Assert.Equal("1\n0\n-3\nerror: division by zero\n  at inner (trace.expr:3)\n  at outer (trace.expr:6)\n  at <module> (trace.expr:10)\n", expected);
        Assert.Equal(expected, Report(MiniVmTier.Jit, 0));
        Assert.Equal(expected, Report(MiniVmTier.Tiered, 1));
        Assert.Equal(expected, Report(MiniVmTier.Tiered, 2));
    }

    [Fact]
    public void CodeMemoryIsNeverWritableAndExecutable()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var module = MiniVmModule.Compile("fn f(n) { let s = 0; while n > 0 { s = s + n; n = n - 1; } return s; }\nprint(f(100));", "wx.expr");
        var output = new StringWriter();
        module.Run(new MiniVmOptions { Tier = MiniVmTier.Jit, Output = output });
        Assert.Equal("5050", output.ToString().Trim());
        var executable = File.ReadAllLines("/proc/self/maps").Where(line => line.Contains("minivm", StringComparison.Ordinal)).ToList();
        Assert.Contains(executable, line => line.Split(' ')[1].Contains('x', StringComparison.Ordinal));
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/maps"), line => line.Split(' ')[1].StartsWith("rwx", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadingAndDisposingModulesDoesNotGrowMappedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        var bytes = MiniVmModule.Compile("fn f(n) { return n * 2; }\nprint(f(21));", "churn.expr").ToBytes();
        void Churn(int times)
        {
            for (int i = 0; i < times; i++)
            {
                using var module = MiniVmModule.Load(bytes, "churn.txtc");
                module.Run(new MiniVmOptions { Tier = MiniVmTier.Jit, Output = TextWriter.Null });
            }
        }
        Churn(50);
        long before = MiniVmMappedBytes();
        Churn(2000);
        long after = MiniVmMappedBytes();
        Assert.True(after <= before + 256 * 1024, $"code memory grew from {before} to {after} bytes over 2,000 modules");
    }

    private static long MiniVmMappedBytes()
    {
        long total = 0;
        foreach (string line in File.ReadAllLines("/proc/self/maps"))
        {
            if (!line.Contains("minivm", StringComparison.Ordinal)) continue;
            string[] range = line.Split(' ')[0].Split('-');
            total += long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) - long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return total;
    }

    [Fact]
    public void AFunctionThatCannotBeCompiledKeepsRunningInTheInterpreter()
    {
        const string source = "fn hot(x) {\n  let s = 0;\n  let i = 0;\n  while i < 50 { s = s + x * i; i = i + 1; }\n  return s;\n}\n"
            + "let total = 0;\nlet n = 0;\nwhile n < 200 { total = total + hot(n); n = n + 1; }\nprint(total);\nprint(hot(\"a\"));\n";
        string Run(MiniVmOptions options, bool failHot, out MiniVmStatistics statistics)
        {
            using var module = MiniVmModule.Compile(source, "nc.expr");
            if (failHot) module.FailCompileForTesting = code => code.Name == "hot";
            var output = new StringWriter { NewLine = "\n" };
            options.Output = output;
            var instance = module.CreateInstance(options);
            string report = "";
            try
            {
                instance.Run();
            }
            catch (MiniVmRuntimeException e)
            {
                report = e.FormatReport();
            }
            statistics = instance.Statistics;
            return output + report;
        }
        string expected = Run(new MiniVmOptions { Tier = MiniVmTier.Interpreter }, failHot: false, out _);
        Assert.StartsWith("24377500\nerror: unsupported operand types for *: 'string' and 'int'\n  at hot (nc.expr:4)", expected);

        // Tiered: hot() gets hot (50 back-edges a call) but is not compilable, so it stays
        // interpreted, its loop too; the top level (200 back-edges) stays under the threshold.
        Assert.Equal(expected, Run(new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 300 }, failHot: true, out var tiered));
        Assert.Equal((1, 0, 0), (tiered.CompileFailures, tiered.FunctionsCompiled, tiered.OsrEntries));
        Assert.Equal(expected, Run(new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 300 }, failHot: false, out var compiled));
        Assert.Equal((0, 1, 1), (compiled.CompileFailures, compiled.FunctionsCompiled, compiled.OsrEntries));

        // Jit (and any compiled caller): compiled code calls hot() through an entry that runs it in
        // the interpreter, error and trace included.
        Assert.Equal(expected, Run(new MiniVmOptions { Tier = MiniVmTier.Jit }, failHot: true, out var jit));
        Assert.Equal((1, 1), (jit.CompileFailures, jit.FunctionsCompiled));
        // Also when compiled code first calls it after the tiered interpreter gave up on it.
        Assert.Equal(expected, Run(new MiniVmOptions { Tier = MiniVmTier.Tiered, JitThreshold = 1 }, failHot: true, out var early));
        Assert.Equal(1, early.CompileFailures);
    }

    [Fact]
    public void ADisposedModuleCannotRunAndARunningOneCannotBeDisposed()
    {
        var module = MiniVmModule.Compile("fn f() { return 1; }", "d.expr");
        var instance = module.CreateInstance(new MiniVmOptions { Tier = MiniVmTier.Jit });
        instance.Run();
        Assert.Equal(1, instance.Call("f").AsInt);
        module.Dispose();
        Assert.Throws<ObjectDisposedException>(() => instance.Call("f"));
        Assert.Throws<ObjectDisposedException>(() => module.CreateInstance());
        module.Dispose(); // twice is fine
    }

    [Fact]
    public void TheListingShowsBytecodeLinesAndMachineCode()
    {
        var listing = new StringWriter { NewLine = "\n" };
        RunProgram("fn add(a, b) {\n  return a + b;\n}\nprint(add(1, 2));", new MiniVmOptions { Tier = MiniVmTier.Jit, AssemblyListing = listing });
        string text = listing.ToString();
        Assert.Contains("; add (test.expr):", text, StringComparison.Ordinal);
        Assert.Contains("; <top level> (test.expr):", text, StringComparison.Ordinal);
        Assert.Contains("BINARY_ADD   line 2", text, StringComparison.Ordinal);
        Assert.Contains("LOAD_FAST 0 (a)   line 2", text, StringComparison.Ordinal);
        Assert.Contains("jo ", text, StringComparison.Ordinal); // the overflow check of int +
        Assert.Contains("push    rbx", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsafeCodeLivesOnlyInTheJitsMemoryAndCallLayer()
    {
        string runtime = Path.Combine(TestPaths.RepositoryRoot, "runtime");
        var offenders = Directory.EnumerateFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), @"\bunsafe\b"))
            .Select(f => Path.GetRelativePath(runtime, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("MiniVm.NativeCode/", StringComparison.Ordinal) && !f.StartsWith("MiniVm.Runtime/Jit/Calls/", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(offenders);
    }
}
