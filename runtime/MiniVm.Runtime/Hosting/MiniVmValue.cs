using System.Globalization;
using MiniVm.Bytecode.Text;
using MiniVm.Values;

namespace MiniVm;

/// <summary>The type of a <see cref="MiniVmValue"/>.</summary>
public enum MiniVmValueKind
{
    None,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>
/// A MiniVm value as a host sees it: arguments to <see cref="MiniVmInstance.Call"/> and results.
/// Converts implicitly from <see cref="long"/>, <see cref="int"/>, <see cref="double"/>,
/// <see cref="bool"/> and <see cref="string"/>; <see cref="ToString"/> gives the text <c>print</c> writes.
/// </summary>
public readonly struct MiniVmValue : IEquatable<MiniVmValue>
{
    private readonly long _bits;
    private readonly string? _string;

    private MiniVmValue(MiniVmValueKind kind, long bits, string? text)
    {
        Kind = kind;
        _bits = bits;
        _string = text;
    }

    public MiniVmValueKind Kind { get; }

    public static MiniVmValue None => default;
    public static MiniVmValue FromInt(long value) => new(MiniVmValueKind.Int, value, null);
    public static MiniVmValue FromFloat(double value) => new(MiniVmValueKind.Float, BitConverter.DoubleToInt64Bits(value), null);
    public static MiniVmValue FromBool(bool value) => new(MiniVmValueKind.Bool, value ? 1 : 0, null);
    public static MiniVmValue FromString(string value) => new(MiniVmValueKind.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public static implicit operator MiniVmValue(long value) => FromInt(value);
    public static implicit operator MiniVmValue(int value) => FromInt(value);
    public static implicit operator MiniVmValue(double value) => FromFloat(value);
    public static implicit operator MiniVmValue(bool value) => FromBool(value);
    public static implicit operator MiniVmValue(string value) => FromString(value);

    public bool IsNone => Kind == MiniVmValueKind.None;

    public long AsInt => Kind == MiniVmValueKind.Int ? _bits : throw WrongKind(MiniVmValueKind.Int);
    public double AsFloat => Kind == MiniVmValueKind.Float ? BitConverter.Int64BitsToDouble(_bits) : throw WrongKind(MiniVmValueKind.Float);
    public bool AsBool => Kind == MiniVmValueKind.Bool ? _bits != 0 : throw WrongKind(MiniVmValueKind.Bool);
    public string AsString => Kind == MiniVmValueKind.String ? _string! : throw WrongKind(MiniVmValueKind.String);

    /// <summary>An int or a float as a double.</summary>
    public double AsNumber => Kind switch
    {
        MiniVmValueKind.Int => _bits,
        MiniVmValueKind.Float => BitConverter.Int64BitsToDouble(_bits),
        _ => throw WrongKind(MiniVmValueKind.Float),
    };

    private InvalidOperationException WrongKind(MiniVmValueKind wanted) =>
        new($"the value is {Kind.ToString().ToLowerInvariant()}, not {wanted.ToString().ToLowerInvariant()}");

    /// <summary>The text <c>print</c> would write for this value.</summary>
    public override string ToString() => Kind switch
    {
        MiniVmValueKind.None => "none",
        MiniVmValueKind.Bool => _bits != 0 ? "true" : "false",
        MiniVmValueKind.Int => _bits.ToString(CultureInfo.InvariantCulture),
        MiniVmValueKind.Float => FloatFormat.Format(BitConverter.Int64BitsToDouble(_bits)),
        _ => _string!,
    };

    public bool Equals(MiniVmValue other) => Kind == other.Kind && _bits == other._bits && string.Equals(_string, other._string, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is MiniVmValue other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Kind, _bits, _string);
    public static bool operator ==(MiniVmValue left, MiniVmValue right) => left.Equals(right);
    public static bool operator !=(MiniVmValue left, MiniVmValue right) => !left.Equals(right);

    internal static MiniVmValue FromInternal(Value value, StringHeap strings) => value.Kind switch
    {
        ValueKind.Bool => FromBool(value.AsBool),
        ValueKind.Int => FromInt(value.AsInt),
        ValueKind.Float => FromFloat(value.AsFloat),
        ValueKind.String => FromString(strings.Get(value.AsHandle)),
        _ => None,
    };

    internal Value ToInternal(Func<string, Value> makeString) => Kind switch
    {
        MiniVmValueKind.Bool => Value.Bool(_bits != 0),
        MiniVmValueKind.Int => Value.Int(_bits),
        MiniVmValueKind.Float => Value.Float(BitConverter.Int64BitsToDouble(_bits)),
        MiniVmValueKind.String => makeString(_string!),
        _ => Value.None,
    };
}
