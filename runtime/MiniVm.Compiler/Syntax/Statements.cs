using MiniVm.Compiler.Semantics;
using MiniVm.Compiler.Source;

namespace MiniVm.Compiler.Syntax;

public abstract class Stmt(Position at)
{
    public Position At { get; } = at;
}

/// <summary><c>let name = value;</c> — the resolver fills in the declared <see cref="Symbol"/>.</summary>
public sealed class LetStmt(Position at, string name, Position nameAt, Expr value) : Stmt(at)
{
    public string Name { get; } = name;
    public Position NameAt { get; } = nameAt;
    public Expr Value { get; } = value;
    public VariableSymbol? Symbol { get; set; }
}

/// <summary><c>name = value;</c></summary>
public sealed class AssignStmt(Position at, string name, Expr value) : Stmt(at)
{
    public string Name { get; } = name;
    public Expr Value { get; } = value;
    public VariableSymbol? Symbol { get; set; }
}

/// <summary><c>if cond { } else ...</c>; <see cref="Else"/> is a block, another if, or null.</summary>
public sealed class IfStmt(Position at, Expr condition, BlockStmt then, Stmt? otherwise) : Stmt(at)
{
    public Expr Condition { get; } = condition;
    public BlockStmt Then { get; } = then;
    public Stmt? Else { get; } = otherwise;
}

public sealed class WhileStmt(Position at, Expr condition, BlockStmt body) : Stmt(at)
{
    public Expr Condition { get; } = condition;
    public BlockStmt Body { get; } = body;
}

public sealed class BreakStmt(Position at) : Stmt(at);

public sealed class ContinueStmt(Position at) : Stmt(at);

public sealed class ReturnStmt(Position at, Expr? value) : Stmt(at)
{
    public Expr? Value { get; } = value;
}

/// <summary>An expression evaluated for its effect, or — as the program's last item, with no
/// <c>;</c> — for its value, which is printed unless it is none.</summary>
public sealed class ExprStmt(Position at, Expr expression, bool printsValue) : Stmt(at)
{
    public Expr Expression { get; } = expression;
    public bool PrintsValue { get; } = printsValue;
}

public sealed class BlockStmt(Position at, IReadOnlyList<Stmt> statements) : Stmt(at)
{
    public IReadOnlyList<Stmt> Statements { get; } = statements;
}

/// <summary>A top-level <c>fn</c>. Functions are hoisted: the resolver declares them all first.</summary>
public sealed class FunctionDecl(Position at, string name, Position nameAt, IReadOnlyList<string> parameters, IReadOnlyList<Position> parameterPositions, BlockStmt body)
{
    public Position At { get; } = at;
    public string Name { get; } = name;
    public Position NameAt { get; } = nameAt;
    public IReadOnlyList<string> Parameters { get; } = parameters;
    public IReadOnlyList<Position> ParameterPositions { get; } = parameterPositions;
    public BlockStmt Body { get; } = body;
}

/// <summary>A whole source file: its functions, and its top-level statements in order.</summary>
public sealed class ProgramSyntax(IReadOnlyList<FunctionDecl> functions, IReadOnlyList<Stmt> statements)
{
    public IReadOnlyList<FunctionDecl> Functions { get; } = functions;
    public IReadOnlyList<Stmt> Statements { get; } = statements;
}
