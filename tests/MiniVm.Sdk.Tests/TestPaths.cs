namespace MiniVm.Sdk.Tests;

/// <summary>Where the repository is, found by walking up from the test assembly to Build.sln.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Build.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Build.sln) above " + AppContext.BaseDirectory);
    }
}
