using System.Text;
using MiniVm.Fuzz.Differential.Minimization;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Tests;

/// <summary>
/// The differential harness's other half: a difference between two modes must be caught, shrunk
/// to a small program that still compiles and still shows it, saved, replayed, and turned into a
/// regression test. Real tiers agree (that is the point), so these tests plant modes that differ
/// on purpose: one prints one more line when a program has a <c>while</c> loop, one crashes when
/// it calls <c>abs</c>.
/// </summary>
public sealed class DifferentialMinimizerTests : IDisposable
{
    private readonly string _temporary = Path.Combine(Path.GetTempPath(), $"minivm-diff-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_temporary)) Directory.Delete(_temporary, recursive: true);
    }

    /// <summary>The interpreter, but a program with a loop gets one more line of output.</summary>
    private sealed class PrintsMoreWithLoops() : ExecutionMode("loop-printer", () => new MiniVmOptions { Tier = MiniVmTier.Interpreter })
    {
        public override ProgramOutcome Run(string source, string sourceName, long? maxSteps = null, CancellationToken cancellationToken = default)
        {
            var outcome = base.Run(source, sourceName, maxSteps, cancellationToken);
            return source.Contains("while ", StringComparison.Ordinal) ? outcome with { Stdout = outcome.Stdout + "loop!\n" } : outcome;
        }
    }

    /// <summary>The JIT, but it crashes on any program that calls <c>abs</c> (a host exception, not a run-time error).</summary>
    private sealed class CrashesOnAbs() : ExecutionMode("abs-crasher", () => new MiniVmOptions { Tier = MiniVmTier.Jit })
    {
        public override ProgramOutcome Run(string source, string sourceName, long? maxSteps = null, CancellationToken cancellationToken = default) =>
            source.Contains("abs(", StringComparison.Ordinal)
                ? throw new InvalidOperationException("planted crash")
                : base.Run(source, sourceName, maxSteps, cancellationToken);
    }

    private static DifferentialHarness Planted(ExecutionMode mode) => new(ExecutionModes.Interpreter, [ExecutionModes.Named("jit"), mode]);

    /// <summary>The first generated program of seed 1 that contains <paramref name="text"/> outside its header, and a large one.</summary>
    private static FuzzInput FirstWith(DifferentialHarness harness, string text)
    {
        for (long n = 0; n < 200; n++)
        {
            var input = harness.Generate(1, n);
            string source = Encoding.UTF8.GetString(input.Data);
            if (source.Contains(text, StringComparison.Ordinal) && source.Split('\n').Length > 40) return input;
        }
        throw new InvalidOperationException($"no program of seed 1 contains '{text}'");
    }

    private static string Text(byte[] data) => Encoding.UTF8.GetString(data);

    private static int CodeLines(string program) => program.Split('\n').Count(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));

    [Fact]
    public void APlantedDifferenceIsFoundAndShrunkToAFewLines()
    {
        var harness = Planted(new PrintsMoreWithLoops());
        var input = FirstWith(harness, "while ");
        var failure = FuzzRunner.Check(harness, input);
        Assert.NotNull(failure);
        Assert.Contains("FuzzInvariantException: loop-printer differs from interpreter in stdout\n", failure);

        var minimized = harness.Minimize(input);
        Assert.NotNull(minimized);
        string program = Text(minimized.Data);
        // What is left: the header, and a loop with what it needs to compile and end (a counter,
        // its step); no print, no function, no other statement.
        Assert.Contains("while ", program);
        Assert.True(CodeLines(program) <= 5, $"not minimal ({CodeLines(program)} lines):\n{program}");
        Assert.StartsWith("# differential program: seed 1, input ", program);
        Assert.Contains("# minimised: loop-printer differs from interpreter", program);
        var outcome = ExecutionModes.Interpreter.Run(program, "min.expr", StepBudget.Default);
        Assert.Equal(0, outcome.ExitCode); // it compiles, and its loop still ends (not at the budget)
        Assert.Contains("loop-printer differs from interpreter in stdout", FuzzRunner.Check(harness, new FuzzInput(minimized.Data, "replay")));
        Assert.Contains("modes: interpreter (expected) and loop-printer (actual)", minimized.Note);
        Assert.Contains("got 'loop!'", minimized.Note);
    }

    [Fact]
    public void APlantedCrashStaysTheSameCrashWhileShrinking()
    {
        var harness = Planted(new CrashesOnAbs());
        var input = FirstWith(harness, "abs(");
        Assert.Contains("FuzzInvariantException: abs-crasher differs from interpreter in stdout, stderr, exit code\n", FuzzRunner.Check(harness, input));
        var minimized = harness.Minimize(input);
        Assert.NotNull(minimized);
        string program = Text(minimized.Data);
        Assert.Contains("abs(", program);
        // The call of abs, and the declarations its statement needs.
        Assert.True(CodeLines(program) <= 6, $"not minimal ({CodeLines(program)} lines):\n{program}");
        Assert.Contains("<host exception> System.InvalidOperationException: planted crash", minimized.Note);
    }

    [Fact]
    public void AProgramWithoutADifferenceIsNotMinimised()
    {
        var harness = Planted(new PrintsMoreWithLoops());
        var plain = new FuzzInput(Encoding.UTF8.GetBytes("print(1);\n"), "plain");
        Assert.Null(FuzzRunner.Check(harness, plain));
        Assert.Null(harness.Minimize(plain));
    }

    [Fact]
    public void TheRunnerSavesTheFindingWithItsMinimisedProgramOnce()
    {
        var harness = Planted(new PrintsMoreWithLoops());
        var report = FuzzRunner.Run(harness, new FuzzSettings { Seed = 1, Count = 30, FindingsDirectory = _temporary });
        var finding = Assert.Single(report.Findings);   // one signature, many programs
        Assert.True(finding.Occurrences > 1);
        Assert.Equal("invariant: loop-printer differs from interpreter in stdout", finding.Signature);
        Assert.NotNull(finding.MinimizedPath);
        Assert.EndsWith($"differential-exception-seed1-input{finding.Index}-min.expr", finding.MinimizedPath);
        string minimized = File.ReadAllText(finding.MinimizedPath);
        Assert.True(CodeLines(minimized) <= 5, minimized);
        string notes = File.ReadAllText(Path.ChangeExtension(finding.InputPath!, ".txt"));
        Assert.Contains("----- minimised -----", notes);
        Assert.Contains($"tests/fuzz/run differential --replay {finding.MinimizedPath}", notes);
        Assert.Contains("--- minimised program ---", notes);
    }

    [Fact]
    public void AFindingBecomesARegressionTestWithTheInterpretersOutput()
    {
        string programs = Path.Combine(_temporary, "tests", "programs");
        Directory.CreateDirectory(programs);
        string file = Path.Combine(_temporary, "finding-min.expr");
        File.WriteAllText(file, "# max-steps: 30\nfn f(x) { return x + 1; }\nlet i = 0;\nwhile i < 100 { i = f(i); }\nprint(i);\n");
        string saved = RegressionTest.Save(file, "budget_stop", _temporary);
        Assert.Equal(Path.Combine(programs, "regressions", "budget_stop.expr"), saved);
        Assert.False(File.Exists(Path.ChangeExtension(saved, ".out")));   // nothing printed: no .out, as in the corpus
        Assert.Equal("error: execution budget exhausted (30 steps)\n  at <module> (budget_stop.expr:4)\n", File.ReadAllText(Path.ChangeExtension(saved, ".err")));
        Assert.Throws<MiniVm.Fuzz.UsageException>(() => RegressionTest.Save(file, "../escape", _temporary));
    }

    [Fact]
    public void TheShapeOfAProgramIsItsStatementsAndBracedConstructs()
    {
        string[] lines =
        [
            "# header",                         // 0: never part of a unit
            "let a = 1;",                       // 1
            "if a < 2 {",                       // 2: if ... else if ... else, lines 2-10
            "    while a < 3 {",                // 3
            "        a = a + 1;",               // 4
            "    }",                            // 5
            "} else if a == \"{\" {",           // 6: a brace in a string is not a brace
            "    print(a); # }",                // 7: nor in a comment
            "} else {",                         // 8
            "    if a > 1 { print(\"one-liner\"); }", // 9: balanced: one line
            "}",                                // 10
            "print(a);",                        // 11
        ];
        var units = ProgramShape.Parse(lines);
        Assert.Equal([(1, 2), (2, 11), (11, 12)], units.Select(u => (u.Start, u.End)));
        var chain = units[1];
        Assert.Equal([2, 6, 8], chain.Branches.Select(b => b.Header));
        Assert.Equal([(3, 6)], chain.Branches[0].Body.Select(u => (u.Start, u.End)));
        Assert.Equal([(9, 10)], chain.Branches[2].Body.Select(u => (u.Start, u.End)));
        Assert.False(chain.Branches[2].Body[0].IsBlock);
    }

    [Fact]
    public void PrintArgumentsSplitAtTopLevelCommasOnly()
    {
        var print = PrintCall.Parse("    print(a, f(b, c), \"x, y\", (d + e));");
        Assert.NotNull(print);
        Assert.Equal(["a", "f(b, c)", "\"x, y\"", "(d + e)"], print.Arguments);
        Assert.Equal("    print(a, (d + e));", print.With(["a", "(d + e)"]));
        Assert.Empty(PrintCall.Parse("print();")!.Arguments);
        Assert.Null(PrintCall.Parse("print(a) + (b);"));
        Assert.Null(PrintCall.Parse("let x = print(a);"));
    }

    [Fact]
    public void TheMinimiserKeepsOnlyWhatTheTestNeeds()
    {
        const string program = "# keep me\nlet a = 1;\nlet b = 2;\nif a < b {\n    print(a, b, 3);\n    print(4);\n}\nprint(5);\n";
        int tests = 0;
        var result = ProgramMinimizer.Minimize(program, candidate =>
        {
            tests++;
            return candidate.Contains("3)", StringComparison.Ordinal) && candidate.Contains("let b", StringComparison.Ordinal);
        });
        Assert.Equal("# keep me\nlet b = 2;\nprint(3);\n", result.Program); // unwrapped from the if, and re-indented
        Assert.Equal(tests, result.Tests);
        Assert.False(result.Exhausted);
        Assert.Equal((8, 3), (result.LinesBefore, result.LinesAfter));
    }
}
