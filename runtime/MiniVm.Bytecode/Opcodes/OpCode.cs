namespace MiniVm.Bytecode.Opcodes;

/// <summary>
/// The MiniVm instruction set. Numbers are CPython 2.7's wherever an instruction has a
/// counterpart there; the others take numbers CPython 2.7 leaves unused.
/// Opcodes below <see cref="OpcodeTable.HaveArgument"/> (90) are one byte; the others are
/// followed by a 16-bit little-endian argument (extended to 32 bits by <see cref="ExtendedArg"/>).
/// Stack pictures read bottom → top; everything else about an opcode (argument kind,
/// stack effect, control flow) lives in its row of <see cref="OpcodeTable"/>.
/// </summary>
public enum OpCode : byte
{
    /// <summary>[.., a] → [..]: discards the top of the stack.</summary>
    PopTop = 1,
    /// <summary>[.., a, b] → [.., b, a].</summary>
    RotTwo = 2,
    /// <summary>[.., a] → [.., a, a].</summary>
    DupTop = 4,
    /// <summary>[.., a] → [.., -a]: int (overflow checked) or float.</summary>
    UnaryNegative = 11,
    /// <summary>[.., a] → [.., not a]: a must be bool.</summary>
    UnaryNot = 12,
    /// <summary>[.., a, b] → [.., a * b].</summary>
    BinaryMultiply = 20,
    /// <summary>[.., a, b] → [.., a / b]: ints truncate toward zero.</summary>
    BinaryDivide = 21,
    /// <summary>[.., a, b] → [.., a % b]: the result has the dividend's sign.</summary>
    BinaryModulo = 22,
    /// <summary>[.., a, b] → [.., a + b]: numbers, or two strings (concatenation).</summary>
    BinaryAdd = 23,
    /// <summary>[.., a, b] → [.., a - b].</summary>
    BinarySubtract = 24,
    /// <summary>[.., a] → [..]: prints a as <c>print</c> would, unless a is none (the value of a
    /// program's last expression).</summary>
    PrintExpr = 70,
    /// <summary>[.., a] → returns a to the caller.</summary>
    ReturnValue = 83,

    /// <summary>[.., a] → [..]: globals[arg] = a.</summary>
    StoreGlobal = 97,
    /// <summary>[..] → [.., consts[arg]].</summary>
    LoadConst = 100,
    /// <summary>[.., a, b] → [.., a (op) b] where arg is a <see cref="CompareKind"/>.</summary>
    CompareOp = 107,
    /// <summary>Jumps forward by arg bytes, counted from the next instruction.</summary>
    JumpForward = 110,
    /// <summary>[.., a]: a must be bool; if false, jump to arg keeping a, else pop a (the <c>and</c> operator).</summary>
    JumpIfFalseOrPop = 111,
    /// <summary>[.., a]: a must be bool; if true, jump to arg keeping a, else pop a (the <c>or</c> operator).</summary>
    JumpIfTrueOrPop = 112,
    /// <summary>Jumps to offset arg.</summary>
    JumpAbsolute = 113,
    /// <summary>[.., a] → [..]: a must be bool; jumps to arg if it is false.</summary>
    PopJumpIfFalse = 114,
    /// <summary>[.., a] → [..]: a must be bool; jumps to arg if it is true.</summary>
    PopJumpIfTrue = 115,
    /// <summary>[..] → [.., globals[arg]]: an error if that global has not been assigned yet.</summary>
    LoadGlobal = 116,
    /// <summary>[..] → [.., locals[arg]].</summary>
    LoadFast = 124,
    /// <summary>[.., a] → [..]: locals[arg] = a.</summary>
    StoreFast = 125,
    /// <summary>[.., a1 .. an] → [.., f(a1 .. an)] where f is functions[arg] and n its parameter count.</summary>
    CallFunction = 131,
    /// <summary>Prefix: supplies the upper 16 bits of the next instruction's argument.</summary>
    ExtendedArg = 145,

    /// <summary>[.., a1 .. an] → [.., b(a1 .. an)]: arg = builtin id | (n &lt;&lt; 8). MiniVm only.</summary>
    CallBuiltin = 150,
    /// <summary>[.., a] → [.., a]: a must be bool, else the <c>and</c> (arg 0) or <c>or</c> (arg 1)
    /// type error. Checks the right operand of <c>and</c>/<c>or</c>. MiniVm only.</summary>
    RequireBool = 151,
}
