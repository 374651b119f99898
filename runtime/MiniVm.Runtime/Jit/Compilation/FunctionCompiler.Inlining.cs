using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Inlining: an optimizing compile puts the body of a small leaf callee into the caller's code
/// instead of calling it. The body is compiled by a second <see cref="FunctionCompiler"/> into the
/// same assembler, on the frame the call would have had: the callee's locals start where the
/// arguments already are (the caller's operand slots), so no argument moves, the body's own bets
/// come from the callee's profile, and what the caller knows of the arguments (their kinds, a
/// constant) flows into the body: <c>test(true)</c> in seed 000's loop is the constant 7.
/// <para>What makes it pay is what the body leaves out: no frame record, no entry table, no
/// native call and return, no reload of the caller's registers (a leaf stores no global and
/// keeps its hands off them). What makes it simple is that nothing in the body can be seen from
/// outside: a candidate prints nothing, stores no global, calls nothing and does not assign its
/// parameters. So when anything leaves the body's fast path (a failed bet of the callee's, an
/// error, a string helper, the depth limit, a full stack segment) there is no inline frame to
/// rebuild: the caller deoptimizes at the call itself, with the arguments still on its stack,
/// and the interpreter makes the call from its start. The step the call took is given back, so
/// it counts once. A failed bet of the body's teaches the callee's profile, and the caller's
/// recompile inlines it again with the wider bet; for anything else the caller's profile marks
/// the call site, and its next compile calls there.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Bets on other functions' bodies, from their profiles (null: this compile inlines nothing).</summary>
    private readonly Func<int, Speculation?>? _calleeSpeculation;

    private readonly Emission _emission;

    /// <summary>Set when this compiler emits a body inline into a caller's code.</summary>
    private readonly InlineBody? _inline;

    /// <summary>Bytes from rbx to this body's local 0: 0, or for an inline body where its frame starts in the caller's.</summary>
    private readonly int _frameBase;

    /// <summary>The calls inlined with a check for room in the stack segment (see <see cref="Compile"/>).</summary>
    private readonly HashSet<int> _framedCalls = [];

    /// <summary>For an inline body, by local: whether it lives only in a register, or nowhere (see <see cref="RegisterOnlyLocals"/>).</summary>
    private readonly bool[] _registerOnly;

    /// <summary>
    /// The locals of an inline body whose memory nobody reads: every read of the local is a
    /// constant the analysis folds, or comes from the register it is promoted to with the kind
    /// the register holds. The body's exits re-run the call from its arguments, so its frame is
    /// never rebuilt from memory, and such a local is never stored there (nor cleared at entry):
    /// <c>test</c>'s <c>b</c> in seed 000 is nothing at all, <c>dist</c>'s <c>dx</c> only xmm3.
    /// The parameters (the argument slots) and local 0 (the result slot) are not among them.
    /// </summary>
    private bool[] RegisterOnlyLocals()
    {
        var only = new bool[_function.LocalCount];
        for (int k = Math.Max(1, _function.ParamCount); k < only.Length; k++) only[k] = true;
        for (int i = 0; i < _code.Length; i++)
        {
            if (_code[i].Info.Code != OpCode.LoadFast || !HasCode(i)) continue;
            int k = _code[i].Arg;
            if (!only[k] || _kinds.TryConstantLocal(i, k, out _)) continue;
            var kinds = _kinds.Local(i, k);
            var local = Operand.Local(k);
            only[k] = (kinds == KindSet.Int && _promotion.TryInt(local, out _)) || (kinds == KindSet.Float && _promotion.TryFloat(local, out _));
        }
        return only;
    }

    private bool IsRegisterOnly(Operand operand) =>
        operand.Kind == OperandKind.Local && operand.Index < _registerOnly.Length && _registerOnly[operand.Index];

    /// <summary>Whether every read of local <paramref name="local"/> in this code is a constant the analysis folds.</summary>
    private bool FoldsEveryRead(int local)
    {
        for (int i = 0; i < _code.Length; i++)
            if (_code[i].Info.Code == OpCode.LoadFast && _code[i].Arg == local && HasCode(i)
                && !_kinds.TryConstantLocal(i, local, out _))
                return false;
        return true;
    }

    /// <summary>Whether parameter <paramref name="local"/> of an inline body was left out of its slot (see <see cref="InlineBody.NotInSlot"/>).</summary>
    private bool ArgumentNotInSlot(int local) => _inline is not null && local < _inline.NotInSlot.Length && _inline.NotInSlot[local];

    /// <summary>Bytes from rbx to the end of this code's frame.</summary>
    private int FrameEnd => _frameBase + _function.FrameSize * SlotSize;

    /// <summary>
    /// An inline body addresses <paramref name="operand"/> in its frame. A register-only local has
    /// no memory (an address for it would be a bug: the compile fails, and the function runs in
    /// the interpreter). Memory past the caller's frame needs the call's check for room in the
    /// stack segment: if the call has none, the compile starts again with one.
    /// </summary>
    private void CheckInlineFrameUse(Operand operand)
    {
        if (operand.Kind is not (OperandKind.Local or OperandKind.Slot)) return;
        if (IsRegisterOnly(operand))
            throw new InvalidOperationException($"local {operand.Index} of inline body {_function.Name} lives in a register only");
        int displacement = _frameBase + (operand.Kind == OperandKind.Slot ? SlotDisplacement(operand.Index) : operand.Index * SlotSize);
        _inline!.Caller.RequireFrameRoom(_inline, displacement);
    }

    /// <summary>The inlined call <paramref name="body"/> will use the slot at <paramref name="displacement"/> bytes from rbx.</summary>
    private void RequireFrameRoom(InlineBody body, int displacement)
    {
        if (body.ChecksFrameRoom || displacement < FrameEnd) return;
        _framedCalls.Add(body.CallAt);
        throw new FrameRoomNeeded();
    }

    /// <summary>Whether CALL_FUNCTION <paramref name="i"/> to <paramref name="calleeIndex"/> may be
    /// inlined: an optimizing compile (not itself an inline body), a candidate callee with a
    /// profile, not a recursive call, and a call site that has not left an inline body before.
    /// (<see cref="TryInline"/> may still call there, for what it finds about the arguments.)</summary>
    private bool MayInlineAt(int i, int calleeIndex) =>
        _inline is null && _speculation is not null && _calleeSpeculation is not null && calleeIndex != _function.Index
        && _speculation.MayInline(i) && InlineBets(calleeIndex) is not null;

    /// <summary>By callee, decided once per compile (the loop plans and the call site each ask):
    /// its bets if it is a candidate with a profile, else null.</summary>
    private Dictionary<int, Speculation?>? _inlineBets;

    private Speculation? InlineBets(int callee)
    {
        _inlineBets ??= [];
        if (!_inlineBets.TryGetValue(callee, out var bets))
            _inlineBets[callee] = bets = Inlining.IsCandidate(_module.AllCode[callee]) ? _calleeSpeculation!(callee) : null;
        return bets;
    }

    /// <summary>Compiles CALL_FUNCTION <paramref name="i"/> as the callee's body, if it is a candidate
    /// (see <see cref="Inlining"/>) and this is an optimizing compile; false if it is not.</summary>
    private bool TryInline(int i, int calleeIndex)
    {
        if (!MayInlineAt(i, calleeIndex)) return false;
        var callee = _module.AllCode[calleeIndex];
        var bets = InlineBets(calleeIndex)!;

        // What the caller knows of each argument, and the callee's bets on its parameters: a bet
        // narrower than the proof gets a guard at the body's entry.
        int argc = callee.ParamCount;
        var kinds = new KindSet[argc];
        var guards = new KindSet[argc];
        var constants = new Value?[argc];
        for (int k = 0; k < argc; k++)
        {
            var argument = _stack[Depth - argc + k];
            var proven = KindsOf(argument);
            if (proven == KindSet.String) return false; // see Inlining.IsCandidate
            var bet = bets.Parameter(k) & proven;
            if (bet == KindSet.Empty) bet = proven; // a stale profile: no bet against the proof
            kinds[k] = bet;
            guards[k] = bet == proven ? KindSet.Any : bet;
            if (argument.Kind == OperandKind.Const && KindAnalysis.TracksConstant(ConstantValue(argument).Kind))
                constants[k] = ConstantValue(argument);
        }

        // The body's compiler comes first: what it will read decides what must be in memory.
        int position = Depth - argc;
        var inline = new InlineBody(this, i, calleeIndex, _frameBase + SlotDisplacement(position), _asm.CreateLabel(),
            checksFrameRoom: _framedCalls.Contains(i), argc);
        var request = new CompileRequest(_version, bets, 0);
        var body = new FunctionCompiler(_module, callee, _entryTable, request, _emission, inline, new EntryFacts(kinds, constants));

        // The arguments go to their slots, the callee's first locals, unless the body never reads
        // one there: a constant argument whose every read the body folds (`test(true)`) stays a
        // constant, which an exit writes to its slot if the call has to run again. The values
        // below stay where they are (the body cannot change a local, a global or a slot of the
        // caller's), unless they are copies of a slot the body's frame overlaps.
        for (int k = 0; k < argc; k++)
        {
            if (_stack[position + k].Kind == OperandKind.Const && body.FoldsEveryRead(k)) inline.NotInSlot[k] = true;
            else Materialize(position + k);
        }
        for (int p = 0; p < position; p++)
            if (_stack[p].Kind == OperandKind.Slot && _stack[p].Index >= position) Materialize(p);
        // The call is a step, as in the interpreter; the exit gives it back, as the call is re-run.
        var counted = _asm.CreateLabel();
        CountStep(i, counted);
        Bind(ref counted);
        inline.Snapshot = StackSnapshot();
        inline.Bail = DeoptExit(i, DeoptReason.InlinedCall, calleeIndex, KindSet.Any, inline.Snapshot, inlined: null);
        for (int k = 0; k < argc; k++) Pop();

        // The interpreter's depth limit, unless the loop's entries check it (see LoopDepthChecks.cs).
        // The frame record, the entry table, the native call and the return are what inlining leaves out.
        if (!DepthCheckedByLoop(i))
        {
            _asm.cmp(r14d, __dword_ptr[r12 + JitContext.FrameLimitOffset]);
            _asm.jae(inline.Bail);
        }
        // Room in the stack segment, only for a body that uses memory past this frame's end (its
        // first compile finds out; see Address): seed 000's `test(true)` uses none, `dist` does.
        if (inline.ChecksFrameRoom)
        {
            _asm.lea(rcx, Address(Operand.Slot(position), callee.FrameSize * SlotSize));
            _asm.cmp(rcx, __qword_ptr[r12 + JitContext.SegmentEndOffset]);
            _asm.ja(inline.Bail);
        }
        // A fresh local is none, for the locals the body may read from memory before it writes them.
        bool cleared = false;
        for (int k = argc; k < callee.LocalCount; k++)
        {
            if (body._registerOnly[k]) continue;
            RequireFrameRoom(inline, _frameBase + SlotDisplacement(position + k));
            if (!cleared) _asm.xorps(xmm0, xmm0);
            cleared = true;
            _asm.movups(__xmmword_ptr[Address(Operand.Slot(position + k))], xmm0);
        }
        if (cleared) ForgetRegisters();
        for (int k = 0; k < argc; k++)
            if (guards[k] != KindSet.Any)
                CheckKind(KindByte(Operand.Slot(position + k)), guards[k], InlinedGuardExit(inline, DeoptReason.ParameterKind, 0, k, guards[k]));

        var returnKinds = body.ReturnKinds();
        body.LoadPromoted();
        body.EmitBody();
        var returned = inline.Return;
        Bind(ref returned);
        ForgetRegisters();
        // A float result every return left in xmm0 is taken from there (dist's sqrt into `total + ...`).
        if (inline.ResultInXmm0) _xmm0Holds = Operand.Slot(position);

        // The result is in the callee's local 0, the caller's slot `position`, or is a constant
        // (the body's one return returns one). This code goes on with the kind bet on, if any.
        var result = Operand.Slot(position);
        var resultBet = _speculation!.Value(i, KindSet.Any);
        if (inline.Constant is { } constant)
        {
            if ((KindAnalysis.Of(constant.Kind) & resultBet) != 0)
            {
                Push(Immediate(constant));
                return true;
            }
            Copy(Immediate(constant), result);
        }
        Push(result);
        if (resultBet != KindSet.Any && (returnKinds & ~resultBet) != 0)
            CheckKind(KindByte(result), resultBet, DeoptExit(i + 1, DeoptReason.ResultKind, calleeIndex, resultBet));
        return true;
    }
}

/// <summary>An inline body's place in its caller: the caller's compiler, the call instruction,
/// the callee, where the body's frame starts (bytes from rbx), the label after the body, and
/// whether the call checks for room in the stack segment; once the caller has emitted the call's
/// start, the caller's operand stack at the call (arguments included: what its exits resume
/// with) and the caller's exit that re-runs the call in the interpreter (for whatever needs a helper).</summary>
internal sealed class InlineBody(FunctionCompiler caller, int callAt, int callee, int frameBase, Label @return, bool checksFrameRoom, int argc)
{
    /// <summary>The arguments left out of their slots (constants the body folds): a slot's kind byte there is not the argument's.</summary>
    public bool[] NotInSlot { get; } = new bool[argc];

    public FunctionCompiler Caller { get; } = caller;
    public int CallAt { get; } = callAt;
    public int Callee { get; } = callee;
    public int FrameBase { get; } = frameBase;
    public Label Return { get; } = @return;
    public bool ChecksFrameRoom { get; } = checksFrameRoom;
    public Operand[] Snapshot { get; set; } = [];
    public Label Bail { get; set; }

    /// <summary>Set if the body's one return returns a constant: then it is not written to the result slot.</summary>
    public Value? Constant { get; set; }

    private int _returns;
    private bool _allInXmm0 = true;

    /// <summary>A return of the body, with the result written to the result slot: also in xmm0 (a float), or not.</summary>
    public void Returned(bool inXmm0)
    {
        _returns++;
        _allInXmm0 &= inXmm0;
    }

    /// <summary>Whether every return of the body arrives after the call with the result, a float, in xmm0 too.</summary>
    public bool ResultInXmm0 => _returns > 0 && _allInXmm0 && Constant is null;
}

/// <summary>An inline body needs memory past its caller's frame, and the call has no check for
/// room in the stack segment yet: the compile starts again with one (see FunctionCompiler.Compile).</summary>
internal sealed class FrameRoomNeeded : Exception;
