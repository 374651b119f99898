using System.Runtime.CompilerServices;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Compiler.Semantics;
using MiniVm.Compiler.Syntax;

namespace MiniVm.Compiler.CodeGen;

/// <summary>
/// Emits stack-machine bytecode by a post-order walk of the resolved AST: operands first, then
/// the operator. Runs only on programs without errors. Loops test at the bottom
/// (<c>JUMP_FORWARD test; body; test: cond; POP_JUMP_IF_TRUE body</c>), one jump per iteration.
/// </summary>
internal sealed class CodeGenerator
{
    private readonly ResolvedProgram _program;
    private readonly string _sourceName;
    private CodeBuilder _builder = null!;
    private readonly List<(Label Break, Label Continue)> _loops = [];

    private CodeGenerator(ResolvedProgram program, string sourceName)
    {
        _program = program;
        _sourceName = sourceName;
    }

    public static ModuleImage Generate(ProgramSyntax syntax, ResolvedProgram program, string sourceName)
    {
        var generator = new CodeGenerator(program, sourceName);
        var functions = new CodeObject[program.Functions.Count];
        int index = 0;
        foreach (var declaration in syntax.Functions)
        {
            // Duplicates were reported by the resolver; generation only runs without errors.
            functions[index++] = generator.GenerateBlock(builder => generator.EmitFunction(declaration),
                declaration.Name, declaration.Parameters.Count, program.FunctionLocals[declaration], declaration.At.Line);
        }
        var topLevel = generator.GenerateBlock(builder => generator.EmitTopLevel(syntax.Statements),
            "<module>", 0, program.TopLevelLocals, 1);
        return new ModuleImage(sourceName, program.Globals.ToArray(), functions, topLevel);
    }

    /// <summary>Generates one block; regenerates it with wide jumps if it outgrew 16-bit jump offsets.</summary>
    private CodeObject GenerateBlock(Action<CodeBuilder> emit, string name, int paramCount, IReadOnlyList<string> locals, int firstLine)
    {
        _builder = new CodeBuilder(FunctionParamCount, wideJumps: false);
        emit(_builder);
        if (_builder.JumpOverflowed)
        {
            _builder = new CodeBuilder(FunctionParamCount, wideJumps: true);
            emit(_builder);
        }
        return _builder.Build(name, paramCount, locals, firstLine);
    }

    private int FunctionParamCount(int index) => _program.Functions[index].ParamCount;

    private void EmitFunction(FunctionDecl declaration)
    {
        _builder.SetLine(declaration.At.Line);
        EmitStatements(declaration.Body.Statements);
        // Falling off the end returns none.
        _builder.LoadConstant(Constant.None);
        _builder.Emit(OpCode.ReturnValue);
    }

    private void EmitTopLevel(IReadOnlyList<Stmt> statements)
    {
        EmitStatements(statements);
        _builder.LoadConstant(Constant.None);
        _builder.Emit(OpCode.ReturnValue);
    }

    private void EmitStatements(IReadOnlyList<Stmt> statements)
    {
        foreach (var statement in statements)
        {
            // Whatever follows a return, break or continue in the same block can never run.
            if (!_builder.IsReachable) return;
            EmitStatement(statement);
        }
    }

    private void EmitStatement(Stmt statement)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        _builder.SetLine(statement.At.Line);
        switch (statement)
        {
            case LetStmt let:
                EmitExpression(let.Value);
                EmitStore(let.Symbol!);
                break;
            case AssignStmt assign:
                EmitExpression(assign.Value);
                _builder.SetLine(assign.At.Line);
                EmitStore(assign.Symbol!);
                break;
            case ExprStmt { PrintsValue: true } exprStmt:
                // The program's last expression: print it unless none, and return it to a host.
                EmitExpression(exprStmt.Expression);
                _builder.Emit(OpCode.DupTop);
                _builder.Emit(OpCode.PrintExpr);
                _builder.Emit(OpCode.ReturnValue);
                break;
            case ExprStmt exprStmt:
                EmitExpression(exprStmt.Expression);
                _builder.Emit(OpCode.PopTop);
                break;
            case IfStmt ifStmt:
                EmitIf(ifStmt);
                break;
            case WhileStmt whileStmt:
                EmitWhile(whileStmt);
                break;
            case BreakStmt:
                _builder.EmitJump(OpCode.JumpForward, _loops[^1].Break);
                break;
            case ContinueStmt:
                var target = _loops[^1].Continue;
                _builder.EmitJump(target.Offset >= 0 ? OpCode.JumpAbsolute : OpCode.JumpForward, target);
                break;
            case ReturnStmt ret:
                if (ret.Value is null) _builder.LoadConstant(Constant.None);
                else EmitExpression(ret.Value);
                _builder.SetLine(ret.At.Line);
                _builder.Emit(OpCode.ReturnValue);
                break;
            case BlockStmt block:
                EmitStatements(block.Statements);
                break;
        }
    }

    private void EmitStore(VariableSymbol symbol) =>
        _builder.Emit(symbol.Storage == VariableStorage.Global ? OpCode.StoreGlobal : OpCode.StoreFast, symbol.Slot);

    private void EmitIf(IfStmt ifStmt)
    {
        var otherwise = new Label();
        var end = new Label();
        EmitExpression(ifStmt.Condition);
        _builder.SetLine(ifStmt.At.Line);
        _builder.EmitJump(OpCode.PopJumpIfFalse, otherwise);
        EmitStatements(ifStmt.Then.Statements);
        if (ifStmt.Else is null)
        {
            _builder.Bind(otherwise);
            return;
        }
        _builder.EmitJump(OpCode.JumpForward, end);
        _builder.Bind(otherwise);
        EmitStatement(ifStmt.Else);
        _builder.Bind(end);
    }

    private void EmitWhile(WhileStmt loop)
    {
        var body = new Label();
        var test = new Label();
        var end = new Label();
        if (loop.Condition is BoolLiteral { Value: true })
        {
            // 'while true': no test at all; 'continue' jumps back to the top of the body.
            _builder.Bind(body, loopHead: true);
            _loops.Add((end, body));
            EmitStatements(loop.Body.Statements);
            _loops.RemoveAt(_loops.Count - 1);
            _builder.SetLine(loop.At.Line);
            _builder.EmitJump(OpCode.JumpAbsolute, body);
            _builder.Bind(end);
            return;
        }
        _builder.EmitJump(OpCode.JumpForward, test);
        _builder.Bind(body, loopHead: true);
        _loops.Add((end, test));
        EmitStatements(loop.Body.Statements);
        _loops.RemoveAt(_loops.Count - 1);
        _builder.Bind(test);
        _builder.SetLine(loop.At.Line);
        EmitExpression(loop.Condition);
        _builder.SetLine(loop.At.Line);
        _builder.EmitJump(OpCode.PopJumpIfTrue, body);
        _builder.Bind(end);
    }

    private void EmitExpression(Expr expression)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (ConstantFolder.Fold(expression) is { } constant)
        {
            _builder.SetLine(expression.At.Line);
            _builder.LoadConstant(constant);
            return;
        }
        switch (expression)
        {
            case NameExpr name:
                _builder.SetLine(name.At.Line);
                var symbol = name.Symbol!;
                _builder.Emit(symbol.Storage == VariableStorage.Global ? OpCode.LoadGlobal : OpCode.LoadFast, symbol.Slot);
                break;
            case UnaryExpr unary:
                EmitExpression(unary.Operand);
                _builder.SetLine(unary.At.Line);
                _builder.Emit(unary.Operator == UnaryOperator.Negate ? OpCode.UnaryNegative : OpCode.UnaryNot);
                break;
            case BinaryExpr binary:
                EmitExpression(binary.Left);
                EmitExpression(binary.Right);
                _builder.SetLine(binary.At.Line);
                _builder.Emit(binary.Operator switch
                {
                    BinaryOperator.Add => OpCode.BinaryAdd,
                    BinaryOperator.Subtract => OpCode.BinarySubtract,
                    BinaryOperator.Multiply => OpCode.BinaryMultiply,
                    BinaryOperator.Divide => OpCode.BinaryDivide,
                    _ => OpCode.BinaryModulo,
                });
                break;
            case CompareExpr compare:
                EmitExpression(compare.Left);
                EmitExpression(compare.Right);
                _builder.SetLine(compare.At.Line);
                _builder.Emit(OpCode.CompareOp, (int)compare.Operator);
                break;
            case LogicalExpr logical:
            {
                var end = new Label();
                EmitExpression(logical.Left);
                _builder.SetLine(logical.At.Line);
                _builder.EmitJump(logical.Operator == BoolOperator.And ? OpCode.JumpIfFalseOrPop : OpCode.JumpIfTrueOrPop, end);
                EmitExpression(logical.Right);
                _builder.SetLine(logical.At.Line);
                _builder.Emit(OpCode.RequireBool, (int)logical.Operator);
                _builder.Bind(end);
                break;
            }
            case CallExpr call:
                foreach (var argument in call.Arguments) EmitExpression(argument);
                _builder.SetLine(call.At.Line);
                if (call.Function is { } function)
                    _builder.Emit(OpCode.CallFunction, function.Index);
                else
                    _builder.Emit(OpCode.CallBuiltin, BuiltinInfo.EncodeCall(call.Builtin!.Id, call.Arguments.Count));
                break;
            default:
                throw new InvalidOperationException($"no code generation for {expression.GetType().Name}");
        }
    }
}
