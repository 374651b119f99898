using MiniVm.Fuzz.Compiler;
using MiniVm.Fuzz.Differential;
using MiniVm.Fuzz.Engine;
using MiniVm.Fuzz.Loader;

namespace MiniVm.Fuzz;

/// <summary>The harnesses by name, each with its seed corpus read from the repository (the differential
/// harness needs none: it generates its programs).</summary>
public static class Harnesses
{
    public static IReadOnlyList<string> Names { get; } = ["loader", "compiler", "differential"];

    public static IFuzzHarness Create(string name, string repositoryRoot) => name switch
    {
        "loader" => new LoaderHarness(LoaderCorpus.FromPrograms(RepositoryPaths.Programs(repositoryRoot))),
        "compiler" => new CompilerHarness(CompilerHarness.ReadCorpus(RepositoryPaths.Programs(repositoryRoot))),
        "differential" => DifferentialHarness.Create(),
        _ => throw new UsageException($"unknown harness '{name}' (expected {string.Join(" or ", Names)})"),
    };
}
