using System.Text;
using MiniVm.Compiler;

namespace MiniVm.Tests;

/// <summary>Programs at and beyond the limits of the bytecode format.</summary>
public sealed class CompilerLimitTests
{
    [Fact]
    public void TooManyParametersIsADiagnostic()
    {
        string parameters = string.Join(", ", Enumerable.Range(0, 256).Select(i => $"p{i}"));
        var result = MiniVmCompiler.Compile($"fn wide({parameters}) {{ return p0; }}\n", "wide.expr");
        Assert.Equal("wide.expr(1,4): error MVM4001: function 'wide' has 256 parameters; the limit is 255", Assert.Single(result.Diagnostics).ToString());
    }

    [Fact]
    public void TooManyLocalsIsADiagnostic()
    {
        var source = new StringBuilder("fn big() {\n");
        for (int i = 0; i < 70_000; i++) source.Append("let v").Append(i).Append(" = 1;\n");
        source.Append("}\n");
        var result = MiniVmCompiler.Compile(source.ToString(), "big.expr");
        Assert.Equal("big.expr(1,4): error MVM4001: function 'big' has 70000 local variables; the limit is 65535", Assert.Single(result.Diagnostics).ToString());
    }

    [Fact]
    public void CodeBeyond64KiBUsesExtendedJumpsAndRuns()
    {
        // A loop body of ~90 KB: every jump needs EXTENDED_ARG, in the file and in the interpreter.
        var source = new StringBuilder("let x = 0;\nlet i = 0;\nwhile i < 3 {\n");
        for (int i = 0; i < 9_000; i++) source.Append("x = x + 1;\n");
        source.Append("if i == 1 { i = i + 1; continue; }\ni = i + 1;\n}\nprint(x, i);\n");
        var compiled = MiniVmCompiler.Compile(source.ToString(), "long.expr");
        Assert.True(compiled.Module!.TopLevel.Code.Length > 65_536);
        Assert.Contains((byte)Bytecode.Opcodes.OpCode.ExtendedArg, compiled.Module.TopLevel.Code);
        var outcome = ProgramRunner.Run(source.ToString(), "long.expr", new MiniVmOptions());
        Assert.Equal(("27000 3\n", "", 0), (outcome.Stdout, outcome.Stderr, outcome.ExitCode));
    }

    [Fact]
    public void FramesLargerThanAStackSegmentRun()
    {
        // 10,000 top-level block locals (larger than the first segment) and a function with
        // 60,000 locals that recurses, so frames keep starting new segments.
        var source = new StringBuilder("if true {\n");
        for (int i = 0; i < 10_000; i++) source.Append("let t").Append(i).Append(" = ").Append(i).Append(";\n");
        source.Append("print(t0 + t9999);\n}\nfn big(n) {\n");
        for (int i = 0; i < 60_000; i++) source.Append("let v").Append(i).Append(" = n;\n");
        source.Append("if n == 0 { return v59999; }\nreturn v0 + big(n - 1);\n}\nprint(big(5));\n");
        var outcome = ProgramRunner.Run(source.ToString(), "frames.expr", new MiniVmOptions());
        Assert.Equal(("9999\n15\n", "", 0), (outcome.Stdout, outcome.Stderr, outcome.ExitCode));
        var instance = MiniVmModule.Compile(source.ToString(), "frames.expr").CreateInstance(new MiniVmOptions { Output = TextWriter.Null });
        Assert.Equal(6, instance.Call("big", 3).AsInt);
    }
}
