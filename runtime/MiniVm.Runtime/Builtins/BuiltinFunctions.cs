using System.Text;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Bytecode.Semantics;
using MiniVm.Bytecode.Text;
using MiniVm.Interpreter;
using MiniVm.Values;

namespace MiniVm.Builtins;

/// <summary>
/// The builtins (docs/language.md, "Builtins"). The compiler and verifier have checked the
/// argument count; the types are checked here. Each returns null on success, with the result
/// in <paramref name="result"/>, or the run-time error message.
/// </summary>
internal static class BuiltinFunctions
{
    public static string? Call(BuiltinId id, ReadOnlySpan<Value> args, ExecutionState state, out Value result)
    {
        result = Value.None;
        switch (id)
        {
            case BuiltinId.Print:
                Print(args, state);
                return null;
            case BuiltinId.Sqrt:
                if (!args[0].IsNumber) return ArgumentError("sqrt", args[0]);
                result = Value.Float(Math.Sqrt(args[0].ToDouble()));
                return null;
            case BuiltinId.Abs:
                if (args[0].Kind == ValueKind.Int)
                {
                    long x = args[0].AsInt;
                    if (x < 0 && !IntegerOps.TryNegate(x, out x)) return ErrorMessages.IntegerOverflow;
                    result = Value.Int(x);
                    return null;
                }
                if (args[0].Kind == ValueKind.Float)
                {
                    result = Value.Float(Math.Abs(args[0].AsFloat));
                    return null;
                }
                return ArgumentError("abs", args[0]);
            case BuiltinId.Min:
            case BuiltinId.Max:
            {
                string name = id == BuiltinId.Min ? "min" : "max";
                if (!args[0].IsNumber) return ArgumentError(name, args[0]);
                if (!args[1].IsNumber) return ArgumentError(name, args[1]);
                // Like Python: the first argument unless the second is strictly smaller (larger),
                // so a NaN second argument is never chosen and ties keep the first's type.
                int? order = Operations.CompareNumbers(args[1], args[0]);
                bool takeSecond = order is { } o && (id == BuiltinId.Min ? o < 0 : o > 0);
                result = takeSecond ? args[1] : args[0];
                return null;
            }
            case BuiltinId.Int:
                return ToInt(args[0], out result);
            case BuiltinId.Float:
                if (!args[0].IsNumber) return ArgumentError("float", args[0]);
                result = Value.Float(args[0].ToDouble());
                return null;
            case BuiltinId.Str:
                result = args[0].Kind == ValueKind.String ? args[0] : state.NewString(ValueText.Format(args[0], state.Strings));
                return null;
            default:
                return $"unknown builtin {id}";
        }
    }

    private static string ArgumentError(string name, Value value) => $"{name}() argument must be int or float, not '{value.TypeName}'";

    private static string? ToInt(Value value, out Value result)
    {
        result = value;
        if (value.Kind == ValueKind.Int) return null;
        if (value.Kind != ValueKind.Float) return ArgumentError("int", value);
        double d = value.AsFloat;
        if (double.IsNaN(d)) return "cannot convert float nan to int";
        if (double.IsInfinity(d)) return $"cannot convert float {FloatFormat.Format(d)} to int";
        double truncated = Math.Truncate(d);
        if (truncated >= 9223372036854775808.0 || truncated < -9223372036854775808.0)
            return $"float {FloatFormat.Format(d)} is out of range for int";
        result = Value.Int((long)truncated);
        return null;
    }

    private static void Print(ReadOnlySpan<Value> args, ExecutionState state)
    {
        var line = new StringBuilder();
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0) line.Append(' ');
            line.Append(ValueText.Format(args[i], state.Strings));
        }
        line.Append('\n');
        state.Output.Write(line.ToString());
    }
}
