namespace MiniVm.Bytecode.Opcodes;

/// <summary>What an instruction's argument means; the verifier checks its range and the
/// disassembler explains it in parentheses.</summary>
public enum ArgKind : byte
{
    /// <summary>No argument (opcodes below 90).</summary>
    None,
    /// <summary>Index into the code object's constants.</summary>
    Const,
    /// <summary>Index into the frame's locals (parameters first).</summary>
    Local,
    /// <summary>Index into the module's globals.</summary>
    Global,
    /// <summary>Index into the module's functions.</summary>
    Function,
    /// <summary>Builtin id in the low 8 bits, argument count above them.</summary>
    Builtin,
    /// <summary>A <see cref="CompareKind"/>.</summary>
    Compare,
    /// <summary>An absolute code offset.</summary>
    JumpAbsolute,
    /// <summary>A byte distance forward from the next instruction.</summary>
    JumpRelative,
    /// <summary>A <see cref="BoolOperator"/>.</summary>
    BoolOperator,
    /// <summary>Upper bits of the next instruction's argument.</summary>
    Extended,
}

/// <summary>The argument of COMPARE_OP, in CPython's <c>cmp_op</c> order.</summary>
public enum CompareKind : byte
{
    Less = 0,
    LessEqual = 1,
    Equal = 2,
    NotEqual = 3,
    Greater = 4,
    GreaterEqual = 5,
}

/// <summary>The argument of REQUIRE_BOOL: which operator's operand is being checked.</summary>
public enum BoolOperator : byte
{
    And = 0,
    Or = 1,
}
