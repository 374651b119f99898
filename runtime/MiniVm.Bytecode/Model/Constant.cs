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
public readonly struct Constant : IEquatable<Constant>
{
    private readonly long _bits;
    private readonly string? _string;

    private Constant(ConstantKind kind, long bits, string? text)
    {
        Kind = kind;
        _bits = bits;
        _string = text;
    }

    public ConstantKind Kind { get; }

    public static Constant None => new(ConstantKind.None, 0, null);
    public static Constant FromBool(bool value) => new(ConstantKind.Bool, value ? 1 : 0, null);
    public static Constant FromInt(long value) => new(ConstantKind.Int, value, null);
    public static Constant FromFloat(double value) => new(ConstantKind.Float, BitConverter.DoubleToInt64Bits(value), null);
    public static Constant FromString(string value) => new(ConstantKind.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public bool AsBool => _bits != 0;
    public long AsInt => _bits;
    public double AsFloat => BitConverter.Int64BitsToDouble(_bits);
    public long RawBits => _bits;
    public string AsString => _string ?? "";

    public bool Equals(Constant other) => Kind == other.Kind && _bits == other._bits && string.Equals(_string, other._string, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is Constant c && Equals(c);
    public override int GetHashCode() => HashCode.Combine(Kind, _bits, _string is null ? 0 : StringComparer.Ordinal.GetHashCode(_string));

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
