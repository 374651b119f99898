using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MiniVm.Compiler;
using MiniVm.Sdk.Tasks;

namespace MiniVm.Sdk.Tests;

/// <summary>The SDK's tasks run in-process against a recording build engine: fast, and able to
/// reach the corners (unreadable files, cancellation, no metadata) a real build rarely does.</summary>
public sealed class TaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minivm-sdk-tasks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs MiniVmPrepareCompile over the given project-relative files, as Sdk.targets does.</summary>
    private (ITaskItem[] Items, FakeBuildEngine Engine, bool Result) Prepare(params ITaskItem[] sources)
    {
        var engine = new FakeBuildEngine();
        var task = new MiniVmPrepareCompile { BuildEngine = engine, Sources = sources, ProjectDirectory = _dir, OutputDirectory = "obj/minivm/" };
        bool result = task.Execute();
        return (task.Items, engine, result);
    }

    private (MiniVmCompile Task, FakeBuildEngine Engine, bool Result) Compile(ITaskItem[] items, Action<MiniVmCompile>? before = null)
    {
        var engine = new FakeBuildEngine();
        var task = new MiniVmCompile { BuildEngine = engine, Sources = items, ProjectDirectory = _dir };
        before?.Invoke(task);
        bool result = task.Execute();
        return (task, engine, result);
    }

    private static string Program(int i) => $"fn f{i}(x) {{ return x * {i} + 1; }}\nlet g = f{i}({i});\nprint(\"script {i}\", g);\n";

    [Fact]
    public void PrepareComputesTargetPathsOutputsAndRelativeSourceNames()
    {
        Write("main.expr", "1\n");
        Write("scripts/rules/price.expr", "1\n");
        string outside = Path.Combine(Path.GetDirectoryName(_dir)!, $"outside-{Guid.NewGuid():N}.expr");
        var (items, engine, ok) = Prepare(
            new TaskItem("main.expr"),
            new TaskItem("scripts/rules/price.expr"),
            new TaskItem("linked.expr", new Dictionary<string, string> { ["Link"] = "lib/linked.expr" }),
            new TaskItem(outside));
        Assert.True(ok, string.Join("\n", engine.CanonicalErrors));
        Assert.Equal(["main.txtc", Path.Combine("scripts", "rules", "price.txtc"), Path.Combine("lib", "linked.txtc"), Path.ChangeExtension(Path.GetFileName(outside), ".txtc")],
            items.Select(i => i.GetMetadata("TargetPath")));
        Assert.Equal(["main.expr", "scripts/rules/price.expr", "lib/linked.expr", Path.GetFileName(outside)], items.Select(i => i.GetMetadata("SourceName")));
        Assert.Equal(Path.Combine(_dir, "obj", "minivm", "scripts", "rules", "price.txtc"), items[1].GetMetadata("OutputFile"));
        Assert.Equal("scripts/rules/price.expr", items[1].ItemSpec); // the identity stays, for MSBuild's Inputs/Outputs correlation
    }

    [Fact]
    public void TwoItemsWithOneOutputAreAnError()
    {
        var (_, engine, ok) = Prepare(new TaskItem("a.expr"), new TaskItem("b.expr", new Dictionary<string, string> { ["Link"] = "a.expr" }));
        Assert.False(ok);
        var error = Assert.Single(engine.Errors);
        Assert.Equal("MVM5007", error.Code);
        Assert.Contains("'b.expr' and 'a.expr' would both compile to 'a.txtc'", error.Message);
    }

    [Fact]
    public void CompilesManyFilesInParallelToTheCompilersBytes()
    {
        var sources = Enumerable.Range(0, 40).Select(i => (ITaskItem)new TaskItem(Path.GetRelativePath(_dir, Write($"s/{i % 4}/f{i}.expr", Program(i))))).ToArray();
        var (items, _, _) = Prepare(sources);
        var (task, engine, ok) = Compile(items);
        Assert.True(ok, string.Join("\n", engine.CanonicalErrors));
        Assert.Empty(engine.Warnings);
        Assert.Equal(40, task.CompiledFiles.Length);
        for (int i = 0; i < 40; i++)
        {
            string output = Path.Combine(_dir, "obj", "minivm", "s", (i % 4).ToString(), $"f{i}.txtc");
            Assert.Equal(MiniVmCompiler.Compile(Program(i), $"s/{i % 4}/f{i}.expr").ToBytes(), File.ReadAllBytes(output));
        }
        Assert.Contains(engine.Messages, m => m.Message == "MiniVm: compiling 40 file(s)");
        // Atomic writes leave no temporary files behind.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "obj"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void EveryDiagnosticOfEveryFileIsLoggedWithPositionAndCode()
    {
        const string Bad1 = "let x = ;\nprint(y);\n";
        const string Bad2 = "fn f( { }\nlet s = \"abc;\n";
        Write("good.expr", "print(1);\n");
        Write("bad1.expr", Bad1);
        Write("sub/bad2.expr", Bad2);
        var (items, _, _) = Prepare(new TaskItem("bad1.expr"), new TaskItem("good.expr"), new TaskItem("sub/bad2.expr"));
        var (task, engine, ok) = Compile(items);

        Assert.False(ok);
        var expected = MiniVmCompiler.Compile(Bad1, "bad1.expr", Path.Combine(_dir, "bad1.expr")).Diagnostics
            .Concat(MiniVmCompiler.Compile(Bad2, "sub/bad2.expr", Path.Combine(_dir, "sub", "bad2.expr")).Diagnostics)
            .Select(d => d.ToString());
        Assert.Equal(expected, engine.CanonicalErrors); // in item order, whatever the threads did
        Assert.All(engine.Errors, e => Assert.Matches("^MVM[1-4][0-9]{3}$", e.Code));
        // The good file still compiled; the broken ones wrote nothing.
        Assert.Equal(Path.Combine(_dir, "obj", "minivm", "good.txtc"), Assert.Single(task.CompiledFiles).ItemSpec);
        Assert.False(File.Exists(Path.Combine(_dir, "obj", "minivm", "bad1.txtc")));
    }

    [Fact]
    public void AnUnchangedResultIsNotRewrittenButItsTimestampIsRefreshed()
    {
        Write("a.expr", "print(1);\n");
        var (items, _, _) = Prepare(new TaskItem("a.expr"));
        Assert.True(Compile(items).Result);
        string output = items[0].GetMetadata("OutputFile");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(output, old);

        var (_, engine, ok) = Compile(items);
        Assert.True(ok);
        Assert.Contains(engine.Messages, m => m.Message!.EndsWith("a.txtc (unchanged)", StringComparison.Ordinal));
        Assert.True(File.GetLastWriteTimeUtc(output) > old.AddYears(20), "the timestamp must move on, or MSBuild would compile it again every build");

        Write("a.expr", "print(2);\n");
        var (_, engine2, _) = Compile(items);
        Assert.Contains(engine2.Messages, m => m.Message!.Contains("MiniVm: 1 file(s) compiled (1 written, 0 unchanged)", StringComparison.Ordinal));
        Assert.Equal(MiniVmCompiler.Compile("print(2);\n", "a.expr").ToBytes(), File.ReadAllBytes(output));
    }

    [Fact]
    public void FileProblemsAreErrorsWithCodesNeverExceptions()
    {
        Write("ok.expr", "print(1);\n");
        File.WriteAllBytes(Path.Combine(_dir, "latin1.expr"), [(byte)'#', 0xE9, (byte)'\n']);
        // An output path whose folder is a file cannot be written.
        File.WriteAllText(Path.Combine(_dir, "blocker"), "");
        var items = new ITaskItem[]
        {
            new TaskItem("missing.expr", new Dictionary<string, string> { ["OutputFile"] = "out/missing.txtc" }),
            new TaskItem("latin1.expr", new Dictionary<string, string> { ["OutputFile"] = "out/latin1.txtc" }),
            new TaskItem("ok.expr", new Dictionary<string, string> { ["OutputFile"] = "blocker/ok.txtc" }),
            new TaskItem("ok.expr"), // no OutputFile metadata: a misuse of the task, still no exception
        };
        var (_, engine, ok) = Compile(items, task => task.Parallel = false);
        Assert.False(ok);
        Assert.Equal(["MVM5005", "MVM5005", "MVM5006", "MVM5900"], engine.Errors.Select(e => e.Code));
        Assert.Equal(Path.Combine(_dir, "missing.expr"), engine.Errors[0].File);
        Assert.Contains("does not exist", engine.Errors[0].Message);
        Assert.Contains("not valid UTF-8", engine.Errors[1].Message);
        Assert.Equal(Path.Combine(_dir, "blocker", "ok.txtc"), engine.Errors[2].File);
    }

    [Fact]
    public void ACanceledCompileStopsWithAnErrorAndWritesNothing()
    {
        var sources = Enumerable.Range(0, 8).Select(i => (ITaskItem)new TaskItem(Path.GetRelativePath(_dir, Write($"c{i}.expr", Program(i))))).ToArray();
        var (items, _, _) = Prepare(sources);
        var (_, engine, ok) = Compile(items, task => task.Cancel());
        Assert.False(ok);
        Assert.Equal("MVM5008", Assert.Single(engine.Errors).Code);
        Assert.False(Directory.Exists(Path.Combine(_dir, "obj", "minivm")));
    }

    [Theory]
    [InlineData(null, null, null, new string[0])]
    [InlineData("Interpreter", "0", "1", new string[0])]
    [InlineData(" JIT ", " 500 ", "2147483647", new string[0])]
    [InlineData("tiered", "", "", new string[0])]
    [InlineData("fast", "-1", "0", new[] { "MVM5001", "MVM5002", "MVM5003" })]
    [InlineData("interpreted", "1e3", "2147483648", new[] { "MVM5001", "MVM5002", "MVM5003" })]
    [InlineData("Jit", "+5", "10 000", new[] { "MVM5002", "MVM5003" })]
    public void PropertiesAreCheckedAsTheRuntimeReadsThem(string? tier, string? threshold, string? depth, string[] codes)
    {
        var engine = new FakeBuildEngine();
        bool ok = new MiniVmValidateProperties { BuildEngine = engine, ProjectFile = "p.csproj", Tier = tier, JitThreshold = threshold, MaxDepth = depth }.Execute();
        Assert.Equal(codes, engine.Errors.Select(e => e.Code));
        Assert.Equal(codes.Length == 0, ok);
        Assert.All(engine.Errors, e => Assert.Equal("p.csproj", e.File));
    }

    [Theory]
    [InlineData("main.expr", true)]
    [InlineData("", true)]
    [InlineData("./main.expr", true)]
    [InlineData("tools/run.expr", true)]
    [InlineData("app/start.expr", true)]
    [InlineData("start.expr", false)]
    [InlineData("missing.expr", false)]
    public void TheEntryPointMustBeOneOfTheScripts(string entryPoint, bool found)
    {
        var scripts = new ITaskItem[]
        {
            new TaskItem("main.expr"),
            new TaskItem("tools/run.expr"),
            new TaskItem("src/start.expr", new Dictionary<string, string> { ["Link"] = "app/start.expr" }),
        };
        var engine = new FakeBuildEngine();
        bool ok = new MiniVmValidateProperties { BuildEngine = engine, EntryPoint = entryPoint, EntryPointRequired = true, Scripts = scripts, ProjectDirectory = _dir }.Execute();
        Assert.Equal(found, ok);
        if (!found) Assert.Equal("MVM5004", Assert.Single(engine.Errors).Code);

        // Without the exec host there is no entry point to check.
        Assert.True(new MiniVmValidateProperties { BuildEngine = new FakeBuildEngine(), EntryPoint = "missing.expr", Scripts = scripts }.Execute());
    }

    [Fact]
    public void TheCompilerIdentityIsStableWithinABuildOfTheCompiler()
    {
        string identity = MiniVmPrepareCompile.ComputeCompilerIdentity();
        Assert.Equal(identity, MiniVmPrepareCompile.ComputeCompilerIdentity());
        Assert.Matches("^compiler=[0-9a-f]{32};bytecode=[0-9a-f]{32};tasks=[0-9a-f]{32}$", identity);
    }
}
