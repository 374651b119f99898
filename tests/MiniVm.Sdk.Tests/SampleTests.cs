namespace MiniVm.Sdk.Tests;

/// <summary>
/// The repository's samples hello-sdk and embedded-rules, copied to a temporary folder and built
/// against this run's packed packages (<see cref="SdkPackages.CopySample"/>).
/// </summary>
public sealed class SampleTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void HelloSdkRunsWithDotnetRun()
    {
        string sample = Packages.CopySample("hello-sdk");
        // The first restore of the SDK may print the NuGet SDK resolver's progress; the run after it is clean.
        Packages.Dotnet(sample, "build").AssertSuccess("dotnet build (hello-sdk)");
        var run = Packages.Dotnet(sample, "run").AssertSuccess("dotnet run (hello-sdk)");
        Assert.StartsWith("Hello from MiniVm! This program is main.expr, compiled by MiniVm.Sdk.\n", run.StandardOutput);
        Assert.Contains("@@@@@@@@@@", run.StandardOutput);
        Assert.EndsWith("fib(25) = 75025 | sqrt(2) = 1.4142135623730951 | 12*48+59 = 635\n", run.StandardOutput);
        Assert.Equal("", run.StandardError);
    }

    [Fact]
    public void EmbeddedRulesAreCompiledAndCalledFromCSharp()
    {
        string sample = Packages.CopySample("embedded-rules");
        Packages.Dotnet(sample, "build").AssertSuccess("dotnet build (embedded-rules)");
        var run = Packages.Dotnet(sample, "run").AssertSuccess("dotnet run (embedded-rules)");
        Assert.Contains("notebook        4     12.00      4.90     16.90\n", run.StandardOutput);
        Assert.Contains("paper (box)   120   2295.00     39.90   2334.90\n", run.StandardOutput);
        Assert.Contains("error: unsupported operand types for *: 'string' and 'int'\n  at price (rules/price.expr:15)\n", run.StandardOutput);
        string bin = Path.Combine(sample, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "rules", "price.txtc")));
        Assert.True(File.Exists(Path.Combine(bin, "MiniVm.Runtime.dll")), "the implicit MiniVm.Runtime reference");
        // A project with its own C# gets no exec host.
        Assert.DoesNotContain("MiniVm.EntryPoint", File.ReadAllText(Path.Combine(bin, "embedded-rules.runtimeconfig.json")));
    }
}
