using Iced.Intel;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Guards and deoptimization exits: where an optimizing compile checks a bet of its
/// <see cref="Speculation"/>, and what happens when the bet fails. A guard jumps to an exit that
/// writes every value the compile-time operand stack still holds elsewhere (a local not yet
/// copied, a constant) to its slot, so the frame is exactly the interpreter's frame before the
/// guard's instruction, and calls <see cref="RuntimeHelpers.Deoptimize"/>, which finishes the
/// activation in the interpreter from there and leaves its result in local 0. The exit then
/// returns like the function would have. Compiled callers never notice: only this activation
/// leaves compiled code. Guards use rcx and r11 only, which hold nothing between instructions.
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Where each exit resumes and why (the run's <see cref="JitRun"/> reads them by index).</summary>
    private readonly List<DeoptPoint> _deoptPoints = [];

    /// <summary>Checks that the kind of the value at <paramref name="location"/> (in memory) is one of
    /// <paramref name="expected"/>, going to <paramref name="failed"/> if not.</summary>
    private void CheckKind(AssemblerMemoryOperand kindByte, KindSet expected, Label failed)
    {
        if (SingleKind(expected) is { } kind)
        {
            _asm.cmp(kindByte, (int)kind);
            _asm.jne(failed);
            return;
        }
        _asm.movzx(r11d, kindByte);
        _asm.mov(ecx, (int)expected);
        _asm.bt(ecx, r11d);
        _asm.jae(failed); // carry clear: the kind's bit is not in the set
    }

    private static ValueKind? SingleKind(KindSet kinds) =>
        kinds != 0 && (kinds & (kinds - 1)) == 0 ? (ValueKind)System.Numerics.BitOperations.TrailingZeroCount((int)kinds) : null;

    /// <summary>
    /// A deoptimization exit for the code compiled so far: the interpreter resumes at instruction
    /// <paramref name="resumeAt"/> with the operand stack as it is now. In the test mode that forces
    /// deoptimization, the exit is also taken the first time this point is reached, whatever the bet.
    /// </summary>
    private Label DeoptExit(int resumeAt, DeoptReason reason, int detail = -1, KindSet expected = KindSet.Any)
    {
        // In an inline body every exit is the caller's: the whole call again, in the interpreter.
        if (_inline is not null) return _inline.Caller.InlinedGuardExit(_inline, reason, _at, detail, expected);
        return DeoptExit(resumeAt, reason, detail, expected, StackSnapshot(), inlined: null);
    }

    /// <summary>The compile-time operand stack as it is now (what an exit rebuilds the frame from).</summary>
    private Operand[] StackSnapshot()
    {
        var snapshot = new Operand[Depth];
        for (int p = 0; p < snapshot.Length; p++) snapshot[p] = _stack[p];
        return snapshot;
    }

    /// <summary>The exit for a guard of an inline body's (<paramref name="reason"/> at the callee's
    /// instruction <paramref name="at"/>): the caller's exit at the call, re-running it.</summary>
    private Label InlinedGuardExit(InlineBody body, DeoptReason reason, int at, int detail, KindSet expected) =>
        DeoptExit(body.CallAt, DeoptReason.InlinedCall, body.Callee, KindSet.Any, body.Snapshot, new InlinedGuard(at, reason, detail, expected));

    /// <param name="snapshot">The compile-time operand stack the interpreter resumes with.</param>
    /// <param name="inlined">For an inline body's guard: which, in the callee.</param>
    private Label DeoptExit(int resumeAt, DeoptReason reason, int detail, KindSet expected, Operand[] snapshot, InlinedGuard? inlined)
    {
        var exit = _asm.CreateLabel();
        int id = _deoptPoints.Count;
        _deoptPoints.Add(new DeoptPoint(resumeAt, snapshot.Length, reason, detail, expected, inlined));
        if (_forcedFlags != 0)
        {
            _asm.mov(r11, _forcedFlags + resumeAt);
            _asm.cmp(__byte_ptr[r11], 0);
            _asm.je(exit);
        }
        OutOfLine(() =>
        {
            Bind(ref exit);
            // An inlined call is re-run from its start: the interpreter takes its step again. Before
            // a reserved call (FunctionCompiler.StepReservation.cs), its step is given back too.
            if (reason == DeoptReason.InlinedCall) _asm.inc(r15);
            if (_stepReservedIn >= 0)
            {
                _asm.inc(r15);
                _stepReservedIn = -1;
            }
            // Promoted variables are written through, so memory has them; their registers may not
            // (an inline body's way out sets up a helper's arguments first), and the copies below read them.
            LoadPromoted();
            for (int p = 0; p < snapshot.Length; p++)
                if (snapshot[p] != Operand.Slot(p)) Copy(snapshot[p], Operand.Slot(p));
            _asm.mov(rdi, r12);
            _asm.mov(rsi, rbx);
            _asm.mov(edx, _version);
            _asm.mov(ecx, id);
            CallHelper(RuntimeHelpers.Deoptimize, checkStatus: false);
            // The helper's status is this activation's: 0 (finished, result in local 0), 1 (an
            // error is pending) or, at an on-stack-replacement entry, 2 (entry refused).
            Epilogue();
        });
        return exit;
    }

    /// <summary>At the internal entry: the parameters have the kinds bet on.</summary>
    private void EmitParameterGuards()
    {
        if (_speculation is null) return;
        for (int k = 0; k < _function.ParamCount; k++)
        {
            var expected = _speculation.Parameter(k);
            if (expected == KindSet.Any) continue;
            CheckKind(KindByte(Operand.Local(k)), expected, DeoptExit(0, DeoptReason.ParameterKind, k, expected));
        }
    }

    /// <summary>
    /// At an on-stack-replacement entry to loop header <paramref name="header"/>: the interpreted
    /// frame holds what the code after the header assumes (the analysis at the header took the
    /// bets as facts; the interpreter took no bets). If it does not, the entry is refused and the
    /// loop goes on in the interpreter.
    /// </summary>
    private void EmitOsrGuards(int header)
    {
        if (_speculation is null) return;
        _at = header;
        ResetStack(_depth[header]);
        for (int l = 0; l < _function.LocalCount; l++)
        {
            GuardOsrValue(KindByte(Operand.Local(l)), _kinds.Local(header, l), header);
            // A constant the analysis found only because bets cut paths off: the interpreter may
            // have taken one of those paths.
            if (_kinds.TryConstantLocal(header, l, out var known))
            {
                var refuse = DeoptExit(header, DeoptReason.OsrEntry, l, _kinds.Local(header, l));
                _asm.mov(r11, known.Bits);
                _asm.cmp(Bits(Operand.Local(l)), r11);
                _asm.jne(refuse);
            }
        }
        for (int p = 0; p < _depth[header]; p++)
            GuardOsrValue(KindByte(Operand.Slot(p)), _kinds.Stack(header, p), header);
        for (int g = 0; g < _module.Image.Globals.Length; g++)
        {
            var kinds = _kinds.Global(header, g);
            if ((kinds & KindSet.Unassigned) != 0) continue; // anything goes, even unassigned
            GuardOsrValue(KindByte(Operand.Global(g)), kinds, header);
        }
    }

    private void GuardOsrValue(AssemblerMemoryOperand kindByte, KindSet kinds, int header)
    {
        kinds &= KindSet.Any;
        if (kinds == KindSet.Any || kinds == KindSet.Empty) return;
        CheckKind(kindByte, kinds, DeoptExit(header, DeoptReason.OsrEntry, -1, kinds));
    }
}

/// <summary>Why a deoptimization exit is taken (the reason <c>--jit-log</c> prints).</summary>
internal enum DeoptReason : byte
{
    /// <summary>A parameter's kind is not the one bet on (<see cref="DeoptPoint.Detail"/>: the parameter).</summary>
    ParameterKind,
    /// <summary>A call's result's kind is not the one bet on.</summary>
    ResultKind,
    /// <summary>A global's kind is not the one bet on (<see cref="DeoptPoint.Detail"/>: the global).</summary>
    GlobalKind,
    /// <summary>A jump bet never to be taken is taken.</summary>
    BranchNeverTaken,
    /// <summary>A jump bet always to be taken falls through.</summary>
    BranchAlwaysTaken,
    /// <summary>An int <c>+ - *</c> overflowed (the interpreter raises the error).</summary>
    IntegerOverflow,
    /// <summary>An interpreted frame entering by on-stack replacement holds other kinds than the code assumes (the entry is refused).</summary>
    OsrEntry,
    /// <summary>A call compiled inline left the inline body's fast path (a bet of the callee's
    /// failed, or it needs a helper: an error, a string, the depth limit); the call runs again in
    /// the interpreter (<see cref="DeoptPoint.Detail"/>: the callee), and is not inlined again.</summary>
    InlinedCall,
    /// <summary>The call depth limit is reached where a loop whose calls are inlined is entered
    /// (they do not check it themselves: see FunctionCompiler.LoopDepthChecks.cs); the interpreter
    /// runs the loop, and raises the error at the call if the call is made. At an on-stack-replacement
    /// entry (<see cref="DeoptPoint.Detail"/>: <see cref="DeoptPoint.AtOsrEntry"/>), the entry is refused.</summary>
    CallDepth,
    /// <summary>The step budget cannot cover a loop's next round with the call step its back-edge
    /// reserves (FunctionCompiler.StepReservation.cs): the interpreter takes the round's steps one by
    /// one (at an on-stack-replacement entry, <see cref="DeoptPoint.AtOsrEntry"/>: the entry is refused).</summary>
    StepReservation,
}

/// <summary>One deoptimization exit of a compiled code block: the instruction the interpreter
/// resumes at, the operand-stack depth there, and why it is taken (for an inlined call's exit
/// that stands for a guard of the inline body, which guard).</summary>
internal sealed record DeoptPoint(int ResumeAt, int Depth, DeoptReason Reason, int Detail, KindSet Expected, InlinedGuard? Inlined = null)
{
    /// <summary>The <see cref="Detail"/> of a <see cref="DeoptReason.CallDepth"/> or <see cref="DeoptReason.StepReservation"/>
    /// exit at an on-stack-replacement entry.</summary>
    public const int AtOsrEntry = 1;

    /// <summary>Whether the exit is at an on-stack-replacement entry, which it refuses: nothing has
    /// run, and the interpreter goes on with the loop.</summary>
    public bool RefusesEntry => Reason == DeoptReason.OsrEntry || (Reason is DeoptReason.CallDepth or DeoptReason.StepReservation && Detail == AtOsrEntry);
}

/// <summary>A guard of an inline body: at the callee's instruction <paramref name="At"/>, for
/// <paramref name="Reason"/> (with its detail and expected kinds, as a <see cref="DeoptPoint"/> of the callee's own).</summary>
internal sealed record InlinedGuard(int At, DeoptReason Reason, int Detail, KindSet Expected)
{
    /// <summary>The guard as an exit of the callee's own code (for its profile and the log).</summary>
    public DeoptPoint AsCalleeExit() => new(At, 0, Reason, Detail, Expected);
}
