using System.Text;
using MiniVm.Compiler;

namespace MiniVm.Sdk.Tests;

/// <summary>
/// The packed SDK driven by the real dotnet CLI on a generated project: build, incrementality,
/// run, publish and clean, and what the package holds. Assertions that can share one build do
/// (each CLI call costs seconds). Every end-to-end class is an xUnit collection of its own, so the
/// classes run in parallel, each on its own generated projects (SdkPackages packs once).
/// </summary>
public sealed class SdkBuildTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void BuildIsIncrementalAndRunPublishAndCleanHandleTheScripts()
    {
        var project = Packages.CreateProject("app").Write("main.expr", SdkScripts.Main).Write("scripts/price.expr", SdkScripts.Price);
        string objMain = Path.Combine(project.ObjScripts, "main.txtc");
        string objPrice = Path.Combine(project.ObjScripts, "scripts", "price.txtc");
        string binMain = Path.Combine(project.Bin, "main.txtc");
        string binPrice = Path.Combine(project.Bin, "scripts", "price.txtc");

        // First build: both scripts compile under obj/ and land in bin/ at the same relative path.
        var first = project.Dotnet("build", "-v:n").AssertSuccess("first build");
        Assert.Contains("MiniVm: compiling 2 file(s)", first.Output);
        foreach (string file in new[] { objMain, objPrice, binMain, binPrice }) Assert.True(File.Exists(file), $"{file} is missing");
        Assert.Equal(File.ReadAllBytes(objPrice), File.ReadAllBytes(binPrice));
        Assert.Equal(MiniVmCompiler.Compile(SdkScripts.Price, "scripts/price.expr").ToBytes(), File.ReadAllBytes(binPrice));

        // The default tier is not written (the runtime's default applies); the entry point and the
        // other defaults are.
        var config = project.RuntimeConfigProperties();
        Assert.Null(config["MiniVm.Tier"]);
        Assert.Equal("main.txtc", (string?)config["MiniVm.EntryPoint"]);
        Assert.Equal("500", config["MiniVm.JitThreshold"]!.ToString());
        Assert.Equal("10000", config["MiniVm.MaxDepth"]!.ToString());

        // Nothing changed: the compiler does not run and no .txtc is touched. (The builds after the
        // first skip the restore, which has nothing to do with the scripts.)
        var stamps = Stamps(objMain, objPrice, binMain, binPrice);
        var second = project.Dotnet("build", "--no-restore", "-v:n").AssertSuccess("second build");
        Assert.DoesNotContain("MiniVm: compiling", second.Output);
        Assert.Contains("Skipping target \"CoreMiniVmCompile\" because all output files are up-to-date", second.Output);
        Assert.Equal(stamps, Stamps(objMain, objPrice, binMain, binPrice));

        // One of two scripts changed: only it recompiles; the other's outputs stay as they were.
        project.Write("scripts/price.expr", SdkScripts.Price + "fn tax(x) { return x * 0.2; }\n");
        var third = project.Dotnet("build", "--no-restore", "-v:n").AssertSuccess("build after one script changed");
        Assert.Contains("MiniVm: compiling 1 file(s)", third.Output);
        Assert.Contains("scripts/price.expr -> ", third.Output);
        Assert.DoesNotContain("main.expr -> ", third.Output);
        Assert.Equal(stamps[objMain], File.GetLastWriteTimeUtc(objMain));
        Assert.Equal(stamps[binMain], File.GetLastWriteTimeUtc(binMain));
        Assert.Equal(MiniVmCompiler.Compile(SdkScripts.Price + "fn tax(x) { return x * 0.2; }\n", "scripts/price.expr").ToBytes(), File.ReadAllBytes(binPrice));

        // Touched but not changed: compiled again, the identical result is not rewritten, and the
        // next build is a no-op again.
        File.SetLastWriteTimeUtc(project.PathOf("main.expr"), DateTime.UtcNow);
        var touched = project.Dotnet("build", "--no-restore", "-v:n").AssertSuccess("build after a touch");
        Assert.Contains("MiniVm: compiling 1 file(s)", touched.Output);
        Assert.Contains("main.expr -> " + objMain + " (unchanged)", touched.Output);
        Assert.DoesNotContain("MiniVm: compiling", project.Dotnet("build", "--no-restore", "-v:n").AssertSuccess("build after the touch build").Output);

        // Something other than the sources that decides the output (the SDK or compiler version,
        // kept in the inputs cache) changed: everything recompiles.
        string cache = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "app.MiniVmCompileInputs.cache");
        Assert.Contains($"MiniVm.Sdk {Packages.Version}", File.ReadAllText(cache));
        File.WriteAllText(cache, "MiniVm.Sdk 0.0.0-an-older-one\n");
        var recompiled = project.Dotnet("build", "--no-restore", "-v:n").AssertSuccess("build after the compiler changed");
        Assert.Contains("MiniVm: compiling 2 file(s)", recompiled.Output);
        Assert.Contains($"MiniVm.Sdk {Packages.Version}", File.ReadAllText(cache));

        // dotnet run: the exec host runs main.expr (the final expression's value is printed).
        var run = project.Dotnet("run", "--no-build").AssertSuccess("dotnet run");
        Assert.Equal("hello, sdk\n635\n", run.StandardOutput);

        // dotnet publish: the scripts are in the publish folder at the same paths, and it runs there.
        string publish = Path.Combine(project.Directory, "published");
        project.Dotnet("publish", "-o", publish).AssertSuccess("dotnet publish");
        Assert.True(File.Exists(Path.Combine(publish, "main.txtc")));
        Assert.True(File.Exists(Path.Combine(publish, "scripts", "price.txtc")));
        Assert.Equal("hello, sdk\n635\n", project.RunBuilt(directory: publish).AssertSuccess("the published program").StandardOutput);

        // The exec host's exit codes are the tool's: 3 for a bad .txtc, 4 for a missing one.
        File.WriteAllBytes(Path.Combine(publish, "main.txtc"), Encoding.ASCII.GetBytes("not bytecode"));
        var bad = project.RunBuilt(directory: publish);
        Assert.Equal(3, bad.ExitCode);
        Assert.Contains("main.txtc", bad.StandardError);
        File.Delete(Path.Combine(publish, "main.txtc"));
        var missing = project.RunBuilt(directory: publish);
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("file not found", missing.StandardError);

        // dotnet clean removes the compiled scripts from obj/ and bin/.
        project.Dotnet("clean").AssertSuccess("dotnet clean");
        foreach (string file in new[] { objMain, objPrice, binMain, binPrice }) Assert.False(File.Exists(file), $"{file} survived dotnet clean");
    }

    [Fact]
    public void TheSdkPackageHoldsTheSdkFilesAndTasksAndNothingElse()
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(Packages.Feed, $"MiniVm.Sdk.{Packages.Version}.nupkg"));
        var files = package.Entries.Select(e => e.FullName).Where(f => !f.StartsWith("package/", StringComparison.Ordinal) && !f.StartsWith("_rels/", StringComparison.Ordinal) && f != "[Content_Types].xml").Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "MiniVm.Sdk.nuspec",
            "README.md",
            "Sdk/ExecHost/MiniVmExecHost.cs",
            "Sdk/MiniVm.Sdk.Version.props",
            "Sdk/Sdk.props",
            "Sdk/Sdk.targets",
            "tasks/net10.0/MiniVm.Bytecode.dll",
            "tasks/net10.0/MiniVm.Compiler.dll",
            "tasks/net10.0/MiniVm.Sdk.Tasks.dll",
        ], files);
        string nuspec = new StreamReader(package.GetEntry("MiniVm.Sdk.nuspec")!.Open()).ReadToEnd();
        Assert.Contains("<packageType name=\"MSBuildSdk\" />", nuspec);
        Assert.DoesNotContain("<dependencies", nuspec);
        string versionProps = new StreamReader(package.GetEntry("Sdk/MiniVm.Sdk.Version.props")!.Open()).ReadToEnd();
        Assert.Contains($"<MiniVmSdkVersion>{Packages.Version}</MiniVmSdkVersion>", versionProps);
    }

    private static Dictionary<string, DateTime> Stamps(params string[] files) =>
        files.ToDictionary(f => f, File.GetLastWriteTimeUtc);
}
