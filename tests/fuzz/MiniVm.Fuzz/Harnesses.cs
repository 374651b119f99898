using MiniVm.Fuzz.Compiler;
using MiniVm.Fuzz.Engine;
using MiniVm.Fuzz.Loader;

namespace MiniVm.Fuzz;

/// <summary>The harnesses by name, each with its seed corpus read from the repository.</summary>
public static class Harnesses
{
    public static IReadOnlyList<string> Names { get; } = ["loader", "compiler"];

    public static IFuzzHarness Create(string name, string repositoryRoot) => name switch
    {
        "loader" => new LoaderHarness(LoaderCorpus.FromPrograms(RepositoryPaths.Programs(repositoryRoot))),
        "compiler" => new CompilerHarness(CompilerHarness.ReadCorpus(RepositoryPaths.Programs(repositoryRoot))),
        _ => throw new UsageException($"unknown harness '{name}' (expected {string.Join(" or ", Names)})"),
    };
}
