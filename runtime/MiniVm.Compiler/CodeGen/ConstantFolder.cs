using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Semantics;
using MiniVm.Compiler.Syntax;

namespace MiniVm.Compiler.CodeGen;

/// <summary>
/// Evaluates literal arithmetic at compile time, only where the result cannot differ from
/// run time: never an operation that would raise (<c>1/0</c>, an overflow), never a
/// comparison or logical operator, never a call. Integer rules come from
/// <see cref="IntegerOps"/>, the same code the interpreter uses.
/// </summary>
internal static class ConstantFolder
{
    public static Constant? Fold(Expr expression) => expression switch
    {
        IntLiteral i => Constant.FromInt(i.Value),
        FloatLiteral f => Constant.FromFloat(f.Value),
        StringLiteral s => Constant.FromString(s.Value),
        BoolLiteral b => Constant.FromBool(b.Value),
        NoneLiteral => Constant.None,
        UnaryExpr u => FoldUnary(u),
        BinaryExpr b => FoldBinary(b),
        _ => null,
    };

    private static Constant? FoldUnary(UnaryExpr unary)
    {
        if (Fold(unary.Operand) is not { } operand) return null;
        return (unary.Operator, operand.Kind) switch
        {
            (UnaryOperator.Negate, ConstantKind.Int) => IntegerOps.TryNegate(operand.AsInt, out long r) ? Constant.FromInt(r) : null,
            (UnaryOperator.Negate, ConstantKind.Float) => Constant.FromFloat(-operand.AsFloat),
            (UnaryOperator.Not, ConstantKind.Bool) => Constant.FromBool(!operand.AsBool),
            _ => null,
        };
    }

    private static Constant? FoldBinary(BinaryExpr binary)
    {
        if (Fold(binary.Left) is not { } left || Fold(binary.Right) is not { } right) return null;
        if (left.Kind == ConstantKind.Int && right.Kind == ConstantKind.Int)
        {
            long a = left.AsInt, b = right.AsInt, r;
            bool ok = binary.Operator switch
            {
                BinaryOperator.Add => IntegerOps.TryAdd(a, b, out r),
                BinaryOperator.Subtract => IntegerOps.TrySubtract(a, b, out r),
                BinaryOperator.Multiply => IntegerOps.TryMultiply(a, b, out r),
                BinaryOperator.Divide => IntegerOps.TryDivide(a, b, out r, out _),
                _ => IntegerOps.TryModulo(a, b, out r),
            };
            return ok ? Constant.FromInt(r) : null;
        }
        if (IsNumber(left) && IsNumber(right))
        {
            double a = AsDouble(left), b = AsDouble(right);
            return Constant.FromFloat(binary.Operator switch
            {
                BinaryOperator.Add => a + b,
                BinaryOperator.Subtract => a - b,
                BinaryOperator.Multiply => a * b,
                BinaryOperator.Divide => a / b,
                _ => a % b, // C#'s % is fmod: the dividend's sign, as in the interpreter
            });
        }
        if (binary.Operator == BinaryOperator.Add && left.Kind == ConstantKind.String && right.Kind == ConstantKind.String)
            return Constant.FromString(left.AsString + right.AsString);
        return null;
    }

    private static bool IsNumber(Constant c) => c.Kind is ConstantKind.Int or ConstantKind.Float;

    private static double AsDouble(Constant c) => c.Kind == ConstantKind.Int ? c.AsInt : c.AsFloat;
}
