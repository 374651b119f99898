namespace MiniVm.Sdk.Tests;

/// <summary>samples/multi (three projects, one referencing the other two) built with <c>-m</c>
/// against this run's packed packages; a collection of its own, as it is the longest sample.</summary>
public sealed class MultiProjectSampleTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void MultiProjectSampleBuildsInParallel()
    {
        string sample = Packages.CopySample("multi");
        var build = Packages.Dotnet(sample, "build", "multi.slnx", "-m", "-v:n").AssertSuccess("dotnet build -m (multi)");
        Assert.Contains("MiniVm: compiling 2 file(s)", build.Output); // Shapes
        Assert.Contains("MiniVm: compiling 1 file(s)", build.Output); // Greeter

        string report = Path.Combine(sample, "Report", "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(report, "shapes", "area.txtc")), "the referenced project's scripts are copied like content");
        var table = Packages.Dotnet(sample, Path.Combine(report, "Report.dll")).AssertSuccess("Report");
        Assert.Contains("triangle 3-4-5       6.0000    12.0000\n", table.StandardOutput);
        Assert.Contains("circle r=1           3.1416     6.2832\n", table.StandardOutput);

        var greeter = Packages.Dotnet(sample, Path.Combine(sample, "Greeter", "bin", "Debug", "net10.0", "Greeter.dll")).AssertSuccess("Greeter");
        Assert.Equal("hello, multi-project build #1\nhello, multi-project build #2\nhello, multi-project build #3\n", greeter.StandardOutput);

        // A second -m build has nothing to compile.
        var again = Packages.Dotnet(sample, "build", "multi.slnx", "-m", "-v:n").AssertSuccess("second dotnet build -m (multi)");
        Assert.DoesNotContain("MiniVm: compiling", again.Output);
    }
}
