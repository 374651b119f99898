using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Values;

namespace MiniVm.Jit.Compilation;

/// <summary>The kinds a value may have at a point of the code, as a set.</summary>
[Flags]
internal enum KindSet : byte
{
    Empty = 0,
    None = 1 << ValueKind.None,
    Bool = 1 << ValueKind.Bool,
    Int = 1 << ValueKind.Int,
    Float = 1 << ValueKind.Float,
    String = 1 << ValueKind.String,
    Number = Int | Float,
    Any = None | Bool | Int | Float | String,
    /// <summary>For globals: may still be unassigned (its <c>let</c> may not have run).</summary>
    Unassigned = 1 << ValueKind.Unassigned,
}

/// <summary>
/// Which kinds each local and each operand-stack slot may hold before each instruction: a
/// forward data-flow analysis over the bytecode (sets joined by union where paths meet, iterated
/// to a fixed point). It uses only what the language guarantees whatever the inputs: a constant
/// has its kind; a fresh local is none; a comparison or <c>not</c> gives a bool; arithmetic with a
/// float operand that succeeds gives a float, with two ints an int. Parameters, globals and call
/// results are unknown. No guess is involved, so the compiler may drop a check the analysis
/// proves cannot fail (<c>zr * zr</c> on floats is two loads, a multiply and a store) and the
/// code stays exact: speculation on observed types is the optimizing tier's business.
/// <para>Globals are tracked too, between calls: a code block knows nothing of them on entry
/// (any kind, maybe unassigned), learns from its own stores and loads, and forgets their kinds
/// at each call that may store one (the callee may store anything; it can never make a global
/// unassigned again; see <see cref="GlobalWrites"/>).
/// So a top-level loop over globals is as well known as one over locals.</para>
/// <para>An optimizing compile adds its <see cref="Speculation"/>: past the guards that check
/// them, the bet kinds of parameters, call results and global loads are facts too, and a jump
/// bet to go one way has no edge the other way (what is only reachable through it is never
/// reached, and not compiled). The analysis then holds wherever the compiled code runs, since
/// every guard before that point passed.</para>
/// <para>Alongside the kinds, the same pass propagates constants through locals and the operand
/// stack, folding int and float arithmetic whose result it knows (seed 004's
/// <c>b = 3; c = 4; return b + c</c> is <c>return 7</c>): a local whose every path here stored
/// the same value is that constant, and the compiler uses the value, not the slot.</para>
/// </summary>
internal sealed class KindAnalysis
{
    /// <summary>Above this many (instructions × slots) the analysis is skipped and every kind is unknown.</summary>
    private const long MaxCells = 4_000_000;

    private readonly int _width;
    private readonly int _locals;
    private readonly int _globals; // tracked globals: all of them, or none if that would be too big
    private readonly KindSet[] _before; // per instruction: locals, globals, then stack slots
    private bool[] _reached = [];

    /// <summary>Above this many cells constants are not propagated (they take 9 bytes a cell).</summary>
    private const long MaxConstantCells = 1_000_000;

    // Per cell, as _before: Unvisited, Varying, or a constant of kind (tag - Constant) with these bits.
    private const byte Unvisited = 0, Varying = 1, Constant = 2;
    private byte[] _constantTag = [];
    private long[] _constantBits = [];

    private KindAnalysis(int instructions, int locals, int globals, int maxStack)
    {
        _locals = locals;
        _globals = (long)instructions * (locals + globals + maxStack) <= MaxCells ? globals : 0;
        _width = locals + _globals + maxStack;
        _before = new KindSet[(long)instructions * _width <= MaxCells ? instructions * _width : 0];
    }

    private int StackStart => _locals + _globals;

    /// <summary>False where the analysis ran and found nothing reaches instruction <paramref name="at"/>.</summary>
    public bool Reached(int at) => _before.Length == 0 || _reached[at];

    /// <summary>Whether the analysis ran (it is skipped for very large code, and every kind is then unknown).</summary>
    public bool Ran => _before.Length > 0;

    /// <summary>The value of the condition of conditional jump <paramref name="at"/> (with
    /// <paramref name="depth"/> values on the stack before it), if it is the same on every path.</summary>
    public bool? ConstantCondition(int at, int depth)
    {
        if (_constantTag.Length == 0 || !_reached[at] || depth < 1) return null;
        long cell = (long)at * _width + StackStart + depth - 1;
        return _constantTag[cell] == Constant + (byte)ValueKind.Bool ? _constantBits[cell] != 0 : null;
    }

    /// <summary>Whether local <paramref name="local"/> holds the same value on every path to
    /// instruction <paramref name="at"/> (a none, bool, int or float), and which.</summary>
    public bool TryConstantLocal(int at, int local, out Value value)
    {
        value = default;
        if (_constantTag.Length == 0 || local >= _locals || !_reached[at]) return false;
        long cell = (long)at * _width + local;
        byte tag = _constantTag[cell];
        if (tag < Constant) return false;
        value = MakeValue((ValueKind)(tag - Constant), _constantBits[cell]);
        return true;
    }

    private static Value MakeValue(ValueKind kind, long bits) => kind switch
    {
        ValueKind.Int => Value.Int(bits),
        ValueKind.Float => Value.Float(BitConverter.Int64BitsToDouble(bits)),
        ValueKind.Bool => Value.Bool(bits != 0),
        _ => Value.None,
    };

    /// <summary>The kinds local <paramref name="local"/> may hold before instruction <paramref name="at"/>.</summary>
    public KindSet Local(int at, int local) => _before.Length == 0 ? KindSet.Any : _before[at * _width + local];

    /// <summary>The kinds the operand-stack slot <paramref name="position"/> may hold before instruction <paramref name="at"/>.</summary>
    public KindSet Stack(int at, int position) => _before.Length == 0 ? KindSet.Any : _before[at * _width + StackStart + position];

    /// <summary>The kinds global <paramref name="global"/> may hold before instruction <paramref name="at"/>,
    /// with <see cref="KindSet.Unassigned"/> if it may not be assigned yet.</summary>
    public KindSet Global(int at, int global) =>
        global < _globals && _before.Length > 0 ? _before[at * _width + _locals + global] : KindSet.Any | KindSet.Unassigned;

    /// <param name="next">Whether each instruction falls through to the next one.</param>
    /// <param name="target">Each jump's target instruction (ignored for others).</param>
    /// <param name="depth">The stack depth before each instruction (-1: unreachable).</param>
    /// <param name="speculation">An optimizing compile's bets, or null.</param>
    /// <param name="entry">What is known of the parameters on entry (an inline body's arguments:
    /// it replaces the parameter bets), or null.</param>
    public static KindAnalysis Run(PreparedModule module, FunctionCode function, Instruction[] code, int[] target, int[] depth, Speculation? speculation,
        EntryFacts? entry = null)
    {
        var analysis = new KindAnalysis(code.Length, function.LocalCount, module.Image.Globals.Length, function.Source.MaxStack);
        if (analysis._before.Length == 0) return analysis;
        analysis.Solve(module, function, code, target, depth, speculation, entry);
        return analysis;
    }

    private void Solve(PreparedModule module, FunctionCode function, Instruction[] code, int[] target, int[] depth, Speculation? speculation, EntryFacts? entry)
    {
        var reached = _reached = new bool[code.Length];
        var queued = new bool[code.Length];
        var work = new WorkList(code.Length);
        var state = new KindSet[_width];
        var tags = new byte[_width];
        var bits = new long[_width];
        var globalWrites = GlobalWrites.Of(module);
        if (_before.Length <= MaxConstantCells)
        {
            _constantTag = new byte[_before.Length];
            _constantBits = new long[_before.Length];
        }
        _tags = tags;
        _bits = bits;
        _paramCount = f => module.AllCode[f].ParamCount;
        // Entry: parameters vary, the other locals are none (all zero: a none constant), the stack is empty.
        for (int k = 0; k < _width; k++) tags[k] = Varying;
        for (int l = function.ParamCount; l < _locals; l++) tags[l] = Constant + (byte)ValueKind.None;

        // Entry: parameters unknown, the other locals none, the stack empty.
        for (int l = 0; l < _locals; l++)
            state[l] = l >= function.ParamCount ? KindSet.None : entry?.Kinds[l] ?? speculation?.Parameter(l) ?? KindSet.Any;
        for (int l = 0; entry is not null && l < function.ParamCount; l++)
        {
            if (entry.Constants[l] is not { } known) continue;
            tags[l] = (byte)(Constant + (byte)known.Kind);
            bits[l] = known.Bits;
        }
        for (int g = 0; g < _globals; g++) state[_locals + g] = KindSet.Any | KindSet.Unassigned;
        Merge(0, state, reached, queued, work);

        while (work.Count > 0)
        {
            int i = work.Pop();
            queued[i] = false;
            Array.Copy(_before, i * _width, state, 0, _width);
            if (_constantTag.Length > 0)
            {
                Array.Copy(_constantTag, i * _width, tags, 0, _width);
                Array.Copy(_constantBits, i * _width, bits, 0, _width);
            }
            int d = depth[i];
            var instruction = code[i];
            int arg = instruction.Arg;
            ref KindSet Slot(int fromTop) => ref state[StackStart + d - fromTop];
            if (_constantTag.Length > 0) PropagateConstants(function, instruction, d, tags, bits);

            switch (instruction.Info.Code)
            {
                case OpCode.PopTop:
                case OpCode.PrintExpr:
                    d--;
                    break;
                case OpCode.StoreGlobal:
                    if (arg < _globals) state[_locals + arg] = Slot(1);
                    d--;
                    break;
                case OpCode.RotTwo:
                    (Slot(1), Slot(2)) = (Slot(2), Slot(1));
                    break;
                case OpCode.DupTop:
                    state[StackStart + d] = Slot(1);
                    d++;
                    break;
                case OpCode.UnaryNegative:
                    Slot(1) &= KindSet.Number;
                    break;
                case OpCode.UnaryNot:
                    Slot(1) = KindSet.Bool;
                    break;
                case OpCode.CompareOp:
                    d--;
                    Slot(1) = KindSet.Bool;
                    break;
                case OpCode.BinaryAdd:
                case OpCode.BinarySubtract:
                case OpCode.BinaryMultiply:
                case OpCode.BinaryDivide:
                case OpCode.BinaryModulo:
                    Slot(2) = Arithmetic(instruction.Info.Code, Slot(2), Slot(1));
                    d--;
                    break;
                case OpCode.RequireBool:
                case OpCode.JumpIfFalseOrPop:
                case OpCode.JumpIfTrueOrPop:
                    Slot(1) &= KindSet.Bool; // anything else is an error
                    break;
                case OpCode.LoadGlobal:
                    if (arg < _globals)
                    {
                        // Past the load the global is assigned (else the load raised its error).
                        state[_locals + arg] &= ~KindSet.Unassigned;
                        if (speculation is not null) state[_locals + arg] = speculation.Value(i, state[_locals + arg]);
                        state[StackStart + d] = state[_locals + arg];
                    }
                    else
                    {
                        state[StackStart + d] = speculation?.Value(i, KindSet.Any) ?? KindSet.Any;
                    }
                    d++;
                    break;
                case OpCode.LoadConst:
                    state[StackStart + d] = Of(function.Constants[arg].Kind);
                    d++;
                    break;
                case OpCode.LoadFast:
                    state[StackStart + d] = state[arg];
                    d++;
                    break;
                case OpCode.StoreFast:
                    state[arg] = Slot(1);
                    d--;
                    break;
                case OpCode.CallFunction:
                    // The callee may store any kind in any global, but cannot unassign one (and
                    // one that never stores a global, directly or not, leaves them as they are).
                    if (globalWrites[arg])
                        for (int g = 0; g < _globals; g++) state[_locals + g] = KindSet.Any | (state[_locals + g] & KindSet.Unassigned);
                    d -= module.AllCode[arg].ParamCount;
                    state[StackStart + d] = speculation?.Value(i, KindSet.Any) ?? KindSet.Any;
                    d++;
                    break;
                case OpCode.CallBuiltin:
                {
                    var (id, argc) = BuiltinInfo.DecodeCall(arg);
                    var result = (BuiltinId)id switch
                    {
                        BuiltinId.Sqrt or BuiltinId.Float => KindSet.Float,
                        BuiltinId.Int => KindSet.Int,
                        BuiltinId.Str => KindSet.String,
                        BuiltinId.Print => KindSet.None,
                        BuiltinId.Abs => Slot(1) & KindSet.Number,
                        BuiltinId.Min or BuiltinId.Max => (Slot(1) | Slot(2)) & KindSet.Number,
                        _ => KindSet.Any,
                    };
                    d -= argc;
                    state[StackStart + d] = result;
                    d++;
                    break;
                }
            }

            var flow = instruction.Info.Flow;
            if (flow is FlowKind.Jump or FlowKind.ConditionalJump)
            {
                // A conditional jump pops its operand unless it is an "or pop" jump, which keeps it.
                bool keeps = instruction.Info.Code is OpCode.JumpIfFalseOrPop or OpCode.JumpIfTrueOrPop;
                if (flow == FlowKind.ConditionalJump && !keeps) d--;
                var bet = flow == FlowKind.ConditionalJump && !keeps ? speculation?.Branch(i) ?? BranchBet.Both : BranchBet.Both;
                // A condition known to be a constant goes one way, bet or no bet (and the compiler
                // compiles that way only: see ConstantCondition).
                if (flow == FlowKind.ConditionalJump && !keeps && _constantTag.Length > 0 && tags[StackStart + d] == Constant + (byte)ValueKind.Bool)
                {
                    bool jumpWhen = instruction.Info.Code == OpCode.PopJumpIfTrue;
                    bet = (bits[StackStart + d] != 0) == jumpWhen ? BranchBet.AlwaysJumps : BranchBet.NeverJumps;
                }
                if (bet != BranchBet.NeverJumps) Merge(target[i], state, reached, queued, work);
                if (bet == BranchBet.AlwaysJumps) continue;
                if (keeps) d--;
            }
            if (flow is FlowKind.Next or FlowKind.ConditionalJump && i + 1 < code.Length)
                Merge(i + 1, state, reached, queued, work);
            _ = d;
        }
    }

    // The constants after the instruction being visited (beside `state`), for Merge.
    private byte[] _tags = [];
    private long[] _bits = [];

    /// <summary>What instruction <paramref name="instruction"/> (with <paramref name="d"/> values on
    /// the stack before it) does to the constants: loads and stores move them, int and float
    /// arithmetic on two known numbers folds (as the interpreter computes it; an error is left to
    /// run time), and any other value an instruction pushes is not known.</summary>
    private Func<int, int> _paramCount = _ => 0;

    private void PropagateConstants(FunctionCode function, Instruction instruction, int d, byte[] tags, long[] bits)
    {
        int top = StackStart + d; // the first free slot
        switch (instruction.Info.Code)
        {
            case OpCode.LoadConst:
            {
                var value = function.Constants[instruction.Arg];
                tags[top] = TracksConstant(value.Kind) ? (byte)(Constant + (byte)value.Kind) : Varying;
                bits[top] = value.Bits;
                return;
            }
            case OpCode.LoadFast:
                tags[top] = tags[instruction.Arg];
                bits[top] = bits[instruction.Arg];
                return;
            case OpCode.StoreFast:
                tags[instruction.Arg] = tags[top - 1];
                bits[instruction.Arg] = bits[top - 1];
                return;
            case OpCode.DupTop:
                tags[top] = tags[top - 1];
                bits[top] = bits[top - 1];
                return;
            case OpCode.RotTwo:
                (tags[top - 1], tags[top - 2]) = (tags[top - 2], tags[top - 1]);
                (bits[top - 1], bits[top - 2]) = (bits[top - 2], bits[top - 1]);
                return;
            case OpCode.BinaryAdd:
            case OpCode.BinarySubtract:
            case OpCode.BinaryMultiply:
            case OpCode.BinaryDivide:
            case OpCode.BinaryModulo:
            {
                int a = top - 2, b = top - 1;
                if (tags[a] >= Constant && tags[b] >= Constant)
                {
                    var left = MakeValue((ValueKind)(tags[a] - Constant), bits[a]);
                    var right = MakeValue((ValueKind)(tags[b] - Constant), bits[b]);
                    // Numbers only: the state (for strings) is never touched.
                    if (left.IsNumber && right.IsNumber && Operations.Arithmetic(instruction.Info.Code, ref left, right, null!) is null)
                    {
                        tags[a] = (byte)(Constant + (byte)left.Kind);
                        bits[a] = left.Bits;
                        return;
                    }
                }
                tags[a] = Varying;
                return;
            }
            default:
            {
                // Pushes at most one value, which is not known; an instruction that only pops
                // loses a constant below for nothing, which costs precision, never correctness.
                var (pops, pushes) = OpcodeTable.StackEffect(instruction.Info, instruction.Arg, _paramCount);
                if (pushes > 0) tags[top - pops] = Varying;
                return;
            }
        }
    }

    /// <summary>Joins <paramref name="state"/> into what is known before <paramref name="at"/>.</summary>
    private void Merge(int at, KindSet[] state, bool[] reached, bool[] queued, WorkList work)
    {
        int start = at * _width;
        bool changed = !reached[at];
        reached[at] = true;
        for (int k = 0; k < _width; k++)
        {
            var joined = _before[start + k] | state[k];
            if (joined != _before[start + k])
            {
                _before[start + k] = joined;
                changed = true;
            }
        }
        if (_constantTag.Length > 0)
        {
            for (int k = 0; k < _width; k++)
            {
                byte old = _constantTag[start + k], incoming = _tags[k];
                byte joined = old == Unvisited ? incoming
                    : old == Varying || incoming == Varying || old != incoming || _constantBits[start + k] != _bits[k] ? Varying
                    : old;
                if (joined != old)
                {
                    _constantTag[start + k] = joined;
                    _constantBits[start + k] = _bits[k];
                    changed = true;
                }
            }
        }
        if (changed && !queued[at])
        {
            queued[at] = true;
            work.Push(at);
        }
    }

    /// <summary>Instructions waiting to be (re)visited; each is in it at most once.</summary>
    private sealed class WorkList(int capacity)
    {
        private readonly int[] _items = new int[capacity];

        public int Count { get; private set; }

        public void Push(int item) => _items[Count++] = item;

        public int Pop() => _items[--Count];
    }

    /// <summary>The kinds whose constants the analysis propagates (a string is an object, not bits).</summary>
    public static bool TracksConstant(ValueKind kind) => kind is ValueKind.None or ValueKind.Bool or ValueKind.Int or ValueKind.Float;

    public static KindSet Of(ValueKind kind) => kind <= ValueKind.String ? (KindSet)(1 << (int)kind) : KindSet.Any;

    /// <summary>What <c>a op b</c> can give when it does not fail (docs/language.md, "Values and operations").</summary>
    private static KindSet Arithmetic(OpCode op, KindSet a, KindSet b)
    {
        var result = KindSet.Empty;
        if ((a & KindSet.Int) != 0 && (b & KindSet.Int) != 0) result |= KindSet.Int;
        if ((a & KindSet.Number) != 0 && (b & KindSet.Number) != 0 && ((a | b) & KindSet.Float) != 0) result |= KindSet.Float;
        if (op == OpCode.BinaryAdd && (a & KindSet.String) != 0 && (b & KindSet.String) != 0) result |= KindSet.String;
        return result;
    }
}

/// <summary>What is known of a code block's parameters on entry: their kinds and, where known,
/// their values (none, bool, int or float). An inline body gets them from its call site.</summary>
internal sealed record EntryFacts(KindSet[] Kinds, Value?[] Constants);
