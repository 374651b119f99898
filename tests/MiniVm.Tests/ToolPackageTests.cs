namespace MiniVm.Tests;

/// <summary>
/// The tool as users get it: packed into a folder feed with a version unique to this run,
/// installed into a tool manifest and into a tool path (isolated NuGet packages folder), and
/// run as <c>dotnet minivm</c> both ways and as the <c>dotnet-minivm</c> executable.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minivm-toolpkg-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PackedToolInstallsAndRunsAsDotnetMinivm()
    {
        string version = $"0.0.1-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string feed = Path.Combine(_root, "feed");
        string packages = Path.Combine(_root, "nuget-packages");
        string project = Path.Combine(TestPaths.RepositoryRoot, "tool", "MiniVm.Tool", "MiniVm.Tool.csproj");
        // This machine's package and the portable one (the other platforms' packages take minutes
        // to compile ahead of time and cannot be installed here).
        string here = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        string rids = here is "linux-x64" or "win-x64" ? $"\"{here};any\"" : "any";
        DotnetCli.Run(_root, packages, ["pack", project, "-c", "Release", "-o", feed, $"-p:MiniVmVersion={version}",
                $"-p:ToolPackageRuntimeIdentifiers={rids}", "--artifacts-path", Path.Combine(_root, "artifacts")])
            .AssertSuccess("dotnet pack");

        string work = Path.Combine(_root, "work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="test-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(work, "hello.expr"), "print(\"hello\", 12 * 48 + 59);\n");

        DotnetCli.Run(work, packages, ["new", "tool-manifest"]).AssertSuccess("dotnet new tool-manifest");
        DotnetCli.Run(work, packages, ["tool", "install", "MiniVm.Tool", "--version", version]).AssertSuccess("dotnet tool install (local)");
        var local = DotnetCli.Run(work, packages, ["minivm", "run", "hello.expr"]).AssertSuccess("dotnet minivm run (local tool)");
        Assert.Equal("hello 635\n", local.Output);
        Assert.Equal(version + "\n", DotnetCli.Run(work, packages, ["minivm", "--version"]).Output);

        string toolPath = Path.Combine(_root, "tools");
        DotnetCli.Run(work, packages, ["tool", "install", "MiniVm.Tool", "--version", version, "--tool-path", toolPath]).AssertSuccess("dotnet tool install (tool path)");
        // A global tool is found on PATH as dotnet-minivm, which is what 'dotnet minivm' looks for.
        string path = toolPath + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        string elsewhere = Path.Combine(_root, "elsewhere");
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
