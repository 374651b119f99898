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

    /// <summary>Compiles CALL_FUNCTION <paramref name="i"/> as the callee's body, if it is a candidate
    /// (see <see cref="Inlining"/>) and this is an optimizing compile; false if it is not.</summary>
    private bool TryInline(int i, int calleeIndex)
    {
        if (_inline is not null || _speculation is null || _calleeSpeculation is null || calleeIndex == _function.Index || !_speculation.MayInline(i))
            return false;
        var callee = _module.AllCode[calleeIndex];
        if (!Inlining.IsCandidate(callee) || _calleeSpeculation(calleeIndex) is not { } bets) return false;

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

        // The arguments go to their slots, the callee's first locals. The values below stay where
        // they are (the body cannot change a local, a global or a slot of the caller's), unless
        // they are copies of a slot the body's frame overlaps.
        for (int p = Depth - argc; p < Depth; p++) Materialize(p);
        for (int p = 0; p < Depth - argc; p++)
            if (_stack[p].Kind == OperandKind.Slot && _stack[p].Index >= Depth - argc) Materialize(p);
        // The call is a step, as in the interpreter; the exit gives it back, as the call is re-run.
        var counted = _asm.CreateLabel();
        CountStep(i, counted);
        Bind(ref counted);
        var snapshot = StackSnapshot();
        var bail = DeoptExit(i, DeoptReason.InlinedCall, calleeIndex, KindSet.Any, snapshot, inlined: null);
        for (int k = 0; k < argc; k++) Pop();
        int position = Depth;

        // The interpreter's checks of a call: the depth limit, and room for the frame in the segment.
        _asm.cmp(r14d, __dword_ptr[r12 + JitContext.FrameLimitOffset]);
        _asm.jae(bail);
        _asm.lea(rcx, Address(Operand.Slot(position), callee.FrameSize * SlotSize));
        _asm.cmp(rcx, __qword_ptr[r12 + JitContext.SegmentEndOffset]);
        _asm.ja(bail);
        if (callee.LocalCount > argc)
        {
            _asm.xorps(xmm0, xmm0); // a fresh local is none
            for (int k = argc; k < callee.LocalCount; k++)
                _asm.movups(__xmmword_ptr[Address(Operand.Slot(position + k))], xmm0);
            ForgetRegisters();
        }
        var inline = new InlineBody(this, i, calleeIndex, snapshot, _frameBase + SlotDisplacement(position), bail, _asm.CreateLabel());
        for (int k = 0; k < argc; k++)
            if (guards[k] != KindSet.Any)
                CheckKind(KindByte(Operand.Slot(position + k)), guards[k], InlinedGuardExit(inline, DeoptReason.ParameterKind, 0, k, guards[k]));

        var request = new CompileRequest(_version, bets, 0);
        var body = new FunctionCompiler(_module, callee, _entryTable, request, _emission, inline, new EntryFacts(kinds, constants));
        var returnKinds = body.ReturnKinds();
        body.LoadPromoted();
        body.EmitBody();
        var returned = inline.Return;
        Bind(ref returned);
        ForgetRegisters();

        // The result is in the callee's local 0, the caller's slot `position`, or is a constant
        // (the body's one return returns one). This code goes on with the kind bet on, if any.
        var result = Operand.Slot(position);
        var resultBet = _speculation.Value(i, KindSet.Any);
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
/// the callee, the caller's operand stack at the call (arguments included: what its exits
/// resume with), where the body's frame starts (bytes from rbx), the caller's exit that re-runs
/// the call in the interpreter (for whatever needs a helper), and the label after the body.</summary>
internal sealed class InlineBody(FunctionCompiler caller, int callAt, int callee, Operand[] snapshot, int frameBase, Label bail, Label @return)
{
    public FunctionCompiler Caller { get; } = caller;
    public int CallAt { get; } = callAt;
    public int Callee { get; } = callee;
    public Operand[] Snapshot { get; } = snapshot;
    public int FrameBase { get; } = frameBase;
    public Label Bail { get; } = bail;
    public Label Return { get; } = @return;

    /// <summary>Set if the body's one return returns a constant: then it is not written to the result slot.</summary>
    public Value? Constant { get; set; }
}
