using MiniVm.Bytecode.Opcodes;
using MiniVm.Values;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// The counter of a counting loop cannot overflow: in <c>while i &lt; 20000000 { ...; i = i + 1; }</c>
/// the increment runs only after the test passed, with <c>i</c> unchanged since, so
/// <c>i + 1 &lt;= 20000000</c> and the add needs no overflow check (PyPy's bounds propagation does
/// the same). One branch less per round, and branches are what such a loop is made of.
/// <para>Found by shape, and only where the proof is plain: the loop's one back-edge is
/// <c>v &lt; N</c> (or <c>&lt;=</c>) on an int constant N jumping to the header; nothing else reaches
/// the header (the instruction before it does not fall into it), nothing from elsewhere jumps
/// into the body up to the increment, the body has no inner loop (each instruction runs at most
/// once a round), <c>v = v + k</c> (k a positive int constant, N + k not overflowing) is the only
/// store to v in the loop, and, for a global, no call before it in the loop may store a global.
/// An on-stack-replacement entry comes in at the header after the interpreter's test passed.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>By instruction: a BINARY_ADD that is such an increment (null: none).</summary>
    private bool[]? _boundedIncrement;

    private void PlanBoundedIncrements()
    {
        if (_inline is not null || !_kinds.Ran) return;
        for (int l = 0; l < _loopHeaders.Count; l++)
        {
            int header = _loopHeaders[l], backEdge = _loopEnds[l];
            if (BoundedIncrementIn(header, backEdge) is int add)
                (_boundedIncrement ??= new bool[_code.Length])[add] = true;
        }
    }

    private bool IsBoundedIncrement(int i) => _boundedIncrement is { } bounded && bounded[i];

    /// <summary>The BINARY_ADD of the loop's counter increment, if the loop has the shape above.</summary>
    private int? BoundedIncrementIn(int header, int backEdge)
    {
        // The test: LOAD v; LOAD_CONST N; COMPARE_OP < or <=; POP_JUMP_IF_TRUE header.
        if (header == 0 || backEdge < 3 || _code[backEdge].Info.Code != OpCode.PopJumpIfTrue) return null;
        var compare = _code[backEdge - 1];
        if (compare.Info.Code != OpCode.CompareOp || (CompareKind)compare.Arg is not (CompareKind.Less or CompareKind.LessEqual)) return null;
        if (_code[backEdge - 2].Info.Code != OpCode.LoadConst || _function.Constants[_code[backEdge - 2].Arg] is not { Kind: ValueKind.Int } limit)
            return null;
        var load = _code[backEdge - 3].Info.Code;
        if (load is not (OpCode.LoadFast or OpCode.LoadGlobal)) return null;
        var store = load == OpCode.LoadFast ? OpCode.StoreFast : OpCode.StoreGlobal;
        int variable = _code[backEdge - 3].Arg;
        long highest = (CompareKind)compare.Arg == CompareKind.Less ? limit.AsInt - 1 : limit.AsInt;

        if (!ReachedOnlyBy(header, backEdge)) return null;

        // The one store to v in the loop, and it is `v = v + k`.
        int? add = null;
        for (int k = header; k <= backEdge; k++)
        {
            if (_code[k].Info.Code != store || _code[k].Arg != variable) continue;
            if (add is not null || k - 3 < header) return null;
            if (_code[k - 3].Info.Code != load || _code[k - 3].Arg != variable || _code[k - 2].Info.Code != OpCode.LoadConst
                || _code[k - 1].Info.Code != OpCode.BinaryAdd)
                return null;
            if (_function.Constants[_code[k - 2].Arg] is not { Kind: ValueKind.Int } step || step.AsInt <= 0 || step.AsInt > int.MaxValue
                || highest > long.MaxValue - step.AsInt)
                return null;
            add = k - 1;
        }
        if (add is not int increment || !HasCode(increment)) return null;

        // Each instruction of the loop runs at most once a round, and the body up to the
        // increment is entered at the header only.
        for (int j = 0; j < _code.Length; j++)
        {
            if (_code[j].Info.Flow is not (FlowKind.Jump or FlowKind.ConditionalJump)) continue;
            int target = _targetIndex[j];
            if (j >= header && j < backEdge && target <= j) return null; // an inner loop
            if (target > header && target <= increment && !(j >= header && j < target)) return null;
        }
        // A global: nothing called before the increment stores one.
        if (load == OpCode.LoadGlobal)
        {
            var writes = GlobalWrites.Of(_module);
            for (int k = header; k < increment; k++)
                if (_code[k].Info.Code == OpCode.CallFunction && writes[_code[k].Arg]) return null;
        }
        return increment;
    }
}
