using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Interpreter;

/// <summary>
/// Superinstructions of the interpreter's decoded form only. <see cref="Specializer"/> rewrites
/// the first instruction of a common sequence into one of these; the instructions after it stay
/// in place, so a jump into the middle of a sequence still runs the original instructions, and
/// the file format, verifier and disassembler never see these numbers (above every real opcode).
/// Each comment gives the sequence it stands for.
/// </summary>
internal enum FusedOp : byte
{
    /// <summary>COMPARE_OP k; POP_JUMP_IF_FALSE t.</summary>
    CompareJumpIfFalse = 200,
    /// <summary>COMPARE_OP k; POP_JUMP_IF_TRUE t.</summary>
    CompareJumpIfTrue = 201,
    /// <summary>LOAD_FAST a; LOAD_CONST c.</summary>
    LoadFastLoadConst = 202,
    /// <summary>LOAD_FAST a; LOAD_FAST b.</summary>
    LoadFastLoadFast = 203,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_ADD.</summary>
    LoadFastConstAdd = 204,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_SUBTRACT.</summary>
    LoadFastConstSubtract = 205,
    /// <summary>LOAD_FAST a; LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_FALSE t.</summary>
    LoadFastConstCompareJumpIfFalse = 206,
    /// <summary>LOAD_FAST a; LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_TRUE t.</summary>
    LoadFastConstCompareJumpIfTrue = 207,
    /// <summary>STORE_FAST a; LOAD_FAST b.</summary>
    StoreFastLoadFast = 208,
    /// <summary>LOAD_GLOBAL g; LOAD_CONST c.</summary>
    LoadGlobalLoadConst = 209,
}

/// <summary>The peephole pass that places <see cref="FusedOp"/>s into decoded code.</summary>
internal static class Specializer
{
    public static OpCode Op(FusedOp op) => (OpCode)(byte)op;

    /// <summary>Rewrites sequence heads in <paramref name="code"/>; reads only opcodes of the
    /// original sequence (<paramref name="original"/>) and never changes an argument.</summary>
    public static void Apply(Instr[] code)
    {
        var original = (Instr[])code.Clone();
        OpCode At(int i) => i < original.Length ? original[i].Op : 0;
        for (int i = 0; i < original.Length; i++)
        {
            FusedOp? fused = (At(i), At(i + 1), At(i + 2), At(i + 3)) switch
            {
                (OpCode.LoadFast, OpCode.LoadConst, OpCode.CompareOp, OpCode.PopJumpIfFalse) => FusedOp.LoadFastConstCompareJumpIfFalse,
                (OpCode.LoadFast, OpCode.LoadConst, OpCode.CompareOp, OpCode.PopJumpIfTrue) => FusedOp.LoadFastConstCompareJumpIfTrue,
                (OpCode.LoadFast, OpCode.LoadConst, OpCode.BinaryAdd, _) => FusedOp.LoadFastConstAdd,
                (OpCode.LoadFast, OpCode.LoadConst, OpCode.BinarySubtract, _) => FusedOp.LoadFastConstSubtract,
                (OpCode.LoadFast, OpCode.LoadConst, _, _) => FusedOp.LoadFastLoadConst,
                (OpCode.LoadFast, OpCode.LoadFast, _, _) => FusedOp.LoadFastLoadFast,
                (OpCode.StoreFast, OpCode.LoadFast, _, _) => FusedOp.StoreFastLoadFast,
                (OpCode.LoadGlobal, OpCode.LoadConst, _, _) => FusedOp.LoadGlobalLoadConst,
                (OpCode.CompareOp, OpCode.PopJumpIfFalse, _, _) => FusedOp.CompareJumpIfFalse,
                (OpCode.CompareOp, OpCode.PopJumpIfTrue, _, _) => FusedOp.CompareJumpIfTrue,
                _ => null,
            };
            if (fused is { } f) code[i] = new Instr(Op(f), original[i].Arg);
        }
    }
}
