using System.Globalization;
using MiniVm.Fuzz.Engine;

namespace MiniVm.Fuzz.Compiler;

/// <summary>
/// Random programs from the grammar of docs/language.md §3, as token lists. Names are declared
/// before use, calls have the right number of arguments and operands are parenthesized where
/// precedence requires, so most programs compile and reach the resolver and code generator;
/// a few per cent break one rule on purpose (an undeclared name, a wrong argument count, a
/// function used as a value), and a few are built at the nesting and count limits, where the
/// compiler must answer MVM2002 or MVM4001 rather than exhaust its stack. Types are not
/// tracked: nothing here runs.
/// </summary>
public sealed class ProgramGenerator
{
    /// <summary>Binding strength of an expression's outermost operator (docs/language.md §3, loosest first).</summary>
    private enum Level { Or, And, Not, Comparison, Sum, Term, Unary, Primary }

    private static readonly string[] Builtins1 = ["sqrt", "abs", "int", "float", "str"];
    private static readonly string[] Builtins2 = ["min", "max"];
    private static readonly string[] Comparisons = ["==", "!=", "<", "<=", ">", ">="];
    private static readonly string[] Literals =
    [
        "0", "1", "2", "7", "42", "-1", "1000000", "9223372036854775807", "4611686018427387904", "3037000500",
        "0.0", "1.5", "0.1", "2.5e-3", "1e9", "1e308", "1e400", "1E-400", "123456789.125",
        "\"\"", "\"s\"", "\"hello\"", "\"a\\nb\"", "\"tab\\t\\\"q\\\"\\\\\"", "\"\u00e9\u4e2d\"",
        "true", "false", "none",
    ];

    private readonly FuzzRandom _random;
    private readonly List<string> _tokens = [];
    private readonly List<(string Name, int Arity)> _functions = [];
    private readonly List<string> _globals = [];
    private readonly List<List<string>> _scopes = [];
    private bool _inFunction;
    private int _loops;
    private int _blocks;
    private int _nextLocal;

    private ProgramGenerator(FuzzRandom random) => _random = random;

    public static List<string> Generate(FuzzRandom random)
    {
        var generator = new ProgramGenerator(random);
        if (random.Chance(4)) generator.AtALimit();
        else generator.Program();
        return generator._tokens;
    }

    private void Emit(params string[] tokens) => _tokens.AddRange(tokens);

    private void Program()
    {
        int functions = _random.Next(0, 5);
        for (int i = 0; i < functions; i++) _functions.Add(($"f{i}", _random.Chance(90) ? _random.Next(0, 4) : _random.Next(0, 10)));
        int globals = _random.Next(0, 4);
        for (int i = 0; i < globals; i++) _globals.Add($"g{i}");

        // Items in a random order: each function once, each global's 'let' once, statements between.
        var items = new List<int>();
        for (int i = 0; i < functions; i++) items.Add(i);
        for (int i = 0; i < globals; i++) items.Add(-1 - i);
        for (int i = _random.Next(0, 6); i > 0; i--) items.Add(int.MaxValue);
        Shuffle(items);
        foreach (int item in items)
        {
            if (item == int.MaxValue)
            {
                Statement(depth: 0);
            }
            else if (item >= 0)
            {
                Function(_functions[item]);
            }
            else
            {
                Emit("let", _globals[-1 - item], "=");
                Expression(2, Level.Or);
                Emit(";");
            }
        }
        if (_random.Chance(40)) Expression(3, Level.Or);   // the last item: printed unless none
    }

    private void Function((string Name, int Arity) function)
    {
        Emit("fn", function.Name, "(");
        var parameters = new List<string>();
        for (int i = 0; i < function.Arity; i++)
        {
            if (i > 0) Emit(",");
            string name = _random.Chance(2) && i > 0 ? parameters[0] : $"p{i}";  // rarely a duplicate (MVM3004)
            parameters.Add(name);
            Emit(name);
        }
        Emit(")");
        _inFunction = true;
        _scopes.Add(parameters);
        Block(depth: 1, newScope: false);
        _scopes.RemoveAt(_scopes.Count - 1);
        _inFunction = false;
    }

    private void Block(int depth, bool newScope = true)
    {
        Emit("{");
        if (newScope) _scopes.Add([]);
        _blocks++;
        for (int i = _random.Next(0, depth > 3 ? 2 : 5); i > 0; i--) Statement(depth);
        _blocks--;
        if (newScope) _scopes.RemoveAt(_scopes.Count - 1);
        Emit("}");
    }

    private void Statement(int depth)
    {
        switch (_random.Next(11))
        {
            case 0 or 1 when _blocks > 0:
            {
                string name = $"v{_nextLocal++}";
                Emit("let", name, "=");
                Expression(3, Level.Or);    // before the name exists: 'let x = x' reads an outer x
                Emit(";");
                _scopes[^1].Add(name);
                break;
            }
            case 2 or 3 when Variables().Any():
                Emit(Variable(), "=");
                Expression(3, Level.Or);
                Emit(";");
                break;
            case 4 when depth < 6:
                Emit("if");
                Expression(3, Level.Or);
                Block(depth + 1);
                while (_random.Chance(30))
                {
                    Emit("else");
                    if (_random.Chance(50))
                    {
                        Block(depth + 1);
                        break;
                    }
                    Emit("if");
                    Expression(2, Level.Or);
                    Block(depth + 1);
                }
                break;
            case 5 when depth < 6:
                Emit("while");
                Expression(3, Level.Or);
                _loops++;
                Block(depth + 1);
                _loops--;
                break;
            case 6 when _loops > 0 || _random.Chance(3):
                Emit(_random.Chance(50) ? "break" : "continue", ";");
                break;
            case 7 when _inFunction || _random.Chance(3):
                Emit("return");
                if (_random.Chance(70)) Expression(3, Level.Or);
                Emit(";");
                break;
            default:
                if (_random.Chance(50)) Call("print", _random.Next(0, 4));
                else Expression(3, Level.Or);
                Emit(";");
                break;
        }
    }

    /// <summary>An expression at least as tight as <paramref name="min"/>; parenthesized when the
    /// one generated is looser (so "a < b < c" and "a + not b" are never produced by accident).</summary>
    private void Expression(int depth, Level min)
    {
        int start = _tokens.Count;
        var level = Unparenthesized(depth);
        if (level < min)
        {
            _tokens.Insert(start, "(");
            Emit(")");
        }
    }

    private Level Unparenthesized(int depth)
    {
        if (depth <= 0 || _random.Chance(30))
        {
            Primary(depth);
            return Level.Primary;
        }
        switch (_random.Next(8))
        {
            case 0:
                Binary(depth, "or", Level.Or, Level.And);
                return Level.Or;
            case 1:
                Binary(depth, "and", Level.And, Level.Not);
                return Level.And;
            case 2:
                Emit("not");
                Expression(depth - 1, Level.Not);
                return Level.Not;
            case 3:
                Expression(depth - 1, Level.Sum);
                Emit(_random.Pick(Comparisons));
                Expression(depth - 1, Level.Sum);
                return Level.Comparison;
            case 4:
                Binary(depth, _random.Chance(50) ? "+" : "-", Level.Sum, Level.Term);
                return Level.Sum;
            case 5:
                Binary(depth, _random.Pick(["*", "/", "%"]), Level.Term, Level.Unary);
                return Level.Term;
            case 6:
                Emit("-");
                Expression(depth - 1, Level.Unary);
                return Level.Unary;
            default:
                Primary(depth);
                return Level.Primary;
        }
    }

    /// <summary>Left-associative: the left operand may be the same level, the right one must be tighter.</summary>
    private void Binary(int depth, string op, Level left, Level right)
    {
        Expression(depth - 1, left);
        Emit(op);
        Expression(depth - 1, right);
    }

    private void Primary(int depth)
    {
        // At depth 0 only leaves: a literal or a variable.
        int choice = depth <= 0 ? _random.Next(6) : _random.Next(10);
        if (choice < 3)
        {
            Emit(Literal());
        }
        else if (choice < 6)
        {
            if (_random.Chance(2)) Emit(_random.Chance(50) ? "undeclared" : _functions.Count > 0 ? _functions[0].Name : "x");   // MVM3001 / MVM3010
            else if (Variables().Any()) Emit(Variable());
            else Emit(Literal());
        }
        else if (choice < 9)
        {
            if (_functions.Count > 0 && _random.Chance(60))
            {
                var (name, arity) = _random.Pick(_functions);
                Call(name, _random.Chance(95) ? arity : arity + 1, depth);   // rarely MVM3006
            }
            else if (_random.Chance(50))
            {
                Call(_random.Pick(Builtins1), 1, depth);
            }
            else
            {
                Call(_random.Pick(Builtins2), 2, depth);
            }
        }
        else
        {
            Emit("(");
            Expression(depth - 1, Level.Or);
            Emit(")");
        }
    }

    private void Call(string name, int arguments, int depth = 2)
    {
        Emit(name, "(");
        for (int i = 0; i < arguments; i++)
        {
            if (i > 0) Emit(",");
            Expression(depth - 1, Level.Or);
        }
        Emit(")");
    }

    private string Literal()
    {
        if (_random.Chance(85)) return _random.Pick(Literals);
        if (_random.Chance(50)) return (_random.NextU64() >> _random.Next(1, 64)).ToString(CultureInfo.InvariantCulture);
        // A finite double in .NET's round-trip form ("1.5E-05", "1E+20"): valid Expr literals too.
        return BitConverter.Int64BitsToDouble((long)(_random.NextU64() & 0x7FEF_FFFF_FFFF_FFFF)).ToString("R", CultureInfo.InvariantCulture);
    }

    private IEnumerable<string> Variables() => _scopes.SelectMany(s => s).Concat(_globals);

    private string Variable() => _random.Pick(Variables().ToArray());

    private void Shuffle(List<int> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A program at one of the compiler's limits, one below, or one beyond.</summary>
    private void AtALimit()
    {
        int n = _random.Next(-2, 3);
        switch (_random.Next(11))
        {
            case 7:   // an 'else if' chain: each link nests one block deeper
                Emit("let", "x", "=", "0", ";", "if", "x", "==", "0", "{", "}");
                for (int i = 1; i < 256 + n; i++) Emit("else", "if", "x", "==", i.ToString(CultureInfo.InvariantCulture), "{", "}");
                break;
            case 8:   // calls as arguments of calls, 256 deep
                for (int i = 0; i < 256 + n; i++) Emit(_random.Chance(50) ? "abs" : "str", "(");
                Emit("1");
                for (int i = 0; i < 256 + n; i++) Emit(")");
                break;
            case 9:   // 'and' and 'or' chains of 1,000 operands
                Emit("true");
                for (int i = 1; i < 1000 + n; i++) Emit(_random.Chance(50) ? "and" : "or", "false");
                break;
            case 10:  // parentheses and chains together: 40 levels of 25 terms, a tree 1,000 deep
                int levels = 40 + n;
                for (int i = 0; i < levels; i++)
                {
                    for (int t = 0; t < 24; t++) Emit("1", "+");
                    Emit("(");
                }
                Emit("1");
                for (int i = 0; i < levels; i++) Emit(")");
                break;
            case 0:   // parentheses, 256 deep
                for (int i = 0; i < 256 + n; i++) Emit("(");
                Emit("1");
                for (int i = 0; i < 256 + n; i++) Emit(")");
                break;
            case 1:   // 'not', 256 deep
                for (int i = 0; i < 256 + n; i++) Emit("not");
                Emit("true");
                break;
            case 2:   // unary minus, 256 deep
                for (int i = 0; i < 256 + n; i++) Emit("-");
                Emit("1");
                break;
            case 3:   // a chain of 1,000 terms
                Emit("1");
                for (int i = 1; i < 1000 + n; i++) Emit(_random.Chance(50) ? "+" : "*", "x");
                _tokens.InsertRange(0, ["let", "x", "=", "2", ";"]);
                break;
            case 4:   // blocks, 256 deep
                for (int i = 0; i < 256 + n; i++) Emit("if", "true", "{");
                Emit("print", "(", "1", ")", ";");
                for (int i = 0; i < 256 + n; i++) Emit("}");
                break;
            case 5:   // 255 parameters
                Emit("fn", "wide", "(");
                for (int i = 0; i < 255 + n; i++)
                {
                    if (i > 0) Emit(",");
                    Emit($"p{i}");
                }
                Emit(")", "{", "return", "p0", ";", "}");
                break;
            default:  // print with 255 arguments
                Emit("print", "(");
                for (int i = 0; i < 255 + n; i++)
                {
                    if (i > 0) Emit(",");
                    Emit("1");
                }
                Emit(")", ";");
                break;
        }
    }
}
