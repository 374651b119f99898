namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>Statements: declarations, assignments, prints, ifs, calls, global writes.</summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>Up to <paramref name="count"/> statements; stops after a return. Returns whether the block ended in a return.</summary>
    private bool Statements(int count, int depth, bool allowReturn = true)
    {
        for (int s = 0; s < count && !_blockEnded; s++) Statement(depth, allowReturn);
        bool ended = _blockEnded;
        _blockEnded = false;
        return ended;
    }

    private void Statement(int depth, bool allowReturn = true)
    {
        int choice = _random.Next(100);
        if (choice < 14) Let();
        else if (choice < 25) Assign();
        else if (choice < 35) RegisterShape();
        else if (choice < 43) Print();
        else if (choice < 53 && depth < 3) If(depth);
        else if (choice < 61 && depth < 3 && _loopDepth < 2) While(depth);
        else if (choice < 66 && depth < 2 && _loopDepth < 2) MorphLoop();
        else if (choice < 72) DivisionStress();
        else if (choice < 77) ComparisonStress();
        else if (choice < 81) GlobalWrite();
        else if (choice < 87) CallStatement();
        else if (choice < 90) GlobalAcrossCall();
        else if (choice < 94 && _loopDepth > 0) Line($"if {Condition(1)} {{ {(Chance(0.5) ? "break" : "continue")}; }}");
        else if (choice < 97 && _inFunction && depth > 0 && allowReturn)
        {
            Line($"return {Expr(_returns, 2)};");
            _blockEnded = true;
        }
        else if (choice < 98 && _inFunction && _loopDepth == 0 && depth == 0 && _budget == FunctionBudget) HotLoop();
        else if (choice < 99 && _multiplier == 1 && !_quiet && _churns < 2 && _budget >= FunctionBudget) StringChurn();
        else Print();
        _cost += _multiplier;
    }

    private void Let()
    {
        K kind = Pick([K.Int, K.Int, K.Int, K.Float, K.Float, K.Num, K.Bool, K.Str, K.Any]);
        Declare(kind, Expr(kind, 3));
    }

    private Var Declare(K kind, Ex value, string prefix = "v", bool? sure = null)
    {
        var v = new Var($"{prefix}{_names++}", kind, true, sure ?? (!value.MayStr && Chance(0.85)), _scopes.Count - 1, _loopDepth);
        Line($"let {v.Name} = {value};");
        _scopes[^1].Add(v);
        return v;
    }

    private static Ex Use(Var v) => new(v.Name, !v.Sure, !v.Sure);

    private void Assign()
    {
        var targets = Visible().Where(v => v.Assignable).ToList();
        if (targets.Count == 0)
        {
            Let();
            return;
        }
        var target = Pick(targets);
        K kind = target.Kind is K.Any ? Pick([K.Int, K.Float, K.Str]) : target.Kind;
        if (Chance(0.2)) kind = Morph(kind); // the variable changes kind: int -> float -> string -> bool
        if (target.Sure && kind == K.Str) kind = K.Bool;
        Ex value = Chance(0.5) && IsNumber(kind) && IsNumber(target.Kind)
            ? Binary(Use(target), UpdateOperator(["+", "-", "*", "/", "%"]), kind, 2)
            : Expr(kind, 3);
        if (target.Sure && value.MayStr) value = Ex.Plain(Literal(IsNumber(kind) ? kind : K.Int));
        Line($"{target.Name} = {value};");
        SetKind(target, kind);
    }

    /// <summary>The operator of <c>x = x op e</c>: in a loop (or, for a global, anywhere) a product would soon overflow, so mostly not <c>*</c>.</summary>
    private string UpdateOperator(string[] operators, bool always = false)
    {
        string op = Pick(operators);
        return op == "*" && (always || _multiplier > 1) && Chance(0.8) ? Pick(["+", "-"]) : op;
    }

    private static bool IsNumber(K kind) => kind is K.Int or K.Float or K.Num;

    private static K Morph(K kind) => kind switch
    {
        K.Int => K.Float,
        K.Float or K.Num => K.Str,
        K.Str => K.Bool,
        _ => K.Int,
    };

    private void SetKind(Var v, K kind)
    {
        if (v.Kind == kind) return;
        bool sameBlock = v.BlockDepth == _scopes.Count - 1 && v.LoopDepth == _loopDepth && !_globals.Contains(v);
        v.Kind = sameBlock ? kind : K.Any;
    }

    /// <summary>The shapes of the interpreter's superinstructions and the JIT's register caches: <c>d = a op b</c>, <c>x = x op c</c>.</summary>
    private void RegisterShape()
    {
        var numbers = Visible().Where(v => IsNumber(v.Kind)).ToList();
        var targets = numbers.Where(v => v.Assignable).ToList();
        if (targets.Count == 0)
        {
            Declare(K.Int, Ex.Plain(SmallInt()));
            return;
        }
        var target = Pick(targets);
        string op = Pick(["+", "-", "*", "+", "-"]);
        switch (_random.Next(4))
        {
            case 0:
            {
                Var a = Pick(numbers), b = Pick(numbers);
                if (op == "+" && !(a.Sure || b.Sure)) op = Pick(["-", "*"]); // two strings could double
                Line($"{target.Name} = {a.Name} {op} {b.Name};");
                SetKind(target, Join(target.Kind, Join(a.Kind, b.Kind)));
                break;
            }
            case 1:
                Line($"{target.Name} = {target.Name} {UpdateOperator([op])} {SmallNumber()};");
                break;
            case 2:
                Line($"{target.Name} = {target.Name} {Pick(["/", "%"])} {Divisor()};");
                break;
            default:
            {
                var a = Pick(numbers);
                var fresh = Declare(a.Kind, Binary(Use(a), op, K.Num, 0, right: SmallNumber()));
                if (op == "+" && !(a.Sure || fresh.Sure)) op = "*";
                Line($"{fresh.Name} = {fresh.Name} {op} {a.Name};");
                if (!_quiet) Line($"print({fresh.Name}, {a.Name});");
                break;
            }
        }
    }

    private static K Join(K a, K b) => a == b ? a : IsNumber(a) && IsNumber(b) ? K.Num : K.Any;

    private void Print()
    {
        if (_quiet) return;
        int count = Chance(0.03) ? 0 : _random.Next(1, 5); // print() writes an empty line
        var values = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var visible = Visible().ToList();
            values.Add(visible.Count > 0 && Chance(0.5) ? Pick(visible).Name : Expr(K.Any, 3).Text);
        }
        Line($"print({string.Join(", ", values)});");
    }

    private void If(int depth)
    {
        Line($"if {Condition(3)} {{");
        Block(depth, _random.Next(1, 4));
        while (true)
        {
            int form = _random.Next(3);
            if (form == 0)
            {
                Line("}");
                return;
            }
            if (form == 1)
            {
                Line("} else {");
                Block(depth, _random.Next(1, 3));
                Line("}");
                return;
            }
            Line($"}} else if {Condition(2)} {{");
            Block(depth, _random.Next(1, 3));
        }
    }

    private void Block(int depth, int statements)
    {
        _indent++;
        _scopes.Add([]);
        Statements(statements, depth + 1);
        _scopes.RemoveAt(_scopes.Count - 1);
        _indent--;
    }

    private void GlobalWrite()
    {
        if (_globals.Count == 0) return;
        var g = Pick(_globals);
        K kind = g.Kind == K.Any ? K.Num : g.Kind;
        if (Chance(0.1)) kind = Morph(kind);
        Ex value = IsNumber(kind) && Chance(0.6) ? Binary(Use(g), UpdateOperator(["+", "-", "*"], always: true), kind, 1) : Expr(kind, 2);
        Line($"{g.Name} = {value};");
        _writes.Add(g.Name);
        if (kind != g.Kind) g.Kind = K.Any;
    }

    private void CallStatement()
    {
        var callable = _functions.Where(f => _cost + _multiplier * f.Cost <= _budget).ToList();
        if (callable.Count == 0)
        {
            Print();
            return;
        }
        var fn = Pick(callable);
        _cost += _multiplier * fn.Cost;
        _writes.UnionWith(fn.Writes);
        string call = Call(fn, Pick([K.Int, K.Float, K.Num, K.Num]));
        if (Chance(0.5)) Line($"{call};");
        else
        {
            var v = Declare(fn.Returns, new Ex(call, true, true));
            if (!_quiet) Line($"print({v.Name});");
        }
    }

    /// <summary>A global read before and after a call that writes it: nothing may keep the old value in a register.</summary>
    private void GlobalAcrossCall()
    {
        var callable = _functions.Where(f => f.Writes.Count > 0 && _cost + _multiplier * f.Cost <= _budget).ToList();
        if (callable.Count == 0 || _quiet)
        {
            GlobalWrite();
            return;
        }
        var fn = Pick(callable);
        _cost += _multiplier * fn.Cost;
        _writes.UnionWith(fn.Writes);
        string written = Pick(fn.Writes.Order(StringComparer.Ordinal).ToList());
        var g = _globals.First(v => v.Name == written);
        var before = Declare(K.Any, Ex.Plain(g.Name), sure: false);
        if (Chance(0.5)) Line($"print({g.Name}, {g.Name} == {before.Name});");
        string call = Call(fn, Pick([K.Int, K.Float, K.Num]));
        // The global read before the call in the same statement (print's first argument, a comparison's left
        // side) is the old value: compiled code must not read it from the global after the call.
        Line(_random.Next(4) switch
        {
            0 => $"{call};",
            1 => $"print({call}, {g.Name});",
            2 => $"print({g.Name}, {call}, {g.Name});",
            _ => $"print({g.Name} == {call}, {g.Name} != {g.Name});",
        });
        Line($"print({before.Name}, {g.Name}, {before.Name} == {g.Name});");
        g.Kind = K.Any;
    }
}
