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
    /// <summary>No value (<see cref="Operand.None"/>).</summary>
    None,
}

/// <summary>
/// One entry of the compile-time model of the operand stack. Loads of locals, globals and
/// constants cost no code until something consumes them, so <c>i + 1</c> reads the local and
/// adds an immediate. Wherever control can merge (block starts, calls, helpers that look at the
/// stack) every entry is first written to its slot, so at those points the frame holds exactly
/// what the interpreter's frame would: that is what makes on-stack replacement a plain jump.
/// </summary>
/// <remarks>A plain struct with its own equality (not a record struct): record equality goes
/// through <c>EqualityComparer&lt;T&gt;</c>, generic code the .NET JIT would have to compile at
/// start-up, which ReadyToRun cannot precompile for our types.</remarks>
internal readonly struct Operand(OperandKind kind, int index) : IEquatable<Operand>
{
    public OperandKind Kind { get; } = kind;
    public int Index { get; } = index;

    public static Operand None => new(OperandKind.None, -1);
    public static Operand Slot(int position) => new(OperandKind.Slot, position);
    public static Operand Local(int local) => new(OperandKind.Local, local);
    public static Operand Global(int global) => new(OperandKind.Global, global);
    public static Operand Const(int constant) => new(OperandKind.Const, constant);

    public bool Equals(Operand other) => Kind == other.Kind && Index == other.Index;
    public override bool Equals(object? obj) => obj is Operand other && Equals(other);
    public override int GetHashCode() => ((int)Kind << 24) ^ Index;
    public static bool operator ==(Operand a, Operand b) => a.Equals(b);
    public static bool operator !=(Operand a, Operand b) => !a.Equals(b);
}

/// <summary>The compile-time operand stack (an array: the verifier bounds its depth).</summary>
internal sealed class OperandStack(int capacity)
{
    private readonly Operand[] _entries = new Operand[Math.Max(capacity, 1)];

    public int Count { get; private set; }

    public Operand this[int position]
    {
        get => _entries[position];
        set => _entries[position] = value;
    }

    public Operand Top => _entries[Count - 1];

    public void Push(Operand operand) => _entries[Count++] = operand;

    public Operand Pop() => _entries[--Count];

    public void Clear() => Count = 0;

    /// <summary>A block start: <paramref name="depth"/> values, each in its own slot.</summary>
    public void Reset(int depth)
    {
        for (int p = 0; p < depth; p++) _entries[p] = Operand.Slot(p);
        Count = depth;
    }
}
