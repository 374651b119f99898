namespace MiniVm.Tests;

/// <summary>
/// The program corpus: every <c>tests/programs/**/NAME.expr</c> runs and must print exactly
/// <c>NAME.out</c> on stdout and <c>NAME.err</c> on stderr (each absent means empty), and exit
/// with 0, 1 for a run-time error (<c>.err</c> starts with <c>error: </c>) or 2 for compile
/// errors. Every mode runs the whole corpus: a new tier is one more line in <see cref="ExecutionModes"/>.
/// </summary>
public sealed class ProgramCorpusTests
{
    /// <summary>The tiers every program must agree on: one list, in the fuzz project, shared with the
    /// differential harness and the other tests that run in every tier.</summary>
    public static IReadOnlyList<ExecutionMode> Tiers => ExecutionModes.Tiers;

    /// <summary>Tiers plus variants that must not change behaviour: the interpreter without its superinstructions.</summary>
    public static IEnumerable<string> Modes => ExecutionModes.All.Select(m => m.Name);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in Directory.EnumerateFiles(TestPaths.Programs, "*.expr", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(TestPaths.Programs, file).Replace('\\', '/');
            foreach (string mode in Modes) data.Add(relative, mode);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ProgramGivesExpectedOutput(string program, string tier)
    {
        string path = Path.Combine(TestPaths.Programs, program);
        string expectedOut = ReadOptional(Path.ChangeExtension(path, ".out"));
        string expectedErr = ReadOptional(Path.ChangeExtension(path, ".err"));
        int expectedExit = expectedErr.Length == 0 ? 0 : expectedErr.StartsWith("error: ", StringComparison.Ordinal) ? 1 : 2;

        // A program may carry a step budget (`# max-steps: N`), e.g. a differential finding that
        // stops part-way: it runs with it, as it did when its expectations were written.
        string source = File.ReadAllText(path);
        var outcome = ExecutionModes.Named(tier).Run(source, Path.GetFileName(path), StepBudget.Read(source));

        Assert.Equal(expectedOut, outcome.Stdout);
        Assert.Equal(expectedErr, outcome.Stderr);
        Assert.Equal(expectedExit, outcome.ExitCode);
    }

    [Fact]
    public void CorpusIsLargeAndEveryExpectationHasItsProgram()
    {
        var programs = Directory.EnumerateFiles(TestPaths.Programs, "*.expr", SearchOption.AllDirectories).ToList();
        Assert.True(programs.Count >= 100, $"only {programs.Count} programs in the corpus");
        foreach (string expectation in Directory.EnumerateFiles(TestPaths.Programs, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".out", StringComparison.Ordinal) || f.EndsWith(".err", StringComparison.Ordinal)))
            Assert.True(File.Exists(Path.ChangeExtension(expectation, ".expr")), $"{expectation} has no program");
    }

    private static string ReadOptional(string path) => File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
}
