using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.File;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Tests;

/// <summary>
/// Every row of the opcode table is executed by every tier: one hand-assembled snippet per
/// opcode with its expected printed result. Adding an opcode without a snippet fails
/// <see cref="EveryOpcodeHasASnippet"/>; an opcode a tier cannot handle fails <see cref="EveryOpcodeRunsInEveryTier"/>.
/// </summary>
public sealed class OpcodeCoverageTests
{
    // Constants: 0 → 7, 1 → 2, 2 → true, 3 → none, 4 → "s".
    private static readonly Constant[] Constants = [Constant.FromInt(7), Constant.FromInt(2), Constant.FromBool(true), Constant.None, Constant.FromString("s")];

    /// <summary>Top-level code per opcode (before "print the top and return none") and what it prints.</summary>
    private static readonly Dictionary<OpCode, (string[] Code, string Printed)> Snippets = new()
    {
        [OpCode.PopTop] = (["LOAD_CONST 0", "LOAD_CONST 1", "POP_TOP"], "7"),
        [OpCode.RotTwo] = (["LOAD_CONST 0", "LOAD_CONST 1", "ROT_TWO", "BINARY_SUBTRACT"], "-5"),
        [OpCode.DupTop] = (["LOAD_CONST 0", "DUP_TOP", "BINARY_MULTIPLY"], "49"),
        [OpCode.UnaryNegative] = (["LOAD_CONST 0", "UNARY_NEGATIVE"], "-7"),
        [OpCode.UnaryNot] = (["LOAD_CONST 2", "UNARY_NOT"], "false"),
        [OpCode.BinaryMultiply] = (["LOAD_CONST 0", "LOAD_CONST 1", "BINARY_MULTIPLY"], "14"),
        [OpCode.BinaryDivide] = (["LOAD_CONST 0", "LOAD_CONST 1", "BINARY_DIVIDE"], "3"),
        [OpCode.BinaryModulo] = (["LOAD_CONST 0", "LOAD_CONST 1", "BINARY_MODULO"], "1"),
        [OpCode.BinaryAdd] = (["LOAD_CONST 4", "LOAD_CONST 4", "BINARY_ADD"], "ss"),
        [OpCode.BinarySubtract] = (["LOAD_CONST 0", "LOAD_CONST 1", "BINARY_SUBTRACT"], "5"),
        [OpCode.PrintExpr] = (["LOAD_CONST 1", "PRINT_EXPR", "LOAD_CONST 3"], "2"),
        [OpCode.ReturnValue] = (["LOAD_CONST 0"], "7"),
        [OpCode.StoreGlobal] = (["LOAD_CONST 0", "STORE_GLOBAL 0", "LOAD_GLOBAL 0"], "7"),
        [OpCode.LoadConst] = (["LOAD_CONST 4"], "s"),
        [OpCode.CompareOp] = (["LOAD_CONST 0", "LOAD_CONST 1", "COMPARE_OP 4"], "true"),
        [OpCode.JumpForward] = (["LOAD_CONST 0", "JUMP_FORWARD 3", "LOAD_CONST 1"], "7"),
        [OpCode.JumpIfFalseOrPop] = (["LOAD_CONST 2", "JUMP_IF_FALSE_OR_POP 9", "LOAD_CONST 0"], "7"),
        [OpCode.JumpIfTrueOrPop] = (["LOAD_CONST 2", "JUMP_IF_TRUE_OR_POP 9", "LOAD_CONST 0"], "true"),
        [OpCode.JumpAbsolute] = (["LOAD_CONST 1", "JUMP_ABSOLUTE 10", "LOAD_CONST 0", "POP_TOP"], "2"),
        [OpCode.PopJumpIfFalse] = (["LOAD_CONST 1", "LOAD_CONST 2", "POP_JUMP_IF_FALSE 9", "LOAD_CONST 0", "POP_TOP"], "2"),
        [OpCode.PopJumpIfTrue] = (["LOAD_CONST 1", "LOAD_CONST 2", "POP_JUMP_IF_TRUE 13", "LOAD_CONST 0", "POP_TOP"], "2"),
        [OpCode.LoadGlobal] = (["LOAD_CONST 1", "STORE_GLOBAL 0", "LOAD_GLOBAL 0"], "2"),
        [OpCode.LoadFast] = (["LOAD_CONST 0", "STORE_FAST 0", "LOAD_FAST 0"], "7"),
        [OpCode.StoreFast] = (["LOAD_CONST 1", "STORE_FAST 0", "LOAD_FAST 0"], "2"),
        [OpCode.CallFunction] = (["LOAD_CONST 0", "CALL_FUNCTION 0"], "8"),
        [OpCode.ExtendedArg] = (["EXTENDED_ARG 0", "LOAD_CONST 1"], "2"),
        [OpCode.CallBuiltin] = (["LOAD_CONST 0", "LOAD_CONST 1", "CALL_BUILTIN 515"], "2"),
        [OpCode.RequireBool] = (["LOAD_CONST 2", "REQUIRE_BOOL 0"], "true"),
    };

    [Fact]
    public void EveryOpcodeHasASnippet()
    {
        var missing = OpcodeTable.All.Where(o => !Snippets.ContainsKey(o.Code)).Select(o => o.Name).ToList();
        Assert.True(missing.Count == 0, "no snippet for " + string.Join(", ", missing));
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var op in OpcodeTable.All)
            foreach (string tier in ProgramCorpusTests.Tiers.Select(t => t.Name))
                data.Add(op.Name, tier);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOpcodeRunsInEveryTier(string opcode, string tier)
    {
        var (code, printed) = Snippets[OpcodeTable.All.Single(o => o.Name == opcode).Code];
        // f(x) = x + 1, for CALL_FUNCTION.
        var increment = Asm.Block("inc", Asm.Code("LOAD_FAST 0", "LOAD_CONST 0", "BINARY_ADD", "RETURN_VALUE"), [Constant.FromInt(1)], 2, paramCount: 1, localCount: 1);
        var top = Asm.Block("<module>", Asm.Code([.. code, "PRINT_EXPR", "LOAD_CONST 3", "RETURN_VALUE"]), Constants, 4, localCount: 1);
        var bytes = TxtcWriter.Write(Asm.Module(top, [increment], ["g"]));
        var output = new StringWriter();
        var options = ProgramCorpusTests.Tiers.Single(t => t.Name == tier).Options();
        options.Output = output;
        MiniVmModule.Load(bytes, "op.txtc").Run(options);
        Assert.Equal(printed + "\n", output.ToString());
    }
}
