using MiniVm.Bytecode.Disassembly;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Bytecode.Semantics;
using MiniVm.Interpreter;

namespace MiniVm.Values;

/// <summary>
/// The language's operators on any pair of values: the general paths the interpreter takes when
/// its inline int fast path does not apply, and the reference semantics every tier must match
/// (docs/language.md, "Values and operations"). Each returns null on success or the run-time
/// error message; the caller raises it with the current position.
/// </summary>
internal static class Operations
{
    public static string? Arithmetic(OpCode op, ref Value a, Value b, ExecutionState state)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int)
        {
            long x = a.AsInt, y = b.AsInt, r;
            switch (op)
            {
                case OpCode.BinaryAdd: if (!IntegerOps.TryAdd(x, y, out r)) return ErrorMessages.IntegerOverflow; break;
                case OpCode.BinarySubtract: if (!IntegerOps.TrySubtract(x, y, out r)) return ErrorMessages.IntegerOverflow; break;
                case OpCode.BinaryMultiply: if (!IntegerOps.TryMultiply(x, y, out r)) return ErrorMessages.IntegerOverflow; break;
                case OpCode.BinaryDivide:
                    if (!IntegerOps.TryDivide(x, y, out r, out bool overflow)) return overflow ? ErrorMessages.IntegerOverflow : ErrorMessages.DivisionByZero;
                    break;
                default: if (!IntegerOps.TryModulo(x, y, out r)) return ErrorMessages.DivisionByZero; break;
            }
            a = Value.Int(r);
            return null;
        }
        if (a.IsNumber && b.IsNumber)
        {
            double x = a.ToDouble(), y = b.ToDouble();
            a = Value.Float(op switch
            {
                OpCode.BinaryAdd => x + y,
                OpCode.BinarySubtract => x - y,
                OpCode.BinaryMultiply => x * y,
                OpCode.BinaryDivide => x / y,
                _ => x % y, // fmod: the dividend's sign, as for ints
            });
            return null;
        }
        if (op == OpCode.BinaryAdd && a.Kind == ValueKind.String && b.Kind == ValueKind.String)
        {
            string left = state.Strings.Get(a.AsHandle), right = state.Strings.Get(b.AsHandle);
            if ((long)left.Length + right.Length > ExecutionState.MaxStringLength)
                return $"string too long (more than {ExecutionState.MaxStringLength} characters)";
            a = state.NewString(string.Concat(left, right));
            return null;
        }
        return $"unsupported operand types for {Symbol(op)}: '{a.TypeName}' and '{b.TypeName}'";
    }

    public static string Symbol(OpCode op) => op switch
    {
        OpCode.BinaryAdd => "+",
        OpCode.BinarySubtract => "-",
        OpCode.BinaryMultiply => "*",
        OpCode.BinaryDivide => "/",
        _ => "%",
    };

    public static string? Negate(ref Value a)
    {
        switch (a.Kind)
        {
            case ValueKind.Int:
                if (!IntegerOps.TryNegate(a.AsInt, out long r)) return ErrorMessages.IntegerOverflow;
                a = Value.Int(r);
                return null;
            case ValueKind.Float:
                a = Value.Float(-a.AsFloat);
                return null;
            default:
                return $"bad operand type for unary -: '{a.TypeName}'";
        }
    }

    public static string? Not(ref Value a)
    {
        if (a.Kind != ValueKind.Bool) return $"operand of 'not' must be bool, not '{a.TypeName}'";
        a = Value.Bool(!a.AsBool);
        return null;
    }

    public static string BoolOperandError(BoolOperator op, Value a) =>
        $"operand of '{(op == BoolOperator.And ? "and" : "or")}' must be bool, not '{a.TypeName}'";

    public static string ConditionError(Value a) => $"condition must be bool, not '{a.TypeName}'";

    /// <summary>Evaluates a comparison into <paramref name="a"/>.</summary>
    public static string? Compare(CompareKind kind, ref Value a, Value b, StringHeap strings)
    {
        if (kind is CompareKind.Equal or CompareKind.NotEqual)
        {
            bool equal = AreEqual(a, b, strings);
            a = Value.Bool(kind == CompareKind.Equal ? equal : !equal);
            return null;
        }
        int? order;
        if (a.IsNumber && b.IsNumber) order = CompareNumbers(a, b);
        else if (a.Kind == ValueKind.String && b.Kind == ValueKind.String)
            order = Math.Sign(string.CompareOrdinal(strings.Get(a.AsHandle), strings.Get(b.AsHandle)));
        else return $"unsupported operand types for {Disassembler.CompareSymbol(kind)}: '{a.TypeName}' and '{b.TypeName}'";

        // A NaN operand is unordered: every ordering comparison is false.
        bool result = order is { } o && kind switch
        {
            CompareKind.Less => o < 0,
            CompareKind.LessEqual => o <= 0,
            CompareKind.Greater => o > 0,
            _ => o >= 0,
        };
        a = Value.Bool(result);
        return null;
    }

    public static bool AreEqual(Value a, Value b, StringHeap strings)
    {
        if (a.IsNumber && b.IsNumber) return CompareNumbers(a, b) == 0;
        if (a.Kind != b.Kind) return false;
        return a.Kind switch
        {
            ValueKind.None => true,
            ValueKind.Bool => a.AsBool == b.AsBool,
            ValueKind.String => a.AsHandle == b.AsHandle || string.Equals(strings.Get(a.AsHandle), strings.Get(b.AsHandle), StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>-1, 0 or 1; null when a NaN makes the pair unordered. Int against float is
    /// compared exactly, as Python does (2**53 + 1 is not equal to 2.0**53).</summary>
    public static int? CompareNumbers(Value a, Value b)
    {
        if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int) return a.AsInt.CompareTo(b.AsInt);
        if (a.Kind == ValueKind.Float && b.Kind == ValueKind.Float)
        {
            double x = a.AsFloat, y = b.AsFloat;
            if (double.IsNaN(x) || double.IsNaN(y)) return null;
            return x < y ? -1 : x > y ? 1 : 0;
        }
        if (a.Kind == ValueKind.Int) return CompareIntFloat(a.AsInt, b.AsFloat);
        return -CompareIntFloat(b.AsInt, a.AsFloat);
    }

    private static int? CompareIntFloat(long i, double d)
    {
        if (double.IsNaN(d)) return null;
        const double TwoTo63 = 9223372036854775808.0;
        if (d >= TwoTo63) return -1;
        if (d < -TwoTo63) return 1;
        double truncated = Math.Truncate(d);
        long t = (long)truncated; // exact: |truncated| < 2^63
        if (i != t) return i < t ? -1 : 1;
        double fraction = d - truncated;
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
    }
}
