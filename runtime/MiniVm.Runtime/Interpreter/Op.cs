using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Interpreter;

/// <summary>
/// The interpreter's own opcode numbers, dense from 0 so its <c>switch</c> compiles to one jump
/// table (the file's CPython numbers are sparse, which turns a switch into a tree of compares).
/// The first group mirrors <see cref="OpCode"/> one to one (<see cref="Decode"/> maps them; both
/// jump forms become <see cref="Jump"/> and EXTENDED_ARG is folded away). The second group are
/// superinstructions that <see cref="Specializer"/> places at the head of common sequences; the
/// instructions after the head stay in place, so a jump into the middle of a sequence still runs
/// the originals. The file format, verifier and disassembler never see these numbers.
/// </summary>
internal enum Op : byte
{
    PopTop,
    RotTwo,
    DupTop,
    UnaryNegative,
    UnaryNot,
    BinaryMultiply,
    BinaryDivide,
    BinaryModulo,
    BinaryAdd,
    BinarySubtract,
    PrintExpr,
    ReturnValue,
    StoreGlobal,
    LoadConst,
    CompareOp,
    JumpIfFalseOrPop,
    JumpIfTrueOrPop,
    Jump,
    PopJumpIfFalse,
    PopJumpIfTrue,
    LoadGlobal,
    LoadFast,
    StoreFast,
    CallFunction,
    CallBuiltin,
    RequireBool,

    /// <summary>COMPARE_OP k; POP_JUMP_IF_FALSE t.</summary>
    CompareJumpIfFalse,
    /// <summary>COMPARE_OP k; POP_JUMP_IF_TRUE t.</summary>
    CompareJumpIfTrue,
    /// <summary>LOAD_FAST a; LOAD_CONST c.</summary>
    LoadFastLoadConst,
    /// <summary>LOAD_FAST a; LOAD_FAST b.</summary>
    LoadFastLoadFast,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_ADD.</summary>
    LoadFastConstAdd,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_SUBTRACT.</summary>
    LoadFastConstSubtract,
    /// <summary>LOAD_FAST a; LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_FALSE t.</summary>
    LoadFastConstCompareJumpIfFalse,
    /// <summary>LOAD_FAST a; LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_TRUE t.</summary>
    LoadFastConstCompareJumpIfTrue,
    /// <summary>STORE_FAST a; LOAD_FAST b.</summary>
    StoreFastLoadFast,
    /// <summary>LOAD_GLOBAL g; LOAD_CONST c.</summary>
    LoadGlobalLoadConst,
    /// <summary>LOAD_FAST b; BINARY_ADD: the right operand is a local.</summary>
    LoadFastAdd,
    /// <summary>LOAD_FAST b; BINARY_SUBTRACT.</summary>
    LoadFastSubtract,
    /// <summary>LOAD_FAST b; BINARY_MULTIPLY.</summary>
    LoadFastMultiply,
    /// <summary>LOAD_CONST c; BINARY_ADD: the right operand is a constant.</summary>
    LoadConstAdd,
    /// <summary>LOAD_CONST c; BINARY_SUBTRACT.</summary>
    LoadConstSubtract,
    /// <summary>LOAD_CONST c; BINARY_MULTIPLY.</summary>
    LoadConstMultiply,
    /// <summary>LOAD_CONST c; BINARY_DIVIDE.</summary>
    LoadConstDivide,
    /// <summary>LOAD_CONST c; BINARY_MODULO.</summary>
    LoadConstModulo,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_ADD; STORE_FAST d: a register-style <c>d = a + b</c>.</summary>
    LocalLocalAddStore,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_SUBTRACT; STORE_FAST d.</summary>
    LocalLocalSubtractStore,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_MULTIPLY; STORE_FAST d.</summary>
    LocalLocalMultiplyStore,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_ADD; STORE_FAST d: <c>i = i + 1</c> and its kin.</summary>
    LocalConstAddStore,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_SUBTRACT; STORE_FAST d.</summary>
    LocalConstSubtractStore,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_MULTIPLY; STORE_FAST d.</summary>
    LocalConstMultiplyStore,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_DIVIDE; STORE_FAST d.</summary>
    LocalConstDivideStore,
    /// <summary>LOAD_FAST a; LOAD_CONST c; BINARY_MODULO; STORE_FAST d.</summary>
    LocalConstModuloStore,
    /// <summary>LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_FALSE t.</summary>
    LoadConstCompareJumpIfFalse,
    /// <summary>LOAD_CONST c; COMPARE_OP k; POP_JUMP_IF_TRUE t.</summary>
    LoadConstCompareJumpIfTrue,
    /// <summary>LOAD_FAST a; RETURN_VALUE.</summary>
    LoadFastReturn,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_ADD: pushes <c>a + b</c>.</summary>
    LocalLocalAdd,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_SUBTRACT.</summary>
    LocalLocalSubtract,
    /// <summary>LOAD_FAST a; LOAD_FAST b; BINARY_MULTIPLY.</summary>
    LocalLocalMultiply,
    /// <summary>LOAD_CONST c; LOAD_FAST a; BINARY_MULTIPLY: pushes <c>c * a</c>.</summary>
    ConstLocalMultiply,
    /// <summary>LOAD_FAST b; BINARY_ADD; STORE_FAST d: pops <c>a</c> and stores <c>a + b</c>.</summary>
    LoadFastAddStore,
    /// <summary>CALL_BUILTIN sqrt with one argument: numbers inline, anything else the general builtin call.</summary>
    CallSqrt,

    // The tiered mode's code only (see FunctionCode.Prepare): the places where the interpreter
    // counts hotness and hands over to compiled code. The interpreter mode never sees them.

    /// <summary>CALL_FUNCTION that counts the call and enters the callee's compiled code once it has some.</summary>
    TieredCall,
    /// <summary>A backward JUMP_ABSOLUTE (a loop's back-edge): counts, and enters compiled code by on-stack replacement when hot.</summary>
    LoopJump,
    /// <summary>A backward POP_JUMP_IF_FALSE.</summary>
    LoopJumpIfFalse,
    /// <summary>A backward POP_JUMP_IF_TRUE (the bottom test of a <c>while</c> loop).</summary>
    LoopJumpIfTrue,

    // Also the tiered mode's only: the places where the interpreter profiles what the optimizing
    // compile speculates on (see Jit/Profiling/FunctionProfile.cs).

    /// <summary>A forward POP_JUMP_IF_FALSE that counts which way it goes.</summary>
    ProfiledJumpIfFalse,
    /// <summary>A forward POP_JUMP_IF_TRUE that counts which way it goes.</summary>
    ProfiledJumpIfTrue,
    /// <summary>LOAD_GLOBAL that records the kind it loaded.</summary>
    ProfiledLoadGlobal,
    /// <summary>RETURN_VALUE that records the result's kind at the caller's call site.</summary>
    TieredReturn,

    /// <summary>The one instruction of a code block not yet prepared (see <see cref="FunctionCode"/>):
    /// prepares the block, then continues at its first instruction. A call enters it as it enters
    /// any code, so the call path never checks whether its callee is prepared.</summary>
    Prepare,
}

internal static class OpDecoding
{
    /// <summary>The interpreter's number for a file opcode (never EXTENDED_ARG, which decoding folds away).</summary>
    public static Op Decode(OpCode code) => code switch
    {
        OpCode.PopTop => Op.PopTop,
        OpCode.RotTwo => Op.RotTwo,
        OpCode.DupTop => Op.DupTop,
        OpCode.UnaryNegative => Op.UnaryNegative,
        OpCode.UnaryNot => Op.UnaryNot,
        OpCode.BinaryMultiply => Op.BinaryMultiply,
        OpCode.BinaryDivide => Op.BinaryDivide,
        OpCode.BinaryModulo => Op.BinaryModulo,
        OpCode.BinaryAdd => Op.BinaryAdd,
        OpCode.BinarySubtract => Op.BinarySubtract,
        OpCode.PrintExpr => Op.PrintExpr,
        OpCode.ReturnValue => Op.ReturnValue,
        OpCode.StoreGlobal => Op.StoreGlobal,
        OpCode.LoadConst => Op.LoadConst,
        OpCode.CompareOp => Op.CompareOp,
        OpCode.JumpForward => Op.Jump,
        OpCode.JumpIfFalseOrPop => Op.JumpIfFalseOrPop,
        OpCode.JumpIfTrueOrPop => Op.JumpIfTrueOrPop,
        OpCode.JumpAbsolute => Op.Jump,
        OpCode.PopJumpIfFalse => Op.PopJumpIfFalse,
        OpCode.PopJumpIfTrue => Op.PopJumpIfTrue,
        OpCode.LoadGlobal => Op.LoadGlobal,
        OpCode.LoadFast => Op.LoadFast,
        OpCode.StoreFast => Op.StoreFast,
        OpCode.CallFunction => Op.CallFunction,
        OpCode.CallBuiltin => Op.CallBuiltin,
        OpCode.RequireBool => Op.RequireBool,
        _ => throw new InvalidOperationException($"the interpreter has no instruction for {code}"),
    };
}

/// <summary>The peephole pass that places superinstructions into decoded code.</summary>
internal static class Specializer
{
    /// <summary>Rewrites sequence heads in <paramref name="code"/>. It matches on the original
    /// opcodes only and never changes an argument, so every superinstruction reads the arguments
    /// of the instructions it stands for from their own slots.</summary>
    public static void Apply(Instr[] code)
    {
        var original = (Instr[])code.Clone();
        Op? At(int i) => i < original.Length ? original[i].Op : null;
        for (int i = 0; i < original.Length; i++)
        {
            Op? fused = (At(i), At(i + 1), At(i + 2), At(i + 3)) switch
            {
                (Op.LoadFast, Op.LoadFast, Op.BinaryAdd, Op.StoreFast) => Op.LocalLocalAddStore,
                (Op.LoadFast, Op.LoadFast, Op.BinarySubtract, Op.StoreFast) => Op.LocalLocalSubtractStore,
                (Op.LoadFast, Op.LoadFast, Op.BinaryMultiply, Op.StoreFast) => Op.LocalLocalMultiplyStore,
                (Op.LoadFast, Op.LoadConst, Op.BinaryAdd, Op.StoreFast) => Op.LocalConstAddStore,
                (Op.LoadFast, Op.LoadConst, Op.BinarySubtract, Op.StoreFast) => Op.LocalConstSubtractStore,
                (Op.LoadFast, Op.LoadConst, Op.BinaryMultiply, Op.StoreFast) => Op.LocalConstMultiplyStore,
                (Op.LoadFast, Op.LoadConst, Op.BinaryDivide, Op.StoreFast) => Op.LocalConstDivideStore,
                (Op.LoadFast, Op.LoadConst, Op.BinaryModulo, Op.StoreFast) => Op.LocalConstModuloStore,
                (Op.LoadFast, Op.LoadConst, Op.CompareOp, Op.PopJumpIfFalse) => Op.LoadFastConstCompareJumpIfFalse,
                (Op.LoadFast, Op.LoadConst, Op.CompareOp, Op.PopJumpIfTrue) => Op.LoadFastConstCompareJumpIfTrue,
                (Op.LoadFast, Op.LoadFast, Op.BinaryAdd, _) => Op.LocalLocalAdd,
                (Op.LoadFast, Op.LoadFast, Op.BinarySubtract, _) => Op.LocalLocalSubtract,
                (Op.LoadFast, Op.LoadFast, Op.BinaryMultiply, _) => Op.LocalLocalMultiply,
                (Op.LoadConst, Op.LoadFast, Op.BinaryMultiply, _) => Op.ConstLocalMultiply,
                (Op.LoadFast, Op.LoadConst, Op.BinaryAdd, _) => Op.LoadFastConstAdd,
                (Op.LoadFast, Op.LoadConst, Op.BinarySubtract, _) => Op.LoadFastConstSubtract,
                (Op.LoadFast, Op.BinaryAdd, Op.StoreFast, _) => Op.LoadFastAddStore,
                (Op.LoadFast, Op.BinaryAdd, _, _) => Op.LoadFastAdd,
                (Op.LoadFast, Op.BinarySubtract, _, _) => Op.LoadFastSubtract,
                (Op.LoadFast, Op.BinaryMultiply, _, _) => Op.LoadFastMultiply,
                (Op.LoadConst, Op.CompareOp, Op.PopJumpIfFalse, _) => Op.LoadConstCompareJumpIfFalse,
                (Op.LoadConst, Op.CompareOp, Op.PopJumpIfTrue, _) => Op.LoadConstCompareJumpIfTrue,
                (Op.LoadFast, Op.ReturnValue, _, _) => Op.LoadFastReturn,
                (Op.LoadConst, Op.BinaryAdd, _, _) => Op.LoadConstAdd,
                (Op.LoadConst, Op.BinarySubtract, _, _) => Op.LoadConstSubtract,
                (Op.LoadConst, Op.BinaryMultiply, _, _) => Op.LoadConstMultiply,
                (Op.LoadConst, Op.BinaryDivide, _, _) => Op.LoadConstDivide,
                (Op.LoadConst, Op.BinaryModulo, _, _) => Op.LoadConstModulo,
                // A load followed by a load-and-operate pair is left alone, so that the pair fuses.
                (Op.LoadFast or Op.LoadGlobal, Op.LoadFast or Op.LoadConst, Op.BinaryAdd or Op.BinarySubtract or Op.BinaryMultiply
                    or Op.BinaryDivide or Op.BinaryModulo, _) => null,
                (Op.LoadFast, Op.LoadConst, _, _) => Op.LoadFastLoadConst,
                (Op.LoadFast, Op.LoadFast, _, _) => Op.LoadFastLoadFast,
                (Op.StoreFast, Op.LoadFast, _, _) => Op.StoreFastLoadFast,
                (Op.LoadGlobal, Op.LoadConst, _, _) => Op.LoadGlobalLoadConst,
                (Op.CompareOp, Op.PopJumpIfFalse, _, _) => Op.CompareJumpIfFalse,
                (Op.CompareOp, Op.PopJumpIfTrue, _, _) => Op.CompareJumpIfTrue,
                _ => null,
            };
            if (original[i].Op == Op.CallBuiltin && original[i].Arg == BuiltinInfo.EncodeCall(BuiltinId.Sqrt, 1))
                fused = Op.CallSqrt;
            if (fused is { } f) code[i] = new Instr(f, original[i].Arg, i);
        }
    }
}
