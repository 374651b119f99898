using MiniVm.Bytecode.Opcodes;
using MiniVm.Compiler.Semantics;
using MiniVm.Compiler.Source;

namespace MiniVm.Compiler.Syntax;

/// <summary>An expression node. <see cref="Height"/> is the depth of the subtree, which the
/// parser bounds so that every later tree walk is bounded too.</summary>
public abstract class Expr(Position at)
{
    public Position At { get; } = at;
    public int Height { get; init; } = 1;
}

public sealed class IntLiteral(Position at, long value) : Expr(at)
{
    public long Value { get; } = value;
}

public sealed class FloatLiteral(Position at, double value) : Expr(at)
{
    public double Value { get; } = value;
}

public sealed class StringLiteral(Position at, string value) : Expr(at)
{
    public string Value { get; } = value;
}

public sealed class BoolLiteral(Position at, bool value) : Expr(at)
{
    public bool Value { get; } = value;
}

public sealed class NoneLiteral(Position at) : Expr(at);

/// <summary>A variable read; the resolver fills in <see cref="Symbol"/>.</summary>
public sealed class NameExpr(Position at, string name) : Expr(at)
{
    public string Name { get; } = name;
    public VariableSymbol? Symbol { get; set; }
}

public enum UnaryOperator
{
    Negate,
    Not,
}

public sealed class UnaryExpr(Position at, UnaryOperator op, Expr operand) : Expr(at)
{
    public UnaryOperator Operator { get; } = op;
    public Expr Operand { get; } = operand;
}

public enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// <summary>Arithmetic; <see cref="Expr.At"/> is the operator's position, where a run-time error points.</summary>
public sealed class BinaryExpr(Position at, BinaryOperator op, Expr left, Expr right) : Expr(at)
{
    public BinaryOperator Operator { get; } = op;
    public Expr Left { get; } = left;
    public Expr Right { get; } = right;
}

public sealed class CompareExpr(Position at, CompareKind op, Expr left, Expr right) : Expr(at)
{
    public CompareKind Operator { get; } = op;
    public Expr Left { get; } = left;
    public Expr Right { get; } = right;
}

/// <summary><c>and</c> / <c>or</c>, which short-circuit.</summary>
public sealed class LogicalExpr(Position at, BoolOperator op, Expr left, Expr right) : Expr(at)
{
    public BoolOperator Operator { get; } = op;
    public Expr Left { get; } = left;
    public Expr Right { get; } = right;
}

/// <summary>A call of a declared function or a builtin; the resolver fills in the target.</summary>
public sealed class CallExpr(Position at, string name, IReadOnlyList<Expr> arguments) : Expr(at)
{
    public string Name { get; } = name;
    public IReadOnlyList<Expr> Arguments { get; } = arguments;
    public FunctionSymbol? Function { get; set; }
    public BuiltinInfo? Builtin { get; set; }
}
