using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Jit.Calls;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// A loop whose every round makes an inlined call takes that call's step with its back-edge's:
/// <c>sub r15, 2; jns header</c> reserves the next round's call step, and the call itself has
/// no check (seed 000's loop: one branch less per round). The budget stays exact: the steps are
/// the same, taken at the same places. Between the header and the call (straight-line code: no
/// jump, no target, no helper, no call) the counter is one below the steps left, so every exit
/// there gives the reserved step back first; after the call it is exact again, and so at the
/// back-edge, whichever way it was reached. When the back-edge cannot reserve, it takes its own
/// step exactly as usual (renewing, or failing the run there), then asks the budget for the
/// reservation (<see cref="RuntimeHelpers.ReserveSteps"/>); a budget that cannot cover it sends
/// the next round to the interpreter, which counts the steps one by one. An on-stack-replacement
/// entry at the header reserves too, or is refused.
/// <para>Applies to a loop whose header is reached only by its one back-edge (the instruction
/// before it does not fall into it) and whose header's straight line reaches a call that may be
/// inlined. If the compile finds the call not inlined after all, or a helper or a call in that
/// straight line, it starts again without the reservation for that loop.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The loops (by header) not to reserve in (see <see cref="Compile"/>).</summary>
    private readonly HashSet<int> _noReservation = [];

    /// <summary>By instruction: the header of the loop whose call step is reserved while it runs (-1: none).</summary>
    private int[]? _reservedRegion;

    /// <summary>By instruction: for a call whose step its loop's back-edge reserves, the loop's header (-1: none).</summary>
    private int[]? _reservedCall;

    /// <summary>By instruction: a back-edge that reserves; a header whose loop does.</summary>
    private bool[]? _reservingBackEdge;
    private bool[]? _reservingHeader;

    /// <summary>While compiling an instruction: the header of the loop whose call step is reserved here, or -1.</summary>
    private int _stepReservedIn = -1;

    private void PlanStepReservations()
    {
        if (_inline is not null || _speculation is null || _calleeSpeculation is null) return;
        for (int l = 0; l < _loopHeaders.Count; l++)
        {
            int header = _loopHeaders[l], backEdge = _loopEnds[l];
            if (header == 0 || _noReservation.Contains(header) || !HasCode(header) || !HasCode(backEdge)) continue;
            if (!ReachedOnlyBy(header, backEdge)) continue;
            int call = ReservableCall(header, backEdge);
            if (call < 0) continue;
            _reservedRegion ??= Unset();
            _reservedCall ??= Unset();
            _reservingBackEdge ??= new bool[_code.Length];
            _reservingHeader ??= new bool[_code.Length];
            for (int k = header; k < call; k++) _reservedRegion[k] = header;
            _reservedCall[call] = header;
            _reservingBackEdge[backEdge] = true;
            _reservingHeader[header] = true;
        }
    }

    private int[] Unset()
    {
        var byInstruction = new int[_code.Length];
        Array.Fill(byInstruction, -1);
        return byInstruction;
    }

    /// <summary>Whether loop header <paramref name="header"/> is reached only by <paramref name="backEdge"/>:
    /// no other jump goes there, and the instruction before it does not fall into it.</summary>
    private bool ReachedOnlyBy(int header, int backEdge)
    {
        if (header == 0) return false; // the entry falls into it
        if (HasCode(header - 1) && _code[header - 1].Info.Flow is FlowKind.Next or FlowKind.ConditionalJump) return false;
        for (int j = 0; j < _code.Length; j++)
            if (j != backEdge && _code[j].Info.Flow is FlowKind.Jump or FlowKind.ConditionalJump && _targetIndex[j] == header) return false;
        return true;
    }

    /// <summary>The first call on the straight line from <paramref name="header"/>, if it may be inlined; else -1.</summary>
    private int ReservableCall(int header, int end)
    {
        for (int k = header; k <= end; k++)
        {
            if (!HasCode(k) || (k > header && _isTarget[k])) return -1;
            if (_code[k].Info.Code == OpCode.CallFunction) return MayInlineAt(k, _code[k].Arg) ? k : -1;
            if (_code[k].Info.Flow != FlowKind.Next) return -1;
        }
        return -1;
    }

    /// <summary>Whether the step of the call at <paramref name="i"/> was reserved by its loop's back-edge.</summary>
    private bool StepReserved(int i) => _reservedCall is { } reserved && reserved[i] >= 0;

    private bool ReservingBackEdge(int jump) => _reservingBackEdge is { } reserving && reserving[jump];

    /// <summary>Before compiling instruction <paramref name="i"/>: whether its loop's call step is reserved while it runs.</summary>
    private void EnterReservationRegion(int i) => _stepReservedIn = _reservedRegion is { } regions ? regions[i] : -1;

    /// <summary>A helper call, or a call that counts its own step, where the counter is one below the
    /// steps left (see the class summary): the compile starts again without the reservation for this loop.</summary>
    private void RequireExactSteps()
    {
        if (_stepReservedIn >= 0) throw new StepReservationImpossible(_stepReservedIn);
    }

    /// <summary>The call at <paramref name="i"/>, whose step was reserved, is not inlined after all.</summary>
    private void RequireNotReserved(int i)
    {
        if (StepReserved(i)) throw new StepReservationImpossible(_reservedCall![i]);
    }

    /// <summary>A reserving back-edge <paramref name="jump"/> taken: its step and the next round's call step.</summary>
    private void ReserveAndLoop(int jump)
    {
        int headerIndex = _targetIndex[jump];
        var header = _labels[headerIndex];
        var renew = _asm.CreateLabel();
        _asm.sub(r15, 2);
        _asm.jns(header);
        _asm.jmp(renew);
        OutOfLine(() =>
        {
            Bind(ref renew);
            var reserve = _asm.CreateLabel();
            _asm.inc(r15); // the reservation undone: the steps left after the back-edge's own
            _asm.jns(reserve);
            RenewSteps(jump);
            Bind(ref reserve);
            _asm.mov(rdi, r12);
            _asm.mov(esi, 1);
            CallHelper(RuntimeHelpers.ReserveSteps, checkStatus: false);
            _asm.test(rax, rax);
            _asm.je(header);
            _asm.cmp(rax, 1);
            _asm.je(_fail);
            // The budget cannot cover the next round's call: the interpreter takes its steps one by one.
            var snapshot = new Operand[_depth[headerIndex]];
            for (int p = 0; p < snapshot.Length; p++) snapshot[p] = Operand.Slot(p);
            _asm.jmp(DeoptExit(headerIndex, DeoptReason.StepReservation, -1, KindSet.Any, snapshot, inlined: null));
        });
    }

    /// <summary>At an on-stack-replacement entry to <paramref name="header"/> (which took its back-edge's
    /// step in the interpreter): the call step reserved, or the entry refused.</summary>
    private void EmitOsrStepReservation(int header)
    {
        if (_reservingHeader is not { } reserving || !reserving[header]) return;
        _at = header;
        ResetStack(_depth[header]);
        _asm.dec(r15);
        _stepReservedIn = header; // (the exit gives the step back)
        var refuse = DeoptExit(header, DeoptReason.StepReservation, DeoptPoint.AtOsrEntry);
        _stepReservedIn = -1;
        _asm.test(r15, r15); // (the test mode's check in DeoptExit may have changed the flags)
        _asm.js(refuse);
    }
}

/// <summary>The loop at <see cref="Header"/> cannot reserve its call's step (see FunctionCompiler.StepReservation.cs):
/// the compile starts again without (see FunctionCompiler.Compile).</summary>
internal sealed class StepReservationImpossible(int header) : Exception
{
    public int Header { get; } = header;
}
