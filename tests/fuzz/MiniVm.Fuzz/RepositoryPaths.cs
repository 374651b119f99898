namespace MiniVm.Fuzz;

/// <summary>Finds the repository (the folder with Build.sln) from the working directory or the binary's.</summary>
public static class RepositoryPaths
{
    public static string FindRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Build.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (the folder with Build.sln); pass --root");
    }

    /// <summary>The program corpus: every harness's seeds come from here.</summary>
    public static string Programs(string root) => Path.Combine(root, "tests", "programs");

    public static string Findings(string root) => Path.Combine(root, "tests", "fuzz", "findings");
}
