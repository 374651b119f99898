using System.Runtime.CompilerServices;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Compiler.Diagnostics;
using MiniVm.Compiler.Source;
using MiniVm.Compiler.Syntax;

namespace MiniVm.Compiler.Semantics;

/// <summary>The names a program declares, as the code generator needs them.</summary>
internal sealed class ResolvedProgram(IReadOnlyList<FunctionSymbol> functions, IReadOnlyList<string> globals,
    IReadOnlyDictionary<FunctionDecl, IReadOnlyList<string>> functionLocals, IReadOnlyList<string> topLevelLocals)
{
    public IReadOnlyList<FunctionSymbol> Functions { get; } = functions;
    public IReadOnlyList<string> Globals { get; } = globals;
    /// <summary>Every local slot's name per function, parameters first.</summary>
    public IReadOnlyDictionary<FunctionDecl, IReadOnlyList<string>> FunctionLocals { get; } = functionLocals;
    /// <summary>Local slots of the top-level code: lets inside its blocks.</summary>
    public IReadOnlyList<string> TopLevelLocals { get; } = topLevelLocals;
}

/// <summary>
/// Name resolution: hoists functions, collects globals (every top-level <c>let</c>), gives each
/// block-scoped <c>let</c> and parameter a local slot, and binds every name and call in the AST
/// to its symbol. Checks arities and where <c>return</c>, <c>break</c> and <c>continue</c> may
/// stand. Slots are never reused, so every local has one name in the disassembly.
/// </summary>
internal sealed class Resolver
{
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, FunctionSymbol> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VariableSymbol> _globals = new(StringComparer.Ordinal);
    private readonly List<string> _globalNames = [];

    // State of the code block being resolved.
    private List<string> _locals = [];
    private readonly List<Dictionary<string, VariableSymbol>> _scopes = [];
    private bool _inFunction;
    private int _loopDepth;

    private Resolver(DiagnosticBag diagnostics) => _diagnostics = diagnostics;

    public static ResolvedProgram Resolve(ProgramSyntax program, DiagnosticBag diagnostics) => new Resolver(diagnostics).Run(program);

    private ResolvedProgram Run(ProgramSyntax program)
    {
        var functionSymbols = new List<FunctionSymbol>();
        foreach (var function in program.Functions)
        {
            if (_functions.ContainsKey(function.Name))
            {
                _diagnostics.Error(function.NameAt, DiagnosticCode.DuplicateFunction, $"function '{function.Name}' is already declared");
                continue;
            }
            var symbol = new FunctionSymbol(function.Name, functionSymbols.Count, function.Parameters.Count);
            _functions.Add(function.Name, symbol);
            functionSymbols.Add(symbol);
        }

        foreach (var statement in program.Statements)
        {
            if (statement is not LetStmt let) continue;
            if (_globals.ContainsKey(let.Name))
            {
                _diagnostics.Error(let.NameAt, DiagnosticCode.DuplicateVariable, $"'{let.Name}' is already declared in this scope");
                continue;
            }
            var symbol = new VariableSymbol(let.Name, VariableStorage.Global, _globalNames.Count);
            _globals.Add(let.Name, symbol);
            _globalNames.Add(let.Name);
            let.Symbol = symbol;
        }

        // Top-level code: its own frame, whose locals are the lets of its inner blocks.
        _locals = [];
        _inFunction = false;
        foreach (var statement in program.Statements) ResolveStatement(statement, topLevel: true);
        var topLevelLocals = _locals;

        var functionLocals = new Dictionary<FunctionDecl, IReadOnlyList<string>>();
        foreach (var function in program.Functions)
        {
            _locals = [];
            _inFunction = true;
            _loopDepth = 0;
            var parameters = PushScope();
            for (int i = 0; i < function.Parameters.Count; i++)
            {
                string name = function.Parameters[i];
                if (parameters.ContainsKey(name))
                {
                    _diagnostics.Error(function.ParameterPositions[i], DiagnosticCode.DuplicateParameter, $"parameter '{name}' is declared twice");
                    name = $"{name}#{i}"; // keep the slot, unreachable by name
                }
                Declare(name, function.ParameterPositions[i]);
            }
            ResolveBlockContents(function.Body);
            PopScope();
            functionLocals[function] = _locals;
        }
        return new ResolvedProgram(functionSymbols, _globalNames, functionLocals, topLevelLocals);
    }

    private Dictionary<string, VariableSymbol> PushScope()
    {
        var scope = new Dictionary<string, VariableSymbol>(StringComparer.Ordinal);
        _scopes.Add(scope);
        return scope;
    }

    private void PopScope() => _scopes.RemoveAt(_scopes.Count - 1);

    private VariableSymbol Declare(string name, Position at)
    {
        var scope = _scopes[^1];
        if (scope.TryGetValue(name, out var existing))
        {
            _diagnostics.Error(at, DiagnosticCode.DuplicateVariable, $"'{name}' is already declared in this scope");
            return existing;
        }
        var symbol = new VariableSymbol(name, VariableStorage.Local, _locals.Count);
        _locals.Add(name);
        scope[name] = symbol;
        return symbol;
    }

    private VariableSymbol? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
            if (_scopes[i].TryGetValue(name, out var symbol)) return symbol;
        return _globals.GetValueOrDefault(name);
    }

    private void ResolveBlock(BlockStmt block)
    {
        PushScope();
        ResolveBlockContents(block);
        PopScope();
    }

    private void ResolveBlockContents(BlockStmt block)
    {
        foreach (var statement in block.Statements) ResolveStatement(statement, topLevel: false);
    }

    private void ResolveStatement(Stmt statement, bool topLevel)
    {
        EnsureStack();
        switch (statement)
        {
            case LetStmt let:
                ResolveExpression(let.Value);
                // A top-level let was declared as a global up front; any other declares a local
                // after its initializer, so 'let x = x + 1;' reads the outer x.
                if (!topLevel) let.Symbol = Declare(let.Name, let.NameAt);
                break;
            case AssignStmt assign:
                ResolveExpression(assign.Value);
                assign.Symbol = Lookup(assign.Name);
                if (assign.Symbol is null)
                {
                    if (_functions.ContainsKey(assign.Name))
                        _diagnostics.Error(assign.At, DiagnosticCode.FunctionIsNotAValue, $"cannot assign to '{assign.Name}': it is a function, not a variable");
                    else
                        _diagnostics.Error(assign.At, DiagnosticCode.UndeclaredName, $"cannot assign to '{assign.Name}': it is not declared (declare it with 'let {assign.Name} = ...;')");
                }
                break;
            case IfStmt ifStmt:
                ResolveExpression(ifStmt.Condition);
                ResolveBlock(ifStmt.Then);
                if (ifStmt.Else is BlockStmt elseBlock) ResolveBlock(elseBlock);
                else if (ifStmt.Else is not null) ResolveStatement(ifStmt.Else, topLevel: false);
                break;
            case WhileStmt whileStmt:
                ResolveExpression(whileStmt.Condition);
                _loopDepth++;
                ResolveBlock(whileStmt.Body);
                _loopDepth--;
                break;
            case BreakStmt:
                if (_loopDepth == 0) _diagnostics.Error(statement.At, DiagnosticCode.BreakOutsideLoop, "'break' outside a loop");
                break;
            case ContinueStmt:
                if (_loopDepth == 0) _diagnostics.Error(statement.At, DiagnosticCode.ContinueOutsideLoop, "'continue' outside a loop");
                break;
            case ReturnStmt ret:
                if (!_inFunction) _diagnostics.Error(statement.At, DiagnosticCode.ReturnOutsideFunction, "'return' outside a function");
                if (ret.Value is not null) ResolveExpression(ret.Value);
                break;
            case ExprStmt exprStmt:
                ResolveExpression(exprStmt.Expression);
                break;
            case BlockStmt block:
                ResolveBlock(block);
                break;
        }
    }

    private void ResolveExpression(Expr expression)
    {
        EnsureStack();
        switch (expression)
        {
            case NameExpr name:
                name.Symbol = Lookup(name.Name);
                if (name.Symbol is null)
                {
                    if (_functions.ContainsKey(name.Name) || BuiltinInfo.ByName(name.Name) is not null)
                        _diagnostics.Error(name.At, DiagnosticCode.FunctionIsNotAValue, $"'{name.Name}' is a function; functions are not values (call it: '{name.Name}(...)')");
                    else
                        _diagnostics.Error(name.At, DiagnosticCode.UndeclaredName, $"name '{name.Name}' is not declared");
                }
                break;
            case UnaryExpr unary:
                ResolveExpression(unary.Operand);
                break;
            case BinaryExpr binary:
                ResolveExpression(binary.Left);
                ResolveExpression(binary.Right);
                break;
            case CompareExpr compare:
                ResolveExpression(compare.Left);
                ResolveExpression(compare.Right);
                break;
            case LogicalExpr logical:
                ResolveExpression(logical.Left);
                ResolveExpression(logical.Right);
                break;
            case CallExpr call:
                foreach (var argument in call.Arguments) ResolveExpression(argument);
                ResolveCall(call);
                break;
        }
    }

    private void ResolveCall(CallExpr call)
    {
        int argc = call.Arguments.Count;
        // User functions come first, so a program may declare its own 'min' or 'print'.
        if (_functions.TryGetValue(call.Name, out var function))
        {
            call.Function = function;
            if (function.ParamCount != argc)
                _diagnostics.Error(call.At, DiagnosticCode.WrongArgumentCount, $"function '{call.Name}' takes {Plural(function.ParamCount, "argument")}, but {argc} {(argc == 1 ? "was" : "were")} given");
            return;
        }
        var builtin = BuiltinInfo.ByName(call.Name);
        if (builtin is not null)
        {
            call.Builtin = builtin;
            if (!builtin.Accepts(argc))
                _diagnostics.Error(call.At, DiagnosticCode.WrongArgumentCount, $"{builtin.Name}() takes {builtin.ArityText} argument{(builtin.MaxArgs == 1 ? "" : "s")}, but {argc} {(argc == 1 ? "was" : "were")} given");
            return;
        }
        if (Lookup(call.Name) is not null)
            _diagnostics.Error(call.At, DiagnosticCode.VariableIsNotAFunction, $"'{call.Name}' is a variable, not a function");
        else
            _diagnostics.Error(call.At, DiagnosticCode.UnknownFunction, $"unknown function '{call.Name}'");
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>The parser bounds nesting; this is the backstop for hosts that compile on a small stack.</summary>
    private static void EnsureStack() => RuntimeHelpers.EnsureSufficientExecutionStack();
}
