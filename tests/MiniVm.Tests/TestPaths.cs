using System.Runtime.CompilerServices;

namespace MiniVm.Tests;

/// <summary>Where the repository's test data lives, found from this source file's location.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Programs => Path.Combine(RepositoryRoot, "tests", "programs");

    public static string Data => Path.Combine(RepositoryRoot, "tests", "data");

    private static string FindRoot([CallerFilePath] string thisFile = "")
    {
        // Prefer walking up from the test assembly (works from any checkout location).
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(thisFile) ?? "" })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Build.sln"))) return dir.FullName;
                dir = dir.Parent;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Build.sln)");
    }
}
