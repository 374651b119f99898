using System.Globalization;

namespace MiniVm.Bytecode.Model;

/// <summary>The type of a constant in a code object's constant pool.</summary>
public enum ConstantKind : byte
{
    None,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>
/// A constant-pool entry. Equality is by kind and exact bits (so <c>0.0</c> and <c>-0.0</c> are two
/// constants and a NaN equals itself), which is what the compiler's de-duplication needs.
/// </summary>
/// <remarks>16 bytes: the bits, and one reference that is the string itself or stands for the
/// kind (a constant pool can be a million entries, and every one of them is read at load).</remarks>
public readonly struct Constant : IEquatable<Constant>
{
    private static readonly object BoolKind = ConstantKind.Bool, IntKind = ConstantKind.Int, FloatKind = ConstantKind.Float;

    private readonly long _bits;
    /// <summary>The string of a string constant; for the other kinds one of the boxed kinds above, or null for none.</summary>
    private readonly object? _kindOrString;

    private Constant(long bits, object? kindOrString)
    {
        _bits = bits;
        _kindOrString = kindOrString;
    }

    public ConstantKind Kind => _kindOrString switch
    {
        null => ConstantKind.None,
        string => ConstantKind.String,
        var kind => (ConstantKind)kind,
    };

    public static Constant None => default;
    public static Constant FromBool(bool value) => new(value ? 1 : 0, BoolKind);
    public static Constant FromInt(long value) => new(value, IntKind);
    public static Constant FromFloat(double value) => new(BitConverter.DoubleToInt64Bits(value), FloatKind);
    public static Constant FromString(string value) => new(0, value ?? throw new ArgumentNullException(nameof(value)));

    public bool AsBool => _bits != 0;
    public long AsInt => _bits;
    public double AsFloat => BitConverter.Int64BitsToDouble(_bits);
    public long RawBits => _bits;
    public string AsString => _kindOrString as string ?? "";

    public bool Equals(Constant other) => Kind == other.Kind && _bits == other._bits && string.Equals(_kindOrString as string, other._kindOrString as string, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is Constant c && Equals(c);
    public override int GetHashCode() => HashCode.Combine(Kind, _bits, _kindOrString is string text ? StringComparer.Ordinal.GetHashCode(text) : 0);

    /// <summary>How the disassembler shows the constant: strings quoted and escaped as in source.</summary>
    public string ToDisplayString(Func<double, string> formatFloat) => Kind switch
    {
        ConstantKind.None => "none",
        ConstantKind.Bool => AsBool ? "true" : "false",
        ConstantKind.Int => AsInt.ToString(CultureInfo.InvariantCulture),
        ConstantKind.Float => formatFloat(AsFloat),
        _ => Quote(AsString),
    };

    /// <summary>A string as a source literal: quoted, with the language's escapes.</summary>
    public static string Quote(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
