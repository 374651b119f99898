namespace MiniVm.Jit.Compilation;

/// <summary>Where a value on the compile-time operand stack currently is.</summary>
internal enum OperandKind : byte
{
    /// <summary>In its own operand-stack slot in the frame: what the interpreter would hold.</summary>
    Slot,
    /// <summary>Still in local <see cref="Operand.Index"/> (a LOAD_FAST not yet copied).</summary>
    Local,
    /// <summary>Still in global <see cref="Operand.Index"/> (its "used before assigned" check done).</summary>
    Global,
    /// <summary>Constant <see cref="Operand.Index"/>, known while compiling.</summary>
    Const,
}

/// <summary>
/// One entry of the compile-time model of the operand stack. Loads of locals, globals and
/// constants cost no code until something consumes them, so <c>i + 1</c> reads the local and
/// adds an immediate. Wherever control can merge (block starts, calls, helpers that look at the
/// stack) every entry is first written to its slot, so at those points the frame holds exactly
/// what the interpreter's frame would: that is what makes on-stack replacement a plain jump.
/// </summary>
internal readonly record struct Operand(OperandKind Kind, int Index)
{
    public static Operand Slot(int position) => new(OperandKind.Slot, position);
    public static Operand Local(int local) => new(OperandKind.Local, local);
    public static Operand Global(int global) => new(OperandKind.Global, global);
    public static Operand Const(int constant) => new(OperandKind.Const, constant);
}
