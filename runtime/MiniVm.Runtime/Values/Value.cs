using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniVm.Values;

/// <summary>
/// A MiniVm value: 16 bytes of plain bits, never a managed reference. <see cref="Bits"/> holds an
/// int, a double's bits, a bool (0/1) or a string's handle in the run's <see cref="StringHeap"/>;
/// <see cref="Kind"/> says which. Because a value is only bits, frames can live in pinned
/// memory that machine code reads and writes without GC write barriers (docs/architecture.md),
/// and ints, floats and bools never allocate.
/// </summary>
/// <remarks>Sequential, not explicit, layout: the .NET JIT keeps a sequential two-field struct in
/// registers ("struct promotion"), which it does not do for explicit layouts.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct Value
{
    public readonly long Bits;
    public readonly ValueKind Kind;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Value(ValueKind kind, long bits)
    {
        Kind = kind;
        Bits = bits;
    }

    public static Value None => default;
    public static readonly Value True = new(ValueKind.Bool, 1);
    public static readonly Value False = new(ValueKind.Bool, 0);
    public static Value Unassigned => new(ValueKind.Unassigned, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Value Int(long value) => new(ValueKind.Int, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Value Float(double value) => new(ValueKind.Float, BitConverter.DoubleToInt64Bits(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Value Bool(bool value) => new(ValueKind.Bool, value ? 1 : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Value StringHandle(int handle) => new(ValueKind.String, handle);

    public long AsInt => Bits;
    public double AsFloat => BitConverter.Int64BitsToDouble(Bits);
    public bool AsBool => Bits != 0;
    public int AsHandle => (int)Bits;

    public bool IsNumber => Kind is ValueKind.Int or ValueKind.Float;

    /// <summary>An int or float as a double (int → nearest double, as in Python).</summary>
    public double ToDouble() => Kind == ValueKind.Int ? Bits : AsFloat;

    /// <summary>The type name used in error messages.</summary>
    public string TypeName => TypeNameOf(Kind);

    public static string TypeNameOf(ValueKind kind) => kind switch
    {
        ValueKind.None => "none",
        ValueKind.Bool => "bool",
        ValueKind.Int => "int",
        ValueKind.Float => "float",
        ValueKind.String => "string",
        _ => "unassigned",
    };
}
