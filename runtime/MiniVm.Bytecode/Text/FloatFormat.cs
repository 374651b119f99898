using System.Globalization;
using System.Text;

namespace MiniVm.Bytecode.Text;

/// <summary>
/// Formats a double exactly as Python 3's <c>repr(float)</c>: the shortest digits that read
/// back to the same double (.NET's round-trip formatting finds them), laid out with Python's
/// rule: positional when the decimal exponent is in [-4, 16), scientific otherwise
/// (<c>1e+16</c>, <c>1.5e-05</c>), and <c>nan</c>, <c>inf</c>, <c>-inf</c>, <c>-0.0</c>.
/// </summary>
public static class FloatFormat
{
    public static string Format(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        // "E16" is not shortest; "R" is (since .NET Core 3.0). Pull digits and exponent out of it.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        int i = negative ? 1 : 0;
        var digits = new StringBuilder(17);
        int pointPosition = -1;
        int exponent = 0;
        for (; i < r.Length; i++)
        {
            char c = r[i];
            if (c == '.') pointPosition = digits.Length;
            else if (c is 'E' or 'e')
            {
                exponent = int.Parse(r.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                break;
            }
            else digits.Append(c);
        }
        if (pointPosition < 0) pointPosition = digits.Length;

        // Normalise to digits d1 d2 ... dn (no leading or trailing zeros) and decimalPoint such that
        // value = 0.d1d2...dn × 10^decimalPoint, the form Python's float_repr works with.
        int leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0') leading++;
        string d = digits.ToString(leading, digits.Length - leading).TrimEnd('0');
        if (d.Length == 0) d = "0";
        int decimalPoint = pointPosition - leading + exponent;

        var sb = new StringBuilder(24);
        if (negative) sb.Append('-');
        if (decimalPoint > -4 && decimalPoint <= 16)
        {
            if (decimalPoint <= 0)
            {
                sb.Append("0.").Append('0', -decimalPoint).Append(d);
            }
            else if (decimalPoint >= d.Length)
            {
                sb.Append(d).Append('0', decimalPoint - d.Length).Append(".0");
            }
            else
            {
                sb.Append(d, 0, decimalPoint).Append('.').Append(d, decimalPoint, d.Length - decimalPoint);
            }
        }
        else
        {
            int e = decimalPoint - 1;
            sb.Append(d[0]);
            if (d.Length > 1) sb.Append('.').Append(d, 1, d.Length - 1);
            sb.Append('e').Append(e < 0 ? '-' : '+');
            int abs = Math.Abs(e);
            if (abs < 10) sb.Append('0');
            sb.Append(abs.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
