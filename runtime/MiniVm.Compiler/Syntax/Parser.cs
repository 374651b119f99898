using System.Runtime.CompilerServices;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Compiler.Diagnostics;
using MiniVm.Compiler.Source;
using MiniVm.Compiler.Tokens;

namespace MiniVm.Compiler.Syntax;

/// <summary>
/// Recursive-descent parser for the grammar in docs/language.md. On a syntax error it reports
/// once, then skips to the next statement boundary ("panic mode", as in clox), so one compile
/// reports every error. Nesting is bounded (<see cref="MaxNesting"/>, <see cref="MaxHeight"/>):
/// deeply nested input gets a diagnostic instead of exhausting the native stack, which .NET
/// cannot recover from.
/// </summary>
internal sealed class Parser
{
    /// <summary>Blocks (and else-if links) nested inside each other; and, separately, parentheses,
    /// call argument lists, unary minus and not nested inside each other within one expression.</summary>
    public const int MaxNesting = 256;

    /// <summary>The depth of an expression tree, e.g. the terms of one long <c>a + b + ...</c> chain.</summary>
    public const int MaxHeight = 1000;

    private readonly List<Token> _tokens;
    private readonly DiagnosticBag _diagnostics;
    private int _current;
    private int _blockNesting;
    private int _expressionNesting;
    private bool _reportedTooDeep;

    /// <summary>Thrown to unwind to the nearest statement boundary after a syntax error was reported.</summary>
    private sealed class SyntaxError : Exception;

    private Parser(List<Token> tokens, DiagnosticBag diagnostics)
    {
        _tokens = tokens;
        _diagnostics = diagnostics;
    }

    public static ProgramSyntax Parse(List<Token> tokens, DiagnosticBag diagnostics) => new Parser(tokens, diagnostics).ParseProgram();

    private Token Current => _tokens[_current];

    private Token PeekToken(int ahead) => _tokens[Math.Min(_current + ahead, _tokens.Count - 1)];

    private bool Check(TokenKind kind) => Current.Kind == kind;

    private Token Advance()
    {
        var token = Current;
        if (token.Kind != TokenKind.EndOfFile) _current++;
        return token;
    }

    private bool Match(TokenKind kind)
    {
        if (!Check(kind)) return false;
        Advance();
        return true;
    }

    private Token Expect(TokenKind kind, string context)
    {
        if (Check(kind)) return Advance();
        throw ErrorAtCurrent($"expected {TokenKindText.Describe(kind)} {context}, found {Current.Describe()}");
    }

    private SyntaxError ErrorAtCurrent(string message)
    {
        if (!_reportedTooDeep)
            _diagnostics.Error(Current.Start, DiagnosticCode.UnexpectedToken, message);
        return new SyntaxError();
    }

    private ProgramSyntax ParseProgram()
    {
        var functions = new List<FunctionDecl>();
        var statements = new List<Stmt>();
        while (!Check(TokenKind.EndOfFile))
        {
            try
            {
                if (Check(TokenKind.Fn))
                    functions.Add(ParseFunction());
                else
                    statements.Add(ParseStatement(topLevel: true));
            }
            catch (SyntaxError)
            {
                Synchronize();
            }
        }
        return new ProgramSyntax(functions, statements);
    }

    /// <summary>Skips to a likely statement start: past a ';', or before a '}' or a statement keyword.</summary>
    private void Synchronize()
    {
        while (!Check(TokenKind.EndOfFile))
        {
            if (Match(TokenKind.Semicolon)) return;
            switch (Current.Kind)
            {
                case TokenKind.RightBrace:
                    if (_blockNesting == 0) Advance(); // a stray '}' at top level: skip it
                    return;
                case TokenKind.Fn or TokenKind.Let or TokenKind.If or TokenKind.While
                    or TokenKind.Return or TokenKind.Break or TokenKind.Continue:
                    return;
            }
            Advance();
        }
    }

    private FunctionDecl ParseFunction()
    {
        var fnToken = Advance();
        var name = Expect(TokenKind.Identifier, "after 'fn'");
        var nameAt = name.Start;
        Expect(TokenKind.LeftParen, $"after the function name '{name.Text}'");
        var parameters = new List<string>();
        var positions = new List<Position>();
        if (!Check(TokenKind.RightParen))
        {
            do
            {
                var parameter = Expect(TokenKind.Identifier, "as a parameter name");
                parameters.Add(parameter.Text);
                positions.Add(parameter.Start);
            }
            while (Match(TokenKind.Comma));
        }
        Expect(TokenKind.RightParen, "after the parameters");
        var body = ParseBlock("before the function body");
        return new FunctionDecl(fnToken.Start, name.Text, nameAt, parameters, positions, body);
    }

    private BlockStmt ParseBlock(string context)
    {
        var open = Expect(TokenKind.LeftBrace, context);
        EnterBlock(open.Start);
        try
        {
            var statements = new List<Stmt>();
            while (!Check(TokenKind.RightBrace) && !Check(TokenKind.EndOfFile))
            {
                try
                {
                    if (Check(TokenKind.Fn))
                    {
                        _diagnostics.Error(Current.Start, DiagnosticCode.FunctionNotAtTopLevel, "functions can only be declared at the top level");
                        ParseFunction(); // parsed for its own errors, then dropped
                        continue;
                    }
                    statements.Add(ParseStatement(topLevel: false));
                }
                catch (SyntaxError)
                {
                    Synchronize();
                }
            }
            Expect(TokenKind.RightBrace, "to close the block");
            return new BlockStmt(open.Start, statements);
        }
        finally
        {
            _blockNesting--;
        }
    }

    private Stmt ParseStatement(bool topLevel)
    {
        var start = Current;
        switch (start.Kind)
        {
            case TokenKind.Let:
            {
                Advance();
                var name = Expect(TokenKind.Identifier, "after 'let'");
                Expect(TokenKind.Equal, $"after 'let {name.Text}'");
                var value = ParseExpression();
                Expect(TokenKind.Semicolon, "after the 'let' statement");
                return new LetStmt(start.Start, name.Text, name.Start, value);
            }
            case TokenKind.If:
                return ParseIf();
            case TokenKind.While:
            {
                Advance();
                var condition = ParseExpression();
                var body = ParseBlock("after the 'while' condition");
                return new WhileStmt(start.Start, condition, body);
            }
            case TokenKind.Break:
                Advance();
                Expect(TokenKind.Semicolon, "after 'break'");
                return new BreakStmt(start.Start);
            case TokenKind.Continue:
                Advance();
                Expect(TokenKind.Semicolon, "after 'continue'");
                return new ContinueStmt(start.Start);
            case TokenKind.Return:
            {
                Advance();
                Expr? value = Check(TokenKind.Semicolon) ? null : ParseExpression();
                Expect(TokenKind.Semicolon, "after the 'return' statement");
                return new ReturnStmt(start.Start, value);
            }
            case TokenKind.LeftBrace:
                throw ErrorAtCurrent("a block cannot stand alone; use 'if' or 'while'");
            case TokenKind.Identifier when PeekToken(1).Kind == TokenKind.Equal:
            {
                Advance();
                Advance();
                var value = ParseExpression();
                Expect(TokenKind.Semicolon, "after the assignment");
                return new AssignStmt(start.Start, start.Text, value);
            }
            default:
            {
                var expression = ParseExpression();
                // The program's last item may be an expression with no ';': its value is printed.
                if (topLevel && Check(TokenKind.EndOfFile))
                    return new ExprStmt(start.Start, expression, printsValue: true);
                Expect(TokenKind.Semicolon, "after the expression");
                return new ExprStmt(start.Start, expression, printsValue: false);
            }
        }
    }

    private IfStmt ParseIf()
    {
        var ifToken = Advance();
        var condition = ParseExpression();
        var then = ParseBlock("after the 'if' condition");
        Stmt? otherwise = null;
        if (Match(TokenKind.Else))
        {
            if (Check(TokenKind.If))
            {
                // else-if chains nest one level per link: bound them like any nesting.
                EnterBlock(Current.Start);
                try
                {
                    otherwise = ParseIf();
                }
                finally
                {
                    _blockNesting--;
                }
            }
            else
            {
                otherwise = ParseBlock("after 'else'");
            }
        }
        return new IfStmt(ifToken.Start, condition, then, otherwise);
    }

    private void EnterBlock(Position at)
    {
        if (++_blockNesting > MaxNesting || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _blockNesting--;
            TooDeep(at, $"more than {MaxNesting} nested blocks");
        }
    }

    private void TooDeep(Position at, string what)
    {
        if (!_reportedTooDeep)
        {
            _reportedTooDeep = true;
            _diagnostics.Error(at, DiagnosticCode.NestedTooDeeply, $"the program is nested too deeply: {what}");
        }
        // Abandon the rest of the file: after nesting this deep, recovery would only report noise.
        _current = _tokens.Count - 1;
        throw new SyntaxError();
    }

    /// <summary>A whole expression. Statement-level expressions do not count as nesting; the
    /// constructs that nest (parentheses, a call's argument list, unary minus, not) count themselves.</summary>
    private Expr ParseExpression() => ParseOr();

    /// <summary>Parses <paramref name="parse"/> one expression nesting level deeper, opened at <paramref name="at"/>.</summary>
    private T Nested<T>(Position at, Func<T> parse)
    {
        if (++_expressionNesting > MaxNesting || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _expressionNesting--;
            TooDeep(at, $"more than {MaxNesting} nested parentheses, calls or unary operators");
        }
        try
        {
            return parse();
        }
        finally
        {
            _expressionNesting--;
        }
    }

    private T Bounded<T>(T node) where T : Expr
    {
        if (node.Height > MaxHeight) TooDeep(node.At, $"an expression more than {MaxHeight} levels deep");
        return node;
    }

    private static int HeightOf(Expr a, Expr b) => Math.Max(a.Height, b.Height) + 1;

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Check(TokenKind.Or))
        {
            var op = Advance();
            var right = ParseAnd();
            left = Bounded(new LogicalExpr(op.Start, BoolOperator.Or, left, right) { Height = HeightOf(left, right) });
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Check(TokenKind.And))
        {
            var op = Advance();
            var right = ParseNot();
            left = Bounded(new LogicalExpr(op.Start, BoolOperator.And, left, right) { Height = HeightOf(left, right) });
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Check(TokenKind.Not)) return ParseComparison();
        var op = Advance();
        var operand = Nested(op.Start, ParseNot);
        return Bounded(new UnaryExpr(op.Start, UnaryOperator.Not, operand) { Height = operand.Height + 1 });
    }

    private Expr ParseComparison()
    {
        var left = ParseSum();
        CompareKind? kind = Current.Kind switch
        {
            TokenKind.EqualEqual => CompareKind.Equal,
            TokenKind.BangEqual => CompareKind.NotEqual,
            TokenKind.Less => CompareKind.Less,
            TokenKind.LessEqual => CompareKind.LessEqual,
            TokenKind.Greater => CompareKind.Greater,
            TokenKind.GreaterEqual => CompareKind.GreaterEqual,
            _ => null,
        };
        if (kind is not { } k) return left;
        var op = Advance();
        var right = ParseSum();
        if (Current.Kind is TokenKind.EqualEqual or TokenKind.BangEqual or TokenKind.Less or TokenKind.LessEqual or TokenKind.Greater or TokenKind.GreaterEqual)
            throw ErrorAtCurrent($"comparisons cannot be chained: use 'and', e.g. 'a < b and b < c' (found {Current.Describe()})");
        return Bounded(new CompareExpr(op.Start, k, left, right) { Height = HeightOf(left, right) });
    }

    private Expr ParseSum()
    {
        var left = ParseTerm();
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Advance();
            var right = ParseTerm();
            var kind = op.Kind == TokenKind.Plus ? BinaryOperator.Add : BinaryOperator.Subtract;
            left = Bounded(new BinaryExpr(op.Start, kind, left, right) { Height = HeightOf(left, right) });
        }
        return left;
    }

    private Expr ParseTerm()
    {
        var left = ParseUnary();
        while (Current.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            var op = Advance();
            var right = ParseUnary();
            var kind = op.Kind switch
            {
                TokenKind.Star => BinaryOperator.Multiply,
                TokenKind.Slash => BinaryOperator.Divide,
                _ => BinaryOperator.Modulo,
            };
            left = Bounded(new BinaryExpr(op.Start, kind, left, right) { Height = HeightOf(left, right) });
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (!Check(TokenKind.Minus)) return ParsePostfix();
        var op = Advance();
        var operand = Nested(op.Start, ParseUnary);
        return Bounded(new UnaryExpr(op.Start, UnaryOperator.Negate, operand) { Height = operand.Height + 1 });
    }

    private Expr ParsePostfix()
    {
        if (Check(TokenKind.Identifier) && PeekToken(1).Kind == TokenKind.LeftParen)
        {
            var name = Advance();
            var open = Advance();
            var arguments = new List<Expr>();
            int height = 1;
            if (!Check(TokenKind.RightParen))
            {
                // A call's argument list nests like parentheses.
                Nested(open.Start, () =>
                {
                    do
                    {
                        var argument = ParseExpression();
                        arguments.Add(argument);
                        height = Math.Max(height, argument.Height + 1);
                    }
                    while (Match(TokenKind.Comma));
                    return 0;
                });
            }
            Expect(TokenKind.RightParen, $"to close the call of '{name.Text}'");
            return Bounded(new CallExpr(name.Start, name.Text, arguments) { Height = height });
        }
        return ParsePrimary();
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Integer:
                Advance();
                return new IntLiteral(token.Start, token.IntValue);
            case TokenKind.Float:
                Advance();
                return new FloatLiteral(token.Start, token.FloatValue);
            case TokenKind.String:
                Advance();
                return new StringLiteral(token.Start, token.StringValue ?? "");
            case TokenKind.True:
                Advance();
                return new BoolLiteral(token.Start, true);
            case TokenKind.False:
                Advance();
                return new BoolLiteral(token.Start, false);
            case TokenKind.None:
                Advance();
                return new NoneLiteral(token.Start);
            case TokenKind.Identifier:
                Advance();
                return new NameExpr(token.Start, token.Text);
            case TokenKind.LeftParen:
            {
                var open = Advance();
                var inner = Nested(open.Start, ParseExpression);
                Expect(TokenKind.RightParen, "to close the parenthesis");
                return inner;
            }
            default:
                throw ErrorAtCurrent($"expected an expression, found {token.Describe()}");
        }
    }
}
