using System.Text;

namespace MiniVm.Sdk.Tests;

/// <summary>Two clean builds of the same scripts in different folders give identical bytes,
/// with project-relative source names only.</summary>
public sealed class SdkDeterminismTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void TwoCleanBuildsInDifferentDirectoriesGiveIdenticalBytes()
    {
        var builds = new List<TestProject>();
        foreach (string name in new[] { "alpha", "beta" })
        {
            var project = Packages.CreateProject("det", parent: Path.Combine(Packages.NewFolder(name), "deeper", "still"))
                .Write("main.expr", SdkScripts.Main)
                .Write("scripts/price.expr", SdkScripts.Price)
                .Write("scripts/nested/deep.expr", "fn f(x) { return x / 0; }\nprint(f(1));\n");
            project.Dotnet("build").AssertSuccess($"build in {name}");
            builds.Add(project);
        }
        foreach (string file in new[] { "main.txtc", "scripts/price.txtc", "scripts/nested/deep.txtc" })
        {
            byte[] one = File.ReadAllBytes(Path.Combine(builds[0].Bin, file));
            byte[] two = File.ReadAllBytes(Path.Combine(builds[1].Bin, file));
            Assert.Equal(one, two);
            // The stored source name is the project-relative path, never a machine's absolute path.
            string text = Encoding.UTF8.GetString(one);
            Assert.Contains(Path.ChangeExtension(file, ".expr"), text);
            Assert.DoesNotContain(Packages.Root, text);
            Assert.DoesNotContain(builds[0].Directory, text);
        }
        Assert.Equal("hello, sdk\n635\n", builds[1].RunBuilt().AssertSuccess("the second build's program").StandardOutput);
    }
}
