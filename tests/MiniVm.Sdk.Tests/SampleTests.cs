namespace MiniVm.Sdk.Tests;

/// <summary>
/// The repository's samples, copied to a temporary folder and built against this run's packed
/// packages: the copy gets a global.json pinning this run's MiniVm.Sdk version (in the repository
/// ./build.sh writes it from Version.props) and a nuget.config that sees only the test feed.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class SampleTests(SdkPackages packages)
{
    /// <summary>Copies samples/<paramref name="name"/> (without bin/ and obj/) with the samples' Directory.Build.props.</summary>
    private string CopySample(string name)
    {
        string samples = Path.Combine(TestPaths.RepositoryRoot, "samples");
        string root = packages.NewFolder("samples");
        File.Copy(Path.Combine(samples, "Directory.Build.props"), Path.Combine(root, "Directory.Build.props"));
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "nuget.config"), packages.NuGetConfig);
        File.WriteAllText(Path.Combine(root, "global.json"), $$"""{ "msbuild-sdks": { "MiniVm.Sdk": "{{packages.Version}}" } }""");
        CopyTree(Path.Combine(samples, name), Path.Combine(root, name));
        return Path.Combine(root, name);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.EnumerateDirectories(from))
            if (Path.GetFileName(dir) is not ("bin" or "obj")) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    private DotnetCli.Result Dotnet(string directory, params string[] arguments) => DotnetCli.Run(directory, packages.NuGetPackages, arguments);

    [Fact]
    public void HelloSdkRunsWithDotnetRun()
    {
        string sample = CopySample("hello-sdk");
        // The first restore of the SDK may print the NuGet SDK resolver's progress; the run after it is clean.
        Dotnet(sample, "build").AssertSuccess("dotnet build (hello-sdk)");
        var run = Dotnet(sample, "run").AssertSuccess("dotnet run (hello-sdk)");
        Assert.StartsWith("Hello from MiniVm! This program is main.expr, compiled by MiniVm.Sdk.\n", run.StandardOutput);
        Assert.Contains("@@@@@@@@@@", run.StandardOutput);
        Assert.EndsWith("fib(25) = 75025 | sqrt(2) = 1.4142135623730951 | 12*48+59 = 635\n", run.StandardOutput);
        Assert.Equal("", run.StandardError);
    }

    [Fact]
    public void EmbeddedRulesAreCompiledAndCalledFromCSharp()
    {
        string sample = CopySample("embedded-rules");
        Dotnet(sample, "build").AssertSuccess("dotnet build (embedded-rules)");
        var run = Dotnet(sample, "run").AssertSuccess("dotnet run (embedded-rules)");
        Assert.Contains("notebook        4     12.00      4.90     16.90\n", run.StandardOutput);
        Assert.Contains("paper (box)   120   2295.00     39.90   2334.90\n", run.StandardOutput);
        Assert.Contains("error: unsupported operand types for *: 'string' and 'int'\n  at price (rules/price.expr:15)\n", run.StandardOutput);
        string bin = Path.Combine(sample, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "rules", "price.txtc")));
        Assert.True(File.Exists(Path.Combine(bin, "MiniVm.Runtime.dll")), "the implicit MiniVm.Runtime reference");
        // A project with its own C# gets no exec host.
        Assert.DoesNotContain("MiniVm.EntryPoint", File.ReadAllText(Path.Combine(bin, "embedded-rules.runtimeconfig.json")));
    }

    [Fact]
    public void MultiProjectSampleBuildsInParallel()
    {
        string sample = CopySample("multi");
        var build = Dotnet(sample, "build", "multi.slnx", "-m", "-v:n").AssertSuccess("dotnet build -m (multi)");
        Assert.Contains("MiniVm: compiling 2 file(s)", build.Output); // Shapes
        Assert.Contains("MiniVm: compiling 1 file(s)", build.Output); // Greeter

        string report = Path.Combine(sample, "Report", "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(report, "shapes", "area.txtc")), "the referenced project's scripts are copied like content");
        var table = Dotnet(sample, Path.Combine(report, "Report.dll")).AssertSuccess("Report");
        Assert.Contains("triangle 3-4-5       6.0000    12.0000\n", table.StandardOutput);
        Assert.Contains("circle r=1           3.1416     6.2832\n", table.StandardOutput);

        var greeter = Dotnet(sample, Path.Combine(sample, "Greeter", "bin", "Debug", "net10.0", "Greeter.dll")).AssertSuccess("Greeter");
        Assert.Equal("hello, multi-project build #1\nhello, multi-project build #2\nhello, multi-project build #3\n", greeter.StandardOutput);

        // A second -m build has nothing to compile.
        var again = Dotnet(sample, "build", "multi.slnx", "-m", "-v:n").AssertSuccess("second dotnet build -m (multi)");
        Assert.DoesNotContain("MiniVm: compiling", again.Output);
    }
}
