using System.Text;
using System.Text.Json.Nodes;
using MiniVm.Compiler;

namespace MiniVm.Sdk.Tests;

/// <summary>
/// The packed SDK driven by the real dotnet CLI on generated projects: build, incrementality,
/// run, publish, clean, diagnostics, properties and runtimeconfig.json, determinism. Assertions
/// that can share one build do (each CLI call costs seconds).
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class SdkBuildTests(SdkPackages packages)
{
    private const string MainScript = """
        fn greet(who) { return "hello, " + who; }
        print(greet("sdk"));
        12 * 48 + 59
        """;

    private const string PriceScript = """
        # pricing rule
        fn price(unit, qty) { return unit * qty; }
        print("price loaded");
        """;

    [Fact]
    public void BuildIsIncrementalAndRunPublishAndCleanHandleTheScripts()
    {
        var project = packages.CreateProject("app").Write("main.expr", MainScript).Write("scripts/price.expr", PriceScript);
        string objMain = Path.Combine(project.ObjScripts, "main.txtc");
        string objPrice = Path.Combine(project.ObjScripts, "scripts", "price.txtc");
        string binMain = Path.Combine(project.Bin, "main.txtc");
        string binPrice = Path.Combine(project.Bin, "scripts", "price.txtc");

        // First build: both scripts compile under obj/ and land in bin/ at the same relative path.
        var first = project.Dotnet("build", "-v:n").AssertSuccess("first build");
        Assert.Contains("MiniVm: compiling 2 file(s)", first.Output);
        foreach (string file in new[] { objMain, objPrice, binMain, binPrice }) Assert.True(File.Exists(file), $"{file} is missing");
        Assert.Equal(File.ReadAllBytes(objPrice), File.ReadAllBytes(binPrice));
        Assert.Equal(MiniVmCompiler.Compile(PriceScript, "scripts/price.expr").ToBytes(), File.ReadAllBytes(binPrice));

        // The default tier is not written (the runtime's default applies); the entry point and the
        // other defaults are.
        var config = RuntimeConfigProperties(project);
        Assert.Null(config["MiniVm.Tier"]);
        Assert.Equal("main.txtc", (string?)config["MiniVm.EntryPoint"]);
        Assert.Equal("500", config["MiniVm.JitThreshold"]!.ToString());
        Assert.Equal("10000", config["MiniVm.MaxDepth"]!.ToString());

        // Nothing changed: the compiler does not run and no .txtc is touched.
        var stamps = Stamps(objMain, objPrice, binMain, binPrice);
        var second = project.Dotnet("build", "-v:n").AssertSuccess("second build");
        Assert.DoesNotContain("MiniVm: compiling", second.Output);
        Assert.Contains("Skipping target \"CoreMiniVmCompile\" because all output files are up-to-date", second.Output);
        Assert.Equal(stamps, Stamps(objMain, objPrice, binMain, binPrice));

        // One of two scripts changed: only it recompiles; the other's outputs stay as they were.
        project.Write("scripts/price.expr", PriceScript + "fn tax(x) { return x * 0.2; }\n");
        var third = project.Dotnet("build", "-v:n").AssertSuccess("build after one script changed");
        Assert.Contains("MiniVm: compiling 1 file(s)", third.Output);
        Assert.Contains("scripts/price.expr -> ", third.Output);
        Assert.DoesNotContain("main.expr -> ", third.Output);
        Assert.Equal(stamps[objMain], File.GetLastWriteTimeUtc(objMain));
        Assert.Equal(stamps[binMain], File.GetLastWriteTimeUtc(binMain));
        Assert.Equal(MiniVmCompiler.Compile(PriceScript + "fn tax(x) { return x * 0.2; }\n", "scripts/price.expr").ToBytes(), File.ReadAllBytes(binPrice));

        // Touched but not changed: compiled again, the identical result is not rewritten, and the
        // next build is a no-op again.
        File.SetLastWriteTimeUtc(project.PathOf("main.expr"), DateTime.UtcNow);
        var touched = project.Dotnet("build", "-v:n").AssertSuccess("build after a touch");
        Assert.Contains("MiniVm: compiling 1 file(s)", touched.Output);
        Assert.Contains("main.expr -> " + objMain + " (unchanged)", touched.Output);
        Assert.DoesNotContain("MiniVm: compiling", project.Dotnet("build", "-v:n").AssertSuccess("build after the touch build").Output);

        // Something other than the sources that decides the output (the SDK or compiler version,
        // kept in the inputs cache) changed: everything recompiles.
        string cache = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "app.MiniVmCompileInputs.cache");
        Assert.Contains($"MiniVm.Sdk {packages.Version}", File.ReadAllText(cache));
        File.WriteAllText(cache, "MiniVm.Sdk 0.0.0-an-older-one\n");
        var recompiled = project.Dotnet("build", "-v:n").AssertSuccess("build after the compiler changed");
        Assert.Contains("MiniVm: compiling 2 file(s)", recompiled.Output);
        Assert.Contains($"MiniVm.Sdk {packages.Version}", File.ReadAllText(cache));

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
    public void EveryErrorOfEveryFileIsReportedInCanonicalForm()
    {
        const string Broken1 = "let x = ;\nprint(y);\n";
        const string Broken2 = "fn f( { }\nlet s = \"abc;\nbreak;\n";
        var project = packages.CreateProject("broken")
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
        var project = packages.CreateProject("invalid").Write("other.expr", "print(1);\n");
        var build = project.Dotnet("build", "-p:MiniVmTier=Turbo", "-p:MiniVmJitThreshold=-5", "-p:MiniVmMaxDepth=0").AssertFailure("a build with invalid properties");
        string csproj = project.PathOf("invalid.csproj");
        Assert.Contains($"{csproj} : error MVM5001: MiniVmTier is 'Turbo'", build.Output);
        Assert.Contains($"{csproj} : error MVM5002: MiniVmJitThreshold is '-5'", build.Output);
        Assert.Contains($"{csproj} : error MVM5003: MiniVmMaxDepth is '0'", build.Output);
        Assert.Contains($"{csproj} : error MVM5004: the program's entry point 'main.expr' is not one of the project's MiniVmCompile items", build.Output);
        Assert.False(File.Exists(Path.Combine(project.Bin, "invalid.runtimeconfig.json")), "nothing should be written after invalid properties");

        // Values are accepted in any case and with surrounding spaces, as the runtime accepts them.
        project.Dotnet("build", "-p:MiniVmTier= TIERED ", "-p:MiniVmEntryPoint=other.expr").AssertSuccess("a build with valid properties");
        Assert.Equal("tiered", (string?)RuntimeConfigProperties(project)["MiniVm.Tier"]);
    }

    [Fact]
    public void TierAndDepthReachRuntimeConfigAndTheProgramObeysThem()
    {
        var project = packages.CreateProject("tiers", properties: """
                <MiniVmTier>Interpreter</MiniVmTier>
                <MiniVmMaxDepth>50</MiniVmMaxDepth>
                <MiniVmJitThreshold>7</MiniVmJitThreshold>
            """).Write("main.expr", """
            fn down(n) {
                if n == 0 { return 0; }
                return down(n - 1) + 1;
            }
            print("depth", down(40));
            print(down(100));
            """);
        project.Dotnet("build").AssertSuccess("build with an explicit tier");
        var config = RuntimeConfigProperties(project);
        Assert.Equal("interpreter", (string?)config["MiniVm.Tier"]);
        Assert.Equal("50", config["MiniVm.MaxDepth"]!.ToString());
        Assert.Equal("7", config["MiniVm.JitThreshold"]!.ToString());

        // The limit of 50 comes from runtimeconfig.json: 40 deep is fine, 100 deep is a run-time
        // error (message and MiniVm trace on stderr, exit code 1) — and the interpreter runs.
        var run = project.Dotnet("run", "--no-build");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("depth 40\n", run.StandardOutput);
        Assert.Contains("error: stack overflow (call depth limit 50 exceeded)", run.StandardError);
        Assert.Contains("at down (main.expr:3)", run.StandardError);
        Assert.Contains("at <module> (main.expr:6)", run.StandardError);

        // Jit and Tiered: written, and the program behaves exactly as in the interpreter (the
        // same output, the same depth-limit error and trace; the JIT keeps the interpreter's frames).
        foreach (string tier in new[] { "Jit", "Tiered" })
        {
            project.Dotnet("build", $"-p:MiniVmTier={tier}").AssertSuccess($"build with the {tier} tier");
            Assert.Equal(tier.ToLowerInvariant(), (string?)RuntimeConfigProperties(project)["MiniVm.Tier"]);
            var compiled = project.RunBuilt();
            Assert.Equal((run.ExitCode, run.StandardOutput, run.StandardError), (compiled.ExitCode, compiled.StandardOutput, compiled.StandardError));
        }

        // An environment variable beats runtimeconfig.json.
        var overridden = project.RunBuilt(new Dictionary<string, string?> { ["MINIVM_TIER"] = "interpreter", ["MINIVM_MAX_DEPTH"] = "1000" });
        Assert.Equal("depth 40\n100\n", overridden.AssertSuccess("run with MINIVM_TIER").StandardOutput);
    }

    [Fact]
    public void TwoCleanBuildsInDifferentDirectoriesGiveIdenticalBytes()
    {
        var builds = new List<TestProject>();
        foreach (string name in new[] { "alpha", "beta" })
        {
            var project = packages.CreateProject("det", parent: Path.Combine(packages.NewFolder(name), "deeper", "still"))
                .Write("main.expr", MainScript)
                .Write("scripts/price.expr", PriceScript)
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
            Assert.DoesNotContain(packages.Root, text);
            Assert.DoesNotContain(builds[0].Directory, text);
        }
        Assert.Equal("hello, sdk\n635\n", builds[1].RunBuilt().AssertSuccess("the second build's program").StandardOutput);
    }

    [Fact]
    public void ItemsCanBeChosenByHandAndTheHooksRun()
    {
        var project = packages.CreateProject("custom", properties: """
                <EnableDefaultMiniVmItems>false</EnableDefaultMiniVmItems>
                <MiniVmEntryPoint>app/start.expr</MiniVmEntryPoint>
            """, items: """
              <ItemGroup>
                <MiniVmCompile Include="src/start.expr" Link="app/start.expr" />
                <MiniVmCompile Include="src/helper.expr" CopyToPublishDirectory="Never" />
              </ItemGroup>
              <Target Name="BeforeMiniVmCompile">
                <Message Importance="high" Text="hook: before (@(MiniVmCompile->Count()) scripts)" />
              </Target>
              <Target Name="AfterMiniVmCompile">
                <Message Importance="high" Text="hook: after" />
              </Target>
            """)
            .Write("src/start.expr", "print(\"started\");\n")
            .Write("src/helper.expr", "fn help() { return 1; }\n")
            .Write("src/ignored.expr", "this is not a valid program\n");

        var build = project.Dotnet("build").AssertSuccess("build with hand-picked items");
        Assert.Contains("hook: before (2 scripts)", build.Output);
        Assert.Contains("hook: after", build.Output);
        Assert.True(File.Exists(Path.Combine(project.Bin, "app", "start.txtc")), "the Link decides the output path");
        Assert.True(File.Exists(Path.Combine(project.Bin, "src", "helper.txtc")));
        Assert.False(File.Exists(Path.Combine(project.Bin, "src", "ignored.txtc")), "default items were switched off");
        Assert.Equal("started\n", project.RunBuilt().AssertSuccess("the program").StandardOutput);
        Assert.Contains("app/start.expr", Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(project.Bin, "app", "start.txtc"))));

        string publish = Path.Combine(project.Directory, "published");
        project.Dotnet("publish", "--no-build", "-c", "Debug", "-o", publish).AssertSuccess("dotnet publish --no-build");
        Assert.True(File.Exists(Path.Combine(publish, "app", "start.txtc")));
        Assert.False(File.Exists(Path.Combine(publish, "src", "helper.txtc")), "CopyToPublishDirectory=Never is honoured");
    }

    [Fact]
    public void TheSdkPackageHoldsTheSdkFilesAndTasksAndNothingElse()
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packages.Feed, $"MiniVm.Sdk.{packages.Version}.nupkg"));
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
        Assert.Contains($"<MiniVmSdkVersion>{packages.Version}</MiniVmSdkVersion>", versionProps);
    }

    private static JsonObject RuntimeConfigProperties(TestProject project)
    {
        string path = Path.Combine(project.Bin, project.Name + ".runtimeconfig.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        return json["runtimeOptions"]!["configProperties"]!.AsObject();
    }

    private static Dictionary<string, DateTime> Stamps(params string[] files) =>
        files.ToDictionary(f => f, File.GetLastWriteTimeUtc);
}
