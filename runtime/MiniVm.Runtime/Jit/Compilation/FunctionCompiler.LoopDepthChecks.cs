using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// The depth limit of the calls inlined in a loop, checked where the loop is entered instead of
/// at every call (loop-invariant code motion of one compare). Within an activation r14, the
/// records in use, never changes, and during a run the limit (<see cref="JitContext.FrameLimit"/>:
/// the call limit, or the records' capacity, which only grows) never shrinks: a check that passed
/// on entering the loop would pass at every inlined call in it. Every way into the loop checks:
/// the instruction before its header (which falls into it), every jump from outside to inside
/// it, and an on-stack-replacement entry into any loop within it. When a check fails (an
/// activation at the limit about to run such a loop), the activation deoptimizes there, and the
/// interpreter raises the error at the call, if the call is made.
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>By instruction: check the depth limit before its code (null: no check anywhere).</summary>
    private bool[]? _depthCheckBefore;

    /// <summary>By instruction: inside a loop whose every entry checks the depth limit.</summary>
    private bool[]? _depthCheckedLoop;

    /// <summary>Finds the loops with calls that may be inlined, and where their entries are.</summary>
    private void PlanLoopDepthChecks()
    {
        if (_inline is not null || _speculation is null || _calleeSpeculation is null) return;
        for (int l = 0; l < _loopHeaders.Count; l++)
        {
            int header = _loopHeaders[l], end = _loopEnds[l];
            if (header == 0 || !HasInlinableCall(header, end)) continue; // (at 0 the function's entry would be one)
            _depthCheckBefore ??= new bool[_code.Length];
            _depthCheckedLoop ??= new bool[_code.Length];
            for (int k = header; k <= end; k++) _depthCheckedLoop[k] = true;
            CheckDepthBefore(header - 1);
            for (int j = 0; j < _code.Length; j++)
            {
                if (j >= header && j <= end) continue;
                if (_code[j].Info.Flow is FlowKind.Jump or FlowKind.ConditionalJump && _targetIndex[j] >= header && _targetIndex[j] <= end)
                    CheckDepthBefore(j);
            }
        }
    }

    private bool HasInlinableCall(int from, int to)
    {
        for (int k = from; k <= to; k++)
            if (HasCode(k) && _code[k].Info.Code == OpCode.CallFunction && MayInlineAt(k, _code[k].Arg)) return true;
        return false;
    }

    /// <summary>Marks instruction <paramref name="j"/> (a way into a loop) to check first. A conditional
    /// jump fused with the comparison before it has no code of its own: the check goes before the
    /// comparison (any earlier point of the same straight line is as good).</summary>
    private void CheckDepthBefore(int j)
    {
        if (j < 0 || !HasCode(j)) return;
        if (j > 0 && !_isTarget[j] && HasCode(j - 1) && _code[j - 1].Info.Code == OpCode.CompareOp) j--;
        _depthCheckBefore![j] = true;
    }

    /// <summary>Whether the inlined call at <paramref name="i"/> is in a loop whose entries check the depth limit.</summary>
    private bool DepthCheckedByLoop(int i) => _depthCheckedLoop is { } inLoop && inLoop[i];

    /// <summary>The check before instruction <paramref name="i"/>'s code, if one is due there.</summary>
    private void EmitLoopDepthCheck(int i)
    {
        if (_depthCheckBefore is { } before && before[i]) EmitDepthCheck(i);
    }

    /// <summary>At an on-stack-replacement entry to <paramref name="header"/> (the frame as the
    /// interpreter left it, nothing on the compile-time stack): the check, if the header is in such a loop.</summary>
    private void EmitOsrDepthCheck(int header)
    {
        if (!DepthCheckedByLoop(header)) return;
        _at = header;
        ResetStack(_depth[header]);
        EmitDepthCheck(header, DeoptPoint.AtOsrEntry);
    }

    /// <summary>Below the limit, or the interpreter from instruction <paramref name="at"/> (at an
    /// on-stack-replacement entry: the entry refused).</summary>
    private void EmitDepthCheck(int at, int detail = -1)
    {
        var exit = DeoptExit(at, DeoptReason.CallDepth, detail);
        _asm.cmp(r14d, __dword_ptr[r12 + JitContext.FrameLimitOffset]);
        _asm.jae(exit);
    }

    /// <summary>After instruction <paramref name="first"/> and the ones fused with it, up to <paramref name="last"/>,
    /// are compiled: no check was due on one that had no code of its own (else the compile fails, safely).</summary>
    private void AssertNoDepthCheckSwallowed(int first, int last)
    {
        if (_depthCheckBefore is not { } before) return;
        for (int k = first + 1; k <= last; k++)
            if (before[k]) throw new InvalidOperationException($"the depth check before instruction {k} of {_function.Name} has no place");
    }
}
