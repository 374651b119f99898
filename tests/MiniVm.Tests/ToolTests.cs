namespace MiniVm.Tests;

/// <summary>
/// <c>dotnet minivm</c> as a process: every command, exit code and stream, and the failure
/// cases a script will meet (missing files, directories, bad magic, truncation, compile errors
/// in several files, bad option values).
/// </summary>
public sealed class ToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minivm-tool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private ToolProcess.Result Tool(params string[] args) => ToolProcess.Run(_dir, args);

    [Fact]
    public void RunPrintsProgramOutputOnStdout()
    {
        Write("hello.expr", "print(\"hello\", 12 * 48 + 59);\n2 + 3 * 5\n");
        var result = Tool("run", "hello.expr");
        Assert.Equal(("hello 635\n17\n", "", 0), (result.Stdout, result.Stderr, result.ExitCode));
    }

    [Fact]
    public void RuntimeErrorKeepsOutputAndExitsOne()
    {
        Write("math.expr", "fn ratio(a, b) {\n  return a / b;\n}\nprint(\"before\");\nratio(1, 0);\nprint(\"after\");\n");
        var result = Tool("run", "math.expr");
        Assert.Equal("before\n", result.Stdout);
        Assert.Equal("error: division by zero\n  at ratio (math.expr:2)\n  at <module> (math.expr:5)\n", result.Stderr);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public void CompileWritesTxtcThatRunAndDisAndVerifyRead()
    {
        Write("src/a.expr", "print(\"a\");\n");
        Write("src/b.expr", "fn f(x) { return x + 1; }\nprint(f(41));\n");
        var compile = Tool("compile", "src/a.expr", "src/b.expr", "-o", "out");
        Assert.Equal((0, "", ""), (compile.ExitCode, compile.Stdout, compile.Stderr));
        Assert.Equal("42\n", Tool("run", "out/b.txtc").Stdout);
        var dis = Tool("dis", "out/b.txtc");
        Assert.Equal(0, dis.ExitCode);
        Assert.Contains("CALL_FUNCTION        0 (f)", dis.Stdout);
        Assert.Contains("module src/b.expr (format 1)", dis.Stdout);
        var verify = Tool("verify", "out/a.txtc", "out/b.txtc");
        Assert.Equal(("out/a.txtc: ok\nout/b.txtc: ok\n", 0), (verify.Stdout, verify.ExitCode));
    }

    [Fact]
    public void CompileWithoutOutputWritesBesideTheSource()
    {
        Write("dir/prog.expr", "1");
        Assert.Equal(0, Tool("compile", "dir/prog.expr").ExitCode);
        Assert.True(File.Exists(Path.Combine(_dir, "dir", "prog.txtc")));
    }

    [Fact]
    public void CompileErrorsInTwoFilesAreAllReported()
    {
        Write("one.expr", "let x = ;\nprint(y);\n");
        Write("two.expr", "fn f() { return 1 }\n");
        Write("good.expr", "1");
        var result = Tool("compile", "one.expr", "two.expr", "good.expr");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "one.expr(1,9): error MVM2001: expected an expression, found ';'\n" +
            "one.expr(2,7): error MVM3001: name 'y' is not declared\n" +
            "two.expr(1,19): error MVM2001: expected ';' after the 'return' statement, found '}'\n",
            result.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "one.txtc")));
        Assert.True(File.Exists(Path.Combine(_dir, "good.txtc")));
    }

    [Fact]
    public void AFailedCompileLeavesAnEarlierOutputIntact()
    {
        Write("p.expr", "1");
        Assert.Equal(0, Tool("compile", "p.expr").ExitCode);
        byte[] before = File.ReadAllBytes(Path.Combine(_dir, "p.txtc"));
        Write("p.expr", "let = 1;");
        Assert.Equal(2, Tool("compile", "p.expr").ExitCode);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, "p.txtc")));
    }

    [Fact]
    public void RunOfSourceWithCompileErrorsExitsTwo()
    {
        Write("bad.expr", "print(1 +);\n");
        var result = Tool("run", "bad.expr");
        Assert.Equal((2, ""), (result.ExitCode, result.Stdout));
        Assert.StartsWith("bad.expr(1,10): error MVM2001: ", result.Stderr);
    }

    [Fact]
    public void MissingFileExitsFour()
    {
        var result = Tool("run", "nowhere.txtc");
        Assert.Equal((4, "error: nowhere.txtc: file not found\n"), (result.ExitCode, result.Stderr));
    }

    [Fact]
    public void DirectoryGivenAsFileExitsFour()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "folder.txtc"));
        var result = Tool("verify", "folder.txtc");
        Assert.Equal((4, "error: folder.txtc: is a directory, not a file\n"), (result.ExitCode, result.Stderr));
    }

    [Fact]
    public void BadMagicNumberExitsThree()
    {
        File.WriteAllBytes(Path.Combine(_dir, "elf.txtc"), [0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        var result = Tool("run", "elf.txtc");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("error: elf.txtc: not a MiniVm bytecode file (bad magic number 0x464C457F, expected 0x0A0DF303)\n", result.Stderr);
    }

    [Fact]
    public void TruncatedFileExitsThree()
    {
        Write("t.expr", "print(1);\n");
        Tool("compile", "t.expr");
        byte[] bytes = File.ReadAllBytes(Path.Combine(_dir, "t.txtc"));
        File.WriteAllBytes(Path.Combine(_dir, "t.txtc"), bytes[..^5]);
        var result = Tool("verify", "t.txtc");
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("error: t.txtc: truncated", result.Stderr);
    }

    [Theory]
    [InlineData("--tier", "fast")]
    [InlineData("--jit-threshold", "-1")]
    [InlineData("--jit-threshold", "many")]
    [InlineData("--max-depth", "0")]
    public void BadOptionValuesExitTwo(string option, string value)
    {
        Write("one.expr", "1");
        var result = Tool("run", "one.expr", option, value);
        Assert.Equal((2, ""), (result.ExitCode, result.Stdout));
        Assert.StartsWith("error: ", result.Stderr);
    }

    [Fact]
    public void UnknownCommandExitsTwo()
    {
        var result = Tool("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Stderr);
    }

    [Fact]
    public void TierComesFromTheOptionOrTheEnvironment()
    {
        Write("one.expr", "1");
        var jit = Tool("run", "one.expr", "--tier", "jit", "--stats");
        Assert.Equal(("1\n", 0), (jit.Stdout, jit.ExitCode));
        Assert.Contains("[stats] tier: jit", jit.Stderr);
        Assert.Contains("functions compiled: 1,", jit.Stderr); // the top level, compiled before it runs
        var fromEnvironment = ToolProcess.RunWithEnvironment(_dir, new Dictionary<string, string> { ["MINIVM_TIER"] = "interpreter" }, "run", "one.expr", "--stats");
        Assert.Contains("[stats] tier: interpreter", fromEnvironment.Stderr);
        var optionBeatsVariable = ToolProcess.RunWithEnvironment(_dir, new Dictionary<string, string> { ["MINIVM_TIER"] = "interpreter" }, "run", "one.expr", "--tier", "jit", "--stats");
        Assert.Contains("[stats] tier: jit", optionBeatsVariable.Stderr);
        var badVariable = ToolProcess.RunWithEnvironment(_dir, new Dictionary<string, string> { ["MINIVM_TIER"] = "fast" }, "run", "one.expr");
        Assert.Equal(2, badVariable.ExitCode);
        Assert.Contains("MINIVM_TIER", badVariable.Stderr);
    }

    [Fact]
    public void DumpAsmListsCompiledCodeOnStderrAndStatsCountOsr()
    {
        Write("loop.expr", "fn twice(x) {\n  return x * 2;\n}\nlet i = 0;\nwhile i < 5000 {\n  i = i + twice(1) - 1;\n}\nprint(i);\n");
        var result = Tool("run", "loop.expr", "--dump-asm", "--stats", "--no-inline");
        Assert.Equal(("5000\n", 0), (result.Stdout, result.ExitCode));
        Assert.Contains("; twice (loop.expr):", result.Stderr);
        Assert.Contains("BINARY_MULTIPLY   line 2", result.Stderr);
        Assert.Contains("; on-stack-replacement entry for the loop at offset", result.Stderr);
        Assert.Contains("functions compiled: 2, OSR entries: 1,", result.Stderr); // twice when hot, the top level by OSR

        // Inlined (the default), twice is part of the loop's code and never compiled on its own.
        var inlined = Tool("run", "loop.expr", "--jit-log", "--stats");
        Assert.Equal(("5000\n", 0), (inlined.Stdout, inlined.ExitCode));
        Assert.Contains("1 call inlined", inlined.Stderr);
        Assert.Contains("functions compiled: 1, OSR entries: 1,", inlined.Stderr);
    }

    [Fact]
    public void ThePerfMapNamesCompiledFunctions()
    {
        if (!OperatingSystem.IsLinux()) return;
        Write("perf.expr", "fn work(n) { return n + 1; }\nprint(work(1));\n");
        var result = ToolProcess.RunWithEnvironment(_dir, new Dictionary<string, string> { ["MINIVM_PERF_MAP"] = "1" }, "run", "perf.expr", "--tier", "jit");
        Assert.Equal(("2\n", 0), (result.Stdout, result.ExitCode));
        string map = $"/tmp/perf-{result.ProcessId}.map";
        try
        {
            var names = File.ReadAllLines(map).Select(line => line.Split(' ', 3)[2]).ToList();
            Assert.Contains("minivm:perf.expr:work", names);
            Assert.Contains("minivm:perf.expr:<top level>", names);
        }
        finally
        {
            File.Delete(map);
        }
    }

    [Fact]
    public void MaxDepthOptionLimitsRecursion()
    {
        Write("deep.expr", "fn d(n) { if n == 0 { return 0; } return d(n - 1); }\nd(100)\n");
        Assert.Equal("0\n", Tool("run", "deep.expr").Stdout);
        var limited = Tool("run", "deep.expr", "--max-depth", "10");
        Assert.Equal(1, limited.ExitCode);
        Assert.StartsWith("error: stack overflow (call depth limit 10 exceeded)\n  at d (deep.expr:1)\n  at d (deep.expr:1)\n  at d (deep.expr:1)\n  ... (the line above repeats 7 more times)\n  at <module> (deep.expr:2)\n", limited.Stderr);
    }

    [Fact]
    public void StatsGoToStderr()
    {
        Write("one.expr", "1");
        var result = Tool("run", "one.expr", "--stats");
        Assert.Equal("1\n", result.Stdout);
        Assert.Contains("[stats] tier: tiered", result.Stderr); // the default
        Assert.Contains("OSR entries: 0", result.Stderr);
    }

    [Fact]
    public void DisOfSourceCompilesFirst()
    {
        Write("s.expr", "12*48+59");
        var result = Tool("dis", "s.expr");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("LOAD_CONST           0 (635)", result.Stdout);
    }

    [Fact]
    public void HelpAndVersion()
    {
        var help = Tool("run", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Example: dotnet minivm run hello.expr", help.Stdout);
        foreach (string command in new[] { "compile", "dis", "verify" })
            Assert.Contains("Example: dotnet minivm " + command, Tool(command, "--help").Stdout);
        var version = Tool("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith(typeof(MiniVmModule).Assembly.GetName().Version!.ToString(3), version.Stdout.Trim());
    }
}
