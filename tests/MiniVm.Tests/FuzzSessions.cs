using MiniVm.Fuzz;
using MiniVm.Fuzz.Compiler;
using MiniVm.Fuzz.Differential;
using MiniVm.Fuzz.Engine;
using MiniVm.Fuzz.Loader;

namespace MiniVm.Tests;

/// <summary>
/// The fuzz harnesses of tests/fuzz, shared by the tests that run them briefly: one harness of
/// each kind per test run (building the loader's corpus compiles every corpus program).
/// </summary>
internal static class FuzzSessions
{
    private static readonly Lazy<LoaderHarness> LoaderInstance = new(() => new LoaderHarness(LoaderCorpus.FromPrograms(TestPaths.Programs)));
    private static readonly Lazy<CompilerHarness> CompilerInstance = new(() => new CompilerHarness(CompilerHarness.ReadCorpus(TestPaths.Programs)));

    private static readonly Lazy<DifferentialHarness> DifferentialInstance = new(DifferentialHarness.Create);

    public static LoaderHarness Loader => LoaderInstance.Value;
    public static DifferentialHarness Differential => DifferentialInstance.Value;
    public static CompilerHarness Compiler => CompilerInstance.Value;

    /// <summary>A short run with a fixed seed; any finding fails the test with its description
    /// and the saved input (tests/fuzz/findings), so it reproduces with tests/fuzz/run --replay.</summary>
    /// <param name="maxFindings">Distinct findings before the run stops: each differential one is
    /// minimised first (seconds to minutes), so a badly broken tier must not hold the build for long.</param>
    public static FuzzReport RunAndExpectNoFinding(IFuzzHarness harness, ulong seed, long count, int maxFindings = 20)
    {
        var report = FuzzRunner.Run(harness, new FuzzSettings
        {
            Seed = seed,
            Count = count,
            FindingsDirectory = RepositoryPaths.Findings(TestPaths.RepositoryRoot),
            MaxDistinctFindings = maxFindings,
        });
        Assert.True(report.Findings.Count == 0, report.Summary());
        Assert.Equal(count, report.Inputs);
        return report;
    }
}
