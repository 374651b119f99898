namespace MiniVm.Sdk.Tests;

/// <summary>
/// The tool as users get it: packed into a folder feed with a version unique to this run (the
/// run's <see cref="SdkPackages"/>, which packs it once with the runtime and the SDK), installed
/// into a tool manifest and into a tool path (isolated NuGet packages folder), and run as
/// <c>dotnet minivm</c> both ways and as the <c>dotnet-minivm</c> executable.
/// </summary>
public sealed class ToolPackageTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void PackedToolInstallsAndRunsAsDotnetMinivm()
    {
        string version = Packages.Version;
        string feed = Packages.ToolFeed;
        string packages = Packages.NuGetPackages;
        string root = Packages.NewFolder("tool");

        string work = Path.Combine(root, "work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), SdkPackages.NuGetConfigFor(feed));
        File.WriteAllText(Path.Combine(work, "hello.expr"), "print(\"hello\", 12 * 48 + 59);\n");

        DotnetCli.Run(work, packages, ["new", "tool-manifest"]).AssertSuccess("dotnet new tool-manifest");
        DotnetCli.Run(work, packages, ["tool", "install", "MiniVm.Tool", "--version", version]).AssertSuccess("dotnet tool install (local)");
        var local = DotnetCli.Run(work, packages, ["minivm", "run", "hello.expr"]).AssertSuccess("dotnet minivm run (local tool)");
        Assert.Equal("hello 635\n", local.Output);
        Assert.Equal(version + "\n", DotnetCli.Run(work, packages, ["minivm", "--version"]).Output);

        string toolPath = Path.Combine(root, "tools");
        DotnetCli.Run(work, packages, ["tool", "install", "MiniVm.Tool", "--version", version, "--tool-path", toolPath]).AssertSuccess("dotnet tool install (tool path)");
        // A global tool is found on PATH as dotnet-minivm, which is what 'dotnet minivm' looks for.
        string path = toolPath + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        string elsewhere = Path.Combine(root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var global = DotnetCli.Run(elsewhere, packages, ["minivm", "run", Path.Combine(work, "hello.expr")], new Dictionary<string, string?> { ["PATH"] = path })
            .AssertSuccess("dotnet minivm run (tool on PATH)");
        Assert.Equal("hello 635\n", global.Output);

        // On linux-x64 the CLI picked the Native AOT package, not the portable one: one native
        // executable and no managed assembly, whose JIT (Iced, the helpers' function pointers)
        // compiles and runs code.
        if (System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == "linux-x64")
        {
            string installed = Path.Combine(packages, "minivm.tool.linux-x64");
            Assert.True(Directory.Exists(installed), "the linux-x64 tool package was not installed");
            string executable = Assert.Single(Directory.GetFiles(installed, "minivm", SearchOption.AllDirectories));
            Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(executable)[..4]);
            Assert.Empty(Directory.GetFiles(installed, "*.dll", SearchOption.AllDirectories));
            File.WriteAllText(Path.Combine(work, "twice.expr"), "fn twice(x) { return x * 2; }\nprint(twice(21), twice(1.5));\n");
            foreach (string tier in new[] { "jit", "tiered" })
            {
                var compiled = DotnetCli.Run(work, packages, ["minivm", "run", "--tier", tier, "--jit-threshold", "1", "--stats", "twice.expr"])
                    .AssertSuccess($"dotnet minivm run --tier {tier}");
                Assert.Equal("42 3.0\n", compiled.StandardOutput);
                Assert.Matches(@"functions compiled: [1-9]", compiled.StandardError);
            }
        }
    }
}
