namespace MiniVm.Tests;

/// <summary>
/// Every benchmark program (bench/programs/NAME.expr) prints its expected output (NAME.out, the
/// output every reference runtime must also print) in every MiniVm tier. Timings are never
/// asserted here: speed is measured by bench/run.
/// </summary>
public sealed class BenchProgramTests
{
    private static string Programs => Path.Combine(TestPaths.RepositoryRoot, "bench", "programs");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in Directory.EnumerateFiles(Programs, "*.expr").Order(StringComparer.Ordinal))
            foreach (string tier in ProgramCorpusTests.Tiers.Select(t => t.Name))
                data.Add(Path.GetFileName(file), tier);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BenchProgramGivesItsExpectedOutput(string program, string tier)
    {
        string path = Path.Combine(Programs, program);
        var options = ProgramCorpusTests.Tiers.Single(t => t.Name == tier).Options();
        var outcome = ProgramRunner.Run(File.ReadAllText(path), program, options);
        Assert.Equal(("", 0), (outcome.Stderr, outcome.ExitCode));
        Assert.Equal(File.ReadAllText(Path.ChangeExtension(path, ".out")), outcome.Stdout);
    }

    [Fact]
    public void EveryWorkloadExistsInEveryLanguage()
    {
        foreach (string workload in new[] { "fib", "loop", "dist", "mandel", "branchy", "spec", "hello" })
            foreach (string extension in new[] { ".expr", ".py", ".lua", ".js", ".c", ".out" })
                Assert.True(File.Exists(Path.Combine(Programs, workload + extension)), $"bench/programs/{workload}{extension} is missing");
    }
}
