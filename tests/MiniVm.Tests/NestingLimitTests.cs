using MiniVm.Compiler;

namespace MiniVm.Tests;

/// <summary>
/// Deeply nested input must give a diagnostic or a result, never a crash: a .NET stack overflow
/// cannot be caught and would kill the build or the host. Each test also runs the compile on a
/// thread with a small (256 KB) stack, as a host's worker thread might have.
/// </summary>
public sealed class NestingLimitTests
{
    public static TheoryData<string, string> DeepPrograms() => new()
    {
        { "parentheses", new string('(', 100_000) + "1" + new string(')', 100_000) },
        { "unary minus", new string('-', 100_000) + "1" },
        { "not", string.Concat(Enumerable.Repeat("not ", 100_000)) + "true" },
        { "long sum", string.Join(" + ", Enumerable.Repeat("1", 100_000)) },
        { "long and-chain", string.Join(" and ", Enumerable.Repeat("true", 100_000)) },
        { "nested blocks", string.Concat(Enumerable.Repeat("if true { ", 100_000)) + string.Concat(Enumerable.Repeat("} ", 100_000)) },
        { "else-if chain", "let x = 1;\n" + string.Concat(Enumerable.Repeat("if x == 0 { x = 1; } else ", 100_000)) + "{ x = 2; }" },
        { "nested calls", string.Concat(Enumerable.Repeat("abs(", 100_000)) + "1" + new string(')', 100_000) },
        { "unclosed", new string('(', 100_000) },
    };

    [Theory]
    [MemberData(nameof(DeepPrograms))]
    public void DeepNestingIsADiagnosticNotACrash(string what, string source)
    {
        foreach (int stackSize in new[] { 0, 256 * 1024 })
        {
            CompileResult? result = null;
            var thread = new Thread(() => result = MiniVmCompiler.Compile(source, "deep.expr"), stackSize);
            thread.Start();
            thread.Join();
            Assert.NotNull(result);
            Assert.False(result!.Success, what);
            var diagnostic = Assert.Single(result.Diagnostics, d => d.Code == "MVM2002");
            Assert.StartsWith("deep.expr(", diagnostic.ToString());
        }
    }

    [Fact]
    public void NestingWithinTheLimitsCompilesAndRuns()
    {
        string source = new string('(', 200) + "1" + new string(')', 200) + " + " + string.Join(" + ", Enumerable.Repeat("1", 900));
        var outcome = ProgramRunner.Run(source, "ok.expr", new MiniVmOptions());
        Assert.Equal("901\n", outcome.Stdout);
    }
}
