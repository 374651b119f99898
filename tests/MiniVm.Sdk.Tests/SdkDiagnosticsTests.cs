using MiniVm.Compiler;

namespace MiniVm.Sdk.Tests;

/// <summary>The packed SDK's build errors through the real CLI: compile errors of every file in
/// canonical form, invalid properties and a missing entry point with their MVM codes.</summary>
public sealed class SdkDiagnosticsTests
{
    private static SdkPackages Packages => SdkPackages.Shared;

    [Fact]
    public void EveryErrorOfEveryFileIsReportedInCanonicalForm()
    {
        const string Broken1 = "let x = ;\nprint(y);\n";
        const string Broken2 = "fn f( { }\nlet s = \"abc;\nbreak;\n";
        var project = Packages.CreateProject("broken")
            .Write("main.expr", "print(1);\n")
            .Write("bad1.expr", Broken1)
            .Write("lib/bad2.expr", Broken2);

        var build = project.Dotnet("build").AssertFailure("a build with broken scripts");
        var expected = MiniVmCompiler.Compile(Broken1, "bad1.expr", project.PathOf("bad1.expr")).Diagnostics
            .Concat(MiniVmCompiler.Compile(Broken2, "lib/bad2.expr", project.PathOf("lib/bad2.expr")).Diagnostics)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(expected.Count >= 5, "the scripts should have at least five errors between them");
        foreach (string diagnostic in expected)
            Assert.Contains(diagnostic, build.Output); // path(line,col): error MVM1234: message
        Assert.Contains("error MVM2001", build.Output);
        Assert.Contains("error MVM3001", build.Output);
        Assert.Contains("error MVM1002", build.Output);
        Assert.False(File.Exists(Path.Combine(project.Bin, "bad1.txtc")));
    }

    [Fact]
    public void InvalidPropertiesAndAMissingEntryPointAreBuildErrorsWithCodes()
    {
        // No main.expr: the exec host has nothing to run (MVM5004); every bad property is reported too.
        var project = Packages.CreateProject("invalid").Write("other.expr", "print(1);\n");
        var build = project.Dotnet("build", "-p:MiniVmTier=Turbo", "-p:MiniVmJitThreshold=-5", "-p:MiniVmMaxDepth=0").AssertFailure("a build with invalid properties");
        string csproj = project.PathOf("invalid.csproj");
        Assert.Contains($"{csproj} : error MVM5001: MiniVmTier is 'Turbo'", build.Output);
        Assert.Contains($"{csproj} : error MVM5002: MiniVmJitThreshold is '-5'", build.Output);
        Assert.Contains($"{csproj} : error MVM5003: MiniVmMaxDepth is '0'", build.Output);
        Assert.Contains($"{csproj} : error MVM5004: the program's entry point 'main.expr' is not one of the project's MiniVmCompile items", build.Output);
        Assert.False(File.Exists(Path.Combine(project.Bin, "invalid.runtimeconfig.json")), "nothing should be written after invalid properties");

        // Values are accepted in any case and with surrounding spaces, as the runtime accepts them.
        project.Dotnet("build", "--no-restore", "-p:MiniVmTier= TIERED ", "-p:MiniVmEntryPoint=other.expr").AssertSuccess("a build with valid properties");
        Assert.Equal("tiered", (string?)project.RuntimeConfigProperties()["MiniVm.Tier"]);
    }
}
