using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Model;

namespace MiniVm.Tests;

/// <summary>Hand-made modules that break each rule the verifier enforces: each must be rejected with
/// the loader's exception, naming the block and offset, before anything runs.</summary>
public sealed class VerifierTests
{
    private static readonly Constant[] OneConstant = [Constant.FromInt(1)];

    private static MiniVmLoadException Reject(ModuleImage module)
    {
        byte[] bytes = TxtcWriter.Write(module);
        return Assert.Throws<MiniVmLoadException>(() => MiniVmModule.Load(bytes, "bad.txtc"));
    }

    [Fact]
    public void AcceptsAMinimalModule()
    {
        var module = Asm.Module(Asm.Block("<module>", Asm.Code("LOAD_CONST 0", "RETURN_VALUE"), OneConstant, 1));
        var loaded = MiniVmModule.Load(TxtcWriter.Write(module), "ok.txtc");
        Assert.Equal(1, loaded.Run(new MiniVmOptions { Output = TextWriter.Null }).AsInt);
    }

    [Theory]
    [InlineData(new[] { "BINARY_ADD", "RETURN_VALUE" }, 2, "at offset 0: stack underflow")]
    [InlineData(new[] { "LOAD_CONST 0", "LOAD_CONST 0", "RETURN_VALUE" }, 1, "at offset 3: stack overflow")]
    [InlineData(new[] { "LOAD_CONST 5", "RETURN_VALUE" }, 1, "LOAD_CONST 5: there are 1 constants")]
    [InlineData(new[] { "LOAD_FAST 0", "RETURN_VALUE" }, 1, "LOAD_FAST 0: there are 0 locals")]
    [InlineData(new[] { "LOAD_GLOBAL 0", "RETURN_VALUE" }, 1, "LOAD_GLOBAL 0: there are 0 globals")]
    [InlineData(new[] { "CALL_FUNCTION 0", "RETURN_VALUE" }, 1, "CALL_FUNCTION 0: there are 0 functions")]
    [InlineData(new[] { "JUMP_ABSOLUTE 1", "RETURN_VALUE" }, 1, "not the start of an instruction")]
    [InlineData(new[] { "JUMP_ABSOLUTE 100" }, 1, "outside the code")]
    [InlineData(new[] { "LOAD_CONST 0" }, 1, "execution runs off the end of the code")]
    [InlineData(new[] { "LOAD_CONST 0", "POP_JUMP_IF_FALSE 9", "LOAD_CONST 0", "LOAD_CONST 0", "RETURN_VALUE" }, 2, "stack depth at offset 9 is")]
    [InlineData(new[] { "LOAD_CONST 0", "COMPARE_OP 9", "RETURN_VALUE" }, 2, "unknown comparison 9")]
    [InlineData(new[] { "LOAD_CONST 0", "CALL_BUILTIN 9", "RETURN_VALUE" }, 2, "unknown builtin 9")]
    [InlineData(new[] { "LOAD_CONST 0", "CALL_BUILTIN 513", "RETURN_VALUE" }, 2, "sqrt() cannot take 2 argument(s)")]
    [InlineData(new[] { "LOAD_CONST 0", "REQUIRE_BOOL 7", "RETURN_VALUE" }, 2, "unknown operator 7")]
    [InlineData(new[] { "EXTENDED_ARG 0", "RETURN_VALUE" }, 1, "EXTENDED_ARG precedes RETURN_VALUE")]
    public void RejectsBrokenCode(string[] code, int maxStack, string expected)
    {
        var error = Reject(Asm.Module(Asm.Block("<module>", Asm.Code(code), OneConstant, maxStack)));
        Assert.StartsWith("bad.txtc: verification failed in the top-level code", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void RejectsUnknownOpcode()
    {
        var error = Reject(Asm.Module(Asm.Block("<module>", [0xEE, 83], OneConstant, 1)));
        Assert.Contains("at offset 0: unknown opcode 238", error.Message);
    }

    [Fact]
    public void RejectsTruncatedArgument()
    {
        var error = Reject(Asm.Module(Asm.Block("<module>", [100, 0], OneConstant, 1)));
        Assert.Contains("LOAD_CONST is missing its argument", error.Message);
    }

    [Fact]
    public void NamesTheFunctionThatFails()
    {
        var bad = Asm.Block("helper", Asm.Code("POP_TOP", "RETURN_VALUE"), OneConstant, 1);
        var top = Asm.Block("<module>", Asm.Code("LOAD_CONST 0", "RETURN_VALUE"), OneConstant, 1);
        var error = Reject(Asm.Module(top, [bad]));
        Assert.Contains("verification failed in function 'helper' at offset 0: stack underflow", error.Message);
    }

    [Fact]
    public void RejectsInconsistentCounts()
    {
        var code = Asm.Code("LOAD_CONST 0", "RETURN_VALUE");
        var badParams = new CodeObject("f", 2, 1, 1, 1, code, OneConstant, ["a"], [new LineEntry(0, 1)]);
        Assert.Contains("2 parameters but only 1 locals", Reject(Asm.Module(Asm.Block("<module>", code, OneConstant, 1), [badParams])).Message);
        var badNames = new CodeObject("f", 0, 2, 1, 1, code, OneConstant, ["a"], [new LineEntry(0, 1)]);
        Assert.Contains("1 local names for 2 locals", Reject(Asm.Module(Asm.Block("<module>", code, OneConstant, 1), [badNames])).Message);
        var badLines = new CodeObject("<module>", 0, 0, 1, 1, code, OneConstant, [], [new LineEntry(0, 1), new LineEntry(0, 2)]);
        Assert.Contains("line table row 1 is out of order", Reject(Asm.Module(badLines)).Message);
        var empty = new CodeObject("<module>", 0, 0, 1, 1, [], OneConstant, [], [new LineEntry(0, 1)]);
        Assert.Contains("the code is empty", Reject(Asm.Module(empty)).Message);
    }

    [Fact]
    public void StackDepthIsCheckedAcrossCalls()
    {
        // f takes two arguments; the caller pushes only one.
        var f = Asm.Block("f", Asm.Code("LOAD_FAST 0", "RETURN_VALUE"), OneConstant, 1, paramCount: 2, localCount: 2);
        var top = Asm.Block("<module>", Asm.Code("LOAD_CONST 0", "CALL_FUNCTION 0", "RETURN_VALUE"), OneConstant, 1);
        Assert.Contains("at offset 3: stack underflow: CALL_FUNCTION needs 2 value(s)", Reject(Asm.Module(top, [f])).Message);
    }
}
