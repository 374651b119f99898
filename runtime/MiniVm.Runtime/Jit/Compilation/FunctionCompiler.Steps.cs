using Iced.Intel;
using MiniVm.Jit.Calls;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Steps (see <see cref="Interpreter.StepBudget"/>): every call and every loop back-edge taken
/// decrements r15, and when it goes below zero the budget is asked for more (it may stop the
/// run: budget spent, or cancelled). The interpreter counts the same steps at the same places, so
/// a budget stops a run at the same point in every tier. One decrement of a register is all a
/// step costs while steps are left.
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Per jump instruction that goes backward: the stub that counts the step and then jumps.</summary>
    private Label[]? _backEdges;

    /// <summary>Counts a step at instruction <paramref name="at"/> (a call), going on at
    /// <paramref name="resume"/>, which the caller binds right after.</summary>
    private void CountStep(int at, Label resume)
    {
        if (StepReserved(at)) return; // the loop's back-edge took it (FunctionCompiler.StepReservation.cs)
        RequireExactSteps();
        var exhausted = _asm.CreateLabel();
        _asm.dec(r15);
        _asm.js(exhausted);
        OutOfLine(() =>
        {
            Bind(ref exhausted);
            RenewSteps(at);
            _asm.jmp(resume);
        });
    }

    /// <summary>Where jump instruction <paramref name="jump"/> goes: its target, or for a back-edge
    /// a stub that counts the step first (out of line, so the loop's own code stays together).</summary>
    private Label JumpTarget(int jump)
    {
        int target = _targetIndex[jump];
        if (target > jump) return _labels[target];
        _backEdges ??= new Label[_code.Length];
        if (_backEdges[jump].IsEmpty)
        {
            var stub = _asm.CreateLabel();
            _backEdges[jump] = stub;
            OutOfLine(() =>
            {
                Bind(ref stub);
                StepAndLoop(jump);
            });
        }
        return _backEdges[jump];
    }

    /// <summary>
    /// Jumps on <paramref name="condition"/> as conditional jump instruction <paramref name="jump"/>
    /// does. A loop's back-edge counts its step in line, so the loop's usual way round takes one
    /// taken branch (the stub of <see cref="JumpTarget"/> costs two: into the stub and back):
    /// <code>
    ///     j(not condition) stay
    ///     dec r15
    ///     jns header        ; steps left: round again
    ///     jmp renew         ; out of line: the budget grants more, then the header
    /// stay:
    /// </code>
    /// </summary>
    private void BranchIf(ConditionCode condition, int jump)
    {
        int header = _targetIndex[jump];
        if (header > jump)
        {
            JumpIf(condition, _labels[header]);
            return;
        }
        var stay = _asm.CreateLabel();
        JumpIf(Negated(condition), stay);
        StepAndLoop(jump);
        Bind(ref stay);
    }

    /// <summary>Back-edge <paramref name="jump"/> taken: counts its step and goes to the loop header
    /// (<c>dec r15; jns header; jmp renew</c>, the budget's renewal out of line).</summary>
    private void StepAndLoop(int jump)
    {
        if (ReservingBackEdge(jump))
        {
            ReserveAndLoop(jump);
            return;
        }
        var header = _labels[_targetIndex[jump]];
        var renew = _asm.CreateLabel();
        _asm.dec(r15);
        _asm.jns(header);
        _asm.jmp(renew);
        OutOfLine(() =>
        {
            Bind(ref renew);
            RenewSteps(jump);
            _asm.jmp(header);
        });
    }

    /// <summary>The steps are used up: the budget grants more, or the run fails here.</summary>
    private void RenewSteps(int at)
    {
        _asm.mov(rdi, r12);
        _asm.mov(esi, _function.Index);
        _asm.mov(edx, at);
        CallHelper(RuntimeHelpers.RenewSteps);
    }
}
