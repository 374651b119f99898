using Xunit.Abstractions;

[assembly: TestCollectionOrderer("MiniVm.Sdk.Tests.LongestFirstOrderer", "MiniVm.Sdk.Tests")]

namespace MiniVm.Sdk.Tests;

/// <summary>
/// Starts the test collections (one per class) that run longest first, so the parallel run does
/// not end with one long collection running alone; the rest keep their default order. Order only:
/// every collection runs, and none depends on another.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    /// <summary>Longest first (measured: several CLI builds each, or the tool's packing to wait for).</summary>
    private static readonly string[] Longest =
    [
        nameof(BuildServerTests),
        nameof(SdkBuildTests),
        nameof(SampleTests),
        nameof(SdkRuntimeConfigTests),
        nameof(SdkDeterminismTests),
        nameof(SdkDiagnosticsTests),
        nameof(MultiProjectSampleTests),
        nameof(SdkItemsTests),
        nameof(ToolPackageTests),
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank);

    private static int Rank(ITestCollection collection)
    {
        // A class's own collection is named "Test collection for Namespace.ClassName".
        int rank = Array.FindIndex(Longest, name => collection.DisplayName.EndsWith("." + name, StringComparison.Ordinal));
        return rank < 0 ? Longest.Length : rank;
    }
}
